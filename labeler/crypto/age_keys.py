"""This workspace's age identity (X25519): what sealed files are encrypted to.

Made on first open beside the signing key, and kept where the signing key is kept: the OS
keychain, or (passphrase workspaces) inside the workspace, which the passphrase encrypts. The
public half, an ``age1…`` recipient, goes on the member card the lead puts in the roster.
Rule for callers: the identity (``AGE-SECRET-KEY-1…``) never goes into a log or a message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from labeler.errors import KeyUnavailableError, ValidationError

if TYPE_CHECKING:
    from pyrage import x25519

    from labeler.store.connection import Store, WriteStore
    from labeler.store.writer import Writer

RECIPIENT_META = "age_recipient"
IDENTITY_META = "age_identity"  # only in passphrase workspaces (the file is the vault)
PREVIOUS_META = "age_previous_identities"  # the same, for identities a rotation kept


def _keys() -> Any:
    from labeler.crypto import keys

    return keys


def _account(salt: bytes, kind: str = "") -> str:
    """The keychain entry: the identity, or (``kind``) the 'pending' one a rotation parks
    before use, or the 'previous' ones it keeps."""
    return f"age-{salt.hex()}" + (f"-{kind}" if kind else "")


def parse_recipient(text: str) -> x25519.Recipient:
    """An ``age1…`` recipient; a bad one is a sentence."""
    from pyrage import RecipientError, x25519

    try:
        return x25519.Recipient.from_str(text.strip())
    except (RecipientError, ValueError):
        raise ValidationError(f"{text[:70]!r} is not an age recipient (age1…).") from None


def make_identity(tx: WriteStore) -> None:
    """Make the workspace's identity if it has none (inside the caller's transaction)."""
    from pyrage import x25519

    from labeler.store import meta

    if meta.get(tx, RECIPIENT_META) is not None:
        return
    identity = x25519.Identity.generate()
    if tx.key.source == _keys().SOURCE_KEYCHAIN:
        _keys().keychain_store(_account(tx.key.salt), str(identity))
    else:
        meta.put(tx, IDENTITY_META, str(identity))
    meta.put(tx, RECIPIENT_META, str(identity.to_public()))


def ensure_identity(writer: Writer) -> None:
    writer.run(make_identity)


def recipient(store: Store) -> str:
    """This workspace's ``age1…`` recipient."""
    from labeler.store import meta

    found = meta.get(store, RECIPIENT_META)
    if found is None:
        raise KeyUnavailableError("This workspace has no age identity yet; reopen it to make one.")
    return found


def identity(store: Store) -> x25519.Identity:
    """The private identity that opens files sealed to this workspace."""
    from pyrage import x25519

    from labeler.store import meta

    text = meta.get(store, IDENTITY_META)
    if text is None and store.key.source == _keys().SOURCE_KEYCHAIN:
        text = _from_keychain(store)
    if text is None:
        raise KeyUnavailableError(
            "This workspace's age identity is missing from the OS keychain (its entry was "
            "deleted): sealed files cannot be opened here. Restore the keychain from its backup, "
            "or open a --portable backup of the workspace, which carries the identity."
        )
    return x25519.Identity.from_str(text)


def identities(store: Store) -> list[x25519.Identity]:
    """Every identity that opens files sealed to this workspace: the current one, then those
    an age rotation kept (files sealed to the old recipient before the lead's roster named
    the new one still open here)."""
    return [identity(store), *_previous(store)]


def _previous(store: Store) -> list[x25519.Identity]:
    from pyrage import x25519

    return [x25519.Identity.from_str(text) for text in _previous_texts(store)]


def _previous_texts(store: Store) -> list[str]:
    from labeler.store import meta

    text = meta.get(store, PREVIOUS_META)
    if text is None and store.key.source == _keys().SOURCE_KEYCHAIN:
        text = _keys().keychain_load(_account(store.key.salt, "previous"))
    return [line for line in (text or "").splitlines() if line]


def _from_keychain(store: Store) -> str | None:
    """The keychain's identity for the workspace's recipient: the current entry, or the one
    a rotation parked when it stopped after the switch (then it is promoted)."""
    from pyrage import x25519

    from labeler.store import meta

    salt = store.key.salt
    current = _keys().keychain_load(_account(salt))
    expected = meta.get(store, RECIPIENT_META)
    if current is not None and (expected is None or _recipient_of(current) == expected):
        return current
    pending = _keys().keychain_load(_account(salt, "pending"))
    if pending is not None and _recipient_of(pending) == expected:
        settle(salt, x25519.Identity.from_str(pending))
        return pending
    return current


def _recipient_of(text: str) -> str | None:
    from pyrage import IdentityError, x25519

    try:
        return str(x25519.Identity.from_str(text).to_public())
    except (IdentityError, ValueError):
        return None


def carry_into(tx: WriteStore, source: Store) -> None:
    """Write the identity (and the earlier ones) into a copy's own meta (a portable backup:
    the copy's passphrase protects them there), so the copy opens sealed files wherever it
    is restored."""
    from labeler.store import meta

    meta.put(tx, IDENTITY_META, str(identity(source)))
    previous = _previous_texts(source)
    if previous:
        meta.put(tx, PREVIOUS_META, "\n".join(previous))


# -- rotation (labeler/crypto/rotation.py runs it) -------------------------------------------
def new_identity() -> x25519.Identity:
    from pyrage import x25519

    return x25519.Identity.generate()


def park(store: Store, new: x25519.Identity) -> None:
    """Keychain workspaces: the next identity, and the current one beside the earlier ones,
    are in the keychain before the workspace names the new recipient."""
    if store.key.source != _keys().SOURCE_KEYCHAIN:
        return
    salt = store.key.salt
    try:
        kept = [str(identity(store)), *_previous_texts(store)]
    except KeyUnavailableError:  # a deleted entry: the rotation is how to get a new one
        kept = _previous_texts(store)
    _keys().keychain_store(_account(salt, "previous"), "\n".join(dict.fromkeys(kept)))
    _keys().keychain_store(_account(salt, "pending"), str(new))


def switch(tx: WriteStore, source: Store, new: x25519.Identity) -> None:
    """Make ``new`` the workspace's identity inside the caller's transaction."""
    from labeler.store import meta

    if tx.key.source != _keys().SOURCE_KEYCHAIN:
        kept = [str(identity(source)), *_previous_texts(source)]
        meta.put(tx, PREVIOUS_META, "\n".join(dict.fromkeys(kept)))
        meta.put(tx, IDENTITY_META, str(new))
    meta.put(tx, RECIPIENT_META, str(new.to_public()))


def settle(salt: bytes, new: x25519.Identity) -> None:
    """Make a parked identity the keychain's current one; a refusal leaves it pending, and
    the next load promotes it."""
    try:
        _keys().keychain_store(_account(salt), str(new))
    except KeyUnavailableError:
        return
    _delete(_account(salt, "pending"))


def abandon(store: Store) -> None:
    if store.key.source == _keys().SOURCE_KEYCHAIN:
        _delete(_account(store.key.salt, "pending"))


def _delete(account: str) -> None:
    import contextlib

    import keyring

    with contextlib.suppress(Exception):
        keyring.delete_password(_keys().SERVICE, account)


def forget(salt: bytes) -> None:
    """Remove the identity from the keychain (throwaway demo workspaces)."""
    import contextlib

    keys = _keys()
    if not keys.keychain_available():
        return
    import keyring

    with contextlib.suppress(Exception):
        keyring.delete_password(keys.SERVICE, _account(salt))
