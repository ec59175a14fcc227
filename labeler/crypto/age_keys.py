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


def _keys() -> Any:
    from labeler.crypto import keys

    return keys


def _account(salt: bytes) -> str:
    return f"age-{salt.hex()}"


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
        text = _keys().keychain_load(_account(store.key.salt))
    if text is None:
        raise KeyUnavailableError(
            "This workspace's age identity is missing from the OS keychain (its entry was "
            "deleted): sealed files cannot be opened here. Restore the keychain from its backup, "
            "or open a --portable backup of the workspace, which carries the identity."
        )
    return x25519.Identity.from_str(text)


def carry_into(tx: WriteStore, source: Store) -> None:
    """Write the identity into a copy's own meta (a portable backup: the copy's passphrase
    protects it there), so the copy opens sealed files wherever it is restored."""
    from labeler.store import meta

    meta.put(tx, IDENTITY_META, str(identity(source)))


def forget(salt: bytes) -> None:
    """Remove the identity from the keychain (throwaway demo workspaces)."""
    import contextlib

    keys = _keys()
    if not keys.keychain_available():
        return
    import keyring

    with contextlib.suppress(Exception):
        keyring.delete_password(keys.SERVICE, _account(salt))
