"""Ed25519 signing keys of the person using a workspace, in minisign's formats.

The key pair is made on first use. The private key lives in the OS keychain; where the
workspace has no keychain (passphrase fallback) it is kept inside the workspace, which is
encrypted under the passphrase. Public keys and signatures use minisign's encodings, so the
same key signs label files and packs, and ``minisign -V`` can check the packs.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from labeler.errors import KeyUnavailableError, LabelerError, ValidationError

if TYPE_CHECKING:  # the store only where keys are made or loaded: 'pack verify' needs none
    from labeler.store.connection import Store, WriteStore
    from labeler.store.writer import Writer

ALGORITHM = b"Ed"  # minisign: Ed25519 public key / legacy signature id


@dataclass(frozen=True)
class PublicKey:
    key_id: bytes  # 8 bytes, minisign's key id
    raw: bytes  # 32 bytes

    def encoded(self) -> str:
        """The base64 line of a minisign public key file (RW...)."""
        return base64.b64encode(ALGORITHM + self.key_id + self.raw).decode("ascii")

    @property
    def key_id_hex(self) -> str:
        return self.key_id[::-1].hex().upper()  # minisign prints the id little-endian

    def fingerprint(self) -> str:
        digest = hashlib.sha256(self.raw).hexdigest()[:32].upper()
        return " ".join(digest[i : i + 4] for i in range(0, 32, 4))

    def minisign_file(self) -> str:
        return f"untrusted comment: minisign public key {self.key_id_hex}\n{self.encoded()}\n"

    def verifier(self) -> Ed25519PublicKey:
        return Ed25519PublicKey.from_public_bytes(self.raw)


def parse_public_key(text: str) -> PublicKey:
    """A minisign public key: its base64 line, or a whole .pub file."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    line = lines[-1] if lines else ""
    try:
        blob = base64.b64decode(line, validate=True)
    except (ValueError, base64.binascii.Error):  # type: ignore[attr-defined]
        raise ValidationError("Not a minisign public key (bad base64).") from None
    if len(blob) != 42 or blob[:2] != ALGORITHM:
        raise ValidationError("Not a minisign Ed25519 public key.")
    return PublicKey(blob[2:10], blob[10:])


@dataclass(frozen=True)
class SigningKey:
    key_id: bytes
    private: Ed25519PrivateKey

    @property
    def public(self) -> PublicKey:
        raw = self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return PublicKey(self.key_id, raw)

    def sign(self, data: bytes) -> bytes:
        return self.private.sign(data)


def verify(public: PublicKey, data: bytes, signature: bytes) -> bool:
    try:
        public.verifier().verify(signature, data)
    except InvalidSignature:
        return False
    return True


def _keys() -> Any:
    # Imported when a key is made or loaded: 'pack verify' checks signatures with no store.
    from labeler.crypto import keys

    return keys


ID_META = "signing_key_id"
PUBLIC_META = "signing_public_key"  # raw hex; names which private key is current (rotation)
PRIVATE_META = "signing_private_key"  # only in passphrase workspaces (the file is the vault)
PREVIOUS_META = "signing_previous_keys"  # JSON list of this laptop's old public keys

# What a missing keychain entry means and how to recover, instead of a traceback or a
# passphrase prompt for a passphrase that never existed (the workspace key opened the file).
MISSING = (
    "This workspace's signing key is missing from the OS keychain (its entry was deleted), so "
    "nothing can be signed here: restore the keychain from its backup, or open a --portable "
    "backup of the workspace, which carries the key; or make a new key with 'labeler keys "
    "rotate-signing' and send the new card to your lead."
)


def _account(store: Store) -> str:
    return _salt_account(store.key.salt)


def _salt_account(salt: bytes, pending: bool = False) -> str:
    """The keychain entry of a workspace's private signing key (named by the file's salt);
    a rotation parks the next key under the '-pending' entry before the workspace uses it."""
    return f"signing-{salt.hex()}" + ("-pending" if pending else "")


def signing_key(store: Store) -> SigningKey:
    """This workspace's signing key (made when the workspace was first opened)."""
    from labeler.store import meta

    key_id_hex = meta.get(store, ID_META)
    if key_id_hex is None:
        raise LabelerError("This workspace has no signing key yet; reopen it to make one.")
    return SigningKey(bytes.fromhex(key_id_hex), _load_private(store))


def public_key(store: Store) -> PublicKey:
    """This workspace's current public key; needs no private key when it is recorded."""
    from labeler.store import meta

    key_id_hex, raw_hex = meta.get(store, ID_META), meta.get(store, PUBLIC_META)
    if key_id_hex is not None and raw_hex is not None:
        return PublicKey(bytes.fromhex(key_id_hex), bytes.fromhex(raw_hex))
    return signing_key(store).public


def previous_public_keys(store: Store) -> list[PublicKey]:
    """The keys this workspace signed with before its rotations, oldest first."""
    import json

    from labeler.store import meta

    return [parse_public_key(text) for text in json.loads(meta.get(store, PREVIOUS_META) or "[]")]


def own_public_keys(store: Store) -> list[PublicKey]:
    """The current key and every earlier one: what this laptop signed, it recognises."""
    return [public_key(store), *previous_public_keys(store)]


def _public_hex(private_hex: str) -> str:
    private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(private_hex))
    return private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def ensure_signing_key(writer: Writer) -> None:
    """Make the workspace's key pair and age identity if it lacks them (on open: signing and
    opening sealed files never have to write)."""
    from labeler.store import meta

    def make(tx: WriteStore) -> None:
        from labeler.crypto import age_keys

        age_keys.make_identity(tx)  # the key that sealed files are encrypted to, beside it
        if meta.get(tx, ID_META) is not None:
            return
        private = Ed25519PrivateKey.generate()
        raw = private.private_bytes_raw()
        meta.put(tx, ID_META, secrets.token_bytes(8).hex())
        meta.put(tx, PUBLIC_META, _public_hex(raw.hex()))
        if tx.key.source == _keys().SOURCE_KEYCHAIN:
            _keys().keychain_store(_account(tx), raw.hex())  # a refusal is one sentence
        else:
            meta.put(tx, PRIVATE_META, raw.hex())

    writer.run(make)


# -- rotation (labeler/crypto/rotation.py runs it) -------------------------------------------
def new_key() -> SigningKey:
    return SigningKey(secrets.token_bytes(8), Ed25519PrivateKey.generate())


def _private_hex(key: SigningKey) -> str:
    return key.private.private_bytes_raw().hex()


def park(store: Store, key: SigningKey) -> None:
    """Put the next private key in the keychain's pending entry before the workspace names
    it: a crash after the switch then loses nothing (the next load finds it there)."""
    if store.key.source == _keys().SOURCE_KEYCHAIN:
        _keys().keychain_store(_salt_account(store.key.salt, pending=True), _private_hex(key))


def switch(tx: WriteStore, key: SigningKey, old: PublicKey | None) -> None:
    """Make ``key`` the workspace's signing key inside the caller's transaction; the old
    public key is kept in the list of this laptop's earlier keys."""
    import json

    from labeler.store import meta

    previous = [k.encoded() for k in previous_public_keys(tx)]
    if old is not None and old.encoded() not in previous:
        previous.append(old.encoded())
    meta.put(tx, PREVIOUS_META, json.dumps(previous))
    meta.put(tx, ID_META, key.key_id.hex())
    meta.put(tx, PUBLIC_META, key.public.raw.hex())
    if tx.key.source != _keys().SOURCE_KEYCHAIN:
        meta.put(tx, PRIVATE_META, _private_hex(key))


def settle(salt: bytes, private_hex: str) -> None:
    """Make a parked key the keychain's current one (ends a rotation); a keychain that
    refuses leaves the pending entry, which the next load promotes."""
    keys = _keys()
    try:
        keys.keychain_store(_salt_account(salt), private_hex)
    except LabelerError:
        return
    _delete(_salt_account(salt, pending=True))


def abandon(store: Store) -> None:
    """Drop a parked key after a rotation failed before the switch."""
    if store.key.source == _keys().SOURCE_KEYCHAIN:
        _delete(_salt_account(store.key.salt, pending=True))


def carry_into(tx: WriteStore, source: Store) -> None:
    """Write the private key into a copy's own meta (a portable backup: the copy's
    passphrase protects it there), so the copy signs wherever it is restored."""
    from labeler.store import meta

    meta.put(tx, PRIVATE_META, _private_hex(signing_key(source)))


def _delete(account: str) -> None:
    import contextlib

    import keyring

    with contextlib.suppress(Exception):  # already gone, or a keychain that refuses
        keyring.delete_password(_keys().SERVICE, account)


def forget_signing_key(salt: bytes) -> None:
    """Remove a workspace's private signing key from the keychain (throwaway demo workspaces)."""
    if not _keys().keychain_available():
        return
    _delete(_salt_account(salt))
    _delete(_salt_account(salt, pending=True))


def _load_private(store: Store) -> Ed25519PrivateKey:
    from labeler.store import meta

    stored = meta.get(store, PRIVATE_META)
    if stored is None and store.key.source == _keys().SOURCE_KEYCHAIN:
        stored = _from_keychain(store)
    if stored is None:
        raise KeyUnavailableError(MISSING)
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(stored))


def _from_keychain(store: Store) -> str | None:
    """The keychain's private key whose public half the workspace names: the current entry,
    or the parked one when a rotation stopped after the switch (then it is promoted)."""
    from labeler.store import meta

    keys = _keys()
    expected = meta.get(store, PUBLIC_META)
    current = keys.keychain_load(_account(store))
    if expected is None:  # a workspace from before rotations: its one key
        return current
    salt = store.key.salt
    pending = keys.keychain_load(_salt_account(salt, pending=True))
    if current is not None and _matches(current, expected):
        return current
    if pending is not None and _matches(pending, expected):
        settle(salt, pending)
        return pending
    if current is None and pending is None:
        return None
    raise KeyUnavailableError(
        "The signing key in the OS keychain is not this workspace's (the entry was replaced), "
        "so nothing can be signed here: restore the keychain from its backup, or open a "
        "--portable backup of the workspace, which carries the key."
    )


def _matches(private_hex: str, public_hex: str) -> bool:
    try:
        return _public_hex(private_hex) == public_hex
    except ValueError:
        return False
