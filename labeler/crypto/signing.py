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

from labeler.errors import LabelerError, ValidationError

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


def _account(store: Store) -> str:
    return _salt_account(store.key.salt)


def _salt_account(salt: bytes) -> str:
    """The keychain entry of a workspace's private signing key (named by the file's salt)."""
    return f"signing-{salt.hex()}"


def signing_key(store: Store) -> SigningKey:
    """This workspace's signing key (made when the workspace was first opened)."""
    from labeler.store import meta

    key_id_hex = meta.get(store, "signing_key_id")
    if key_id_hex is None:
        raise LabelerError("This workspace has no signing key yet; reopen it to make one.")
    return SigningKey(bytes.fromhex(key_id_hex), _load_private(store))


def ensure_signing_key(writer: Writer) -> None:
    """Make the workspace's key pair and age identity if it lacks them (on open: signing and
    opening sealed files never have to write)."""
    from labeler.store import meta

    def make(tx: WriteStore) -> None:
        from labeler.crypto import age_keys

        age_keys.make_identity(tx)  # the key that sealed files are encrypted to, beside it
        if meta.get(tx, "signing_key_id") is not None:
            return
        private = Ed25519PrivateKey.generate()
        raw = private.private_bytes_raw()
        meta.put(tx, "signing_key_id", secrets.token_bytes(8).hex())
        if tx.key.source == _keys().SOURCE_KEYCHAIN:
            _keys().keychain_store(_account(tx), raw.hex())  # a refusal is one sentence
        else:
            meta.put(tx, "signing_private_key", raw.hex())

    writer.run(make)


def forget_signing_key(salt: bytes) -> None:
    """Remove a workspace's private signing key from the keychain (throwaway demo workspaces)."""
    keys = _keys()
    if not keys.keychain_available():
        return
    import contextlib

    import keyring
    from keyring.errors import PasswordDeleteError

    with contextlib.suppress(PasswordDeleteError):
        keyring.delete_password(keys.SERVICE, _salt_account(salt))


def _load_private(store: Store) -> Ed25519PrivateKey:
    from labeler.store import meta

    stored = meta.get(store, "signing_private_key")
    if stored is None and store.key.source == _keys().SOURCE_KEYCHAIN:
        stored = _keys().keychain_load(_account(store))
    if stored is None:
        raise LabelerError("This workspace's signing key is missing from the keychain.")
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(stored))
