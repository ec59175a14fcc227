"""Workspace keys: a random 256-bit raw key in the OS keychain, or a passphrase fallback.

The workspace file's first 16 bytes are SQLCipher's per-file salt, stored in clear and random.
They name the keychain entry and salt the passphrase KDF, so the workspace stays one file: no
side file to lose. A raw key costs nothing per open (SQLCipher's own PBKDF2 would cost ~200 ms);
the passphrase is stretched once with scrypt instead.

Rule for callers: a ``WorkspaceKey`` never goes into a log, a message or a file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from collections.abc import Callable

from labeler.errors import KeyUnavailableError
from labeler.store.key import SOURCE_KEYCHAIN, SOURCE_PASSPHRASE, WorkspaceKey

SERVICE = "labeler"
SALT_BYTES = 16
KEY_BYTES = 32
# scrypt cost: ~100 ms and 32 MiB here, the OWASP-recommended floor (N=2^15, r=8, p=1).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
DEMO_PASSPHRASE = "labeler-demo"

# (message, confirm) -> passphrase. The CLI asks with getpass, the app with a dialog.
PassphrasePrompt = Callable[[str, bool], str]


# The keyring backends known to keep secrets encrypted by the operating system and unlocked
# with the user's login: the only ones a workspace key is put in. An allow-list, not a
# deny-list: keyring's fail and null backends, keyrings.alt's file backends (plaintext, or
# encrypted under a password asked for on the terminal), and any backend not reviewed here
# are refused, and the passphrase fallback is used instead.
PROTECTING_BACKENDS = frozenset(
    {
        "keyring.backends.macOS.Keyring",
        "keyring.backends.Windows.WinVaultKeyring",
        "keyring.backends.SecretService.Keyring",
        "keyring.backends.libsecret.Keyring",
        "keyring.backends.kwallet.DBusKeyring",
        "keyring.backends.kwallet.DBusKeyringKWallet4",
    }
)


def backend_name(backend: object) -> str:
    kind = type(backend)
    return f"{kind.__module__}.{kind.__qualname__}"


def refused_backend(backend: object) -> str | None:
    """The name of the backend (or the member of a chain) that is not known to protect
    secrets, or None when every one is."""
    from keyring.backends import chainer

    if isinstance(backend, chainer.ChainerBackend):
        members = list(backend.backends)
        if not members:
            return f"{backend_name(backend)} (an empty chain)"
        return next((name for b in members if (name := refused_backend(b))), None)
    name = backend_name(backend)
    return None if name in PROTECTING_BACKENDS else name


def _is_protecting(backend: object) -> bool:
    """True for a keyring backend that really protects secrets (see PROTECTING_BACKENDS)."""
    if os.environ.get("LABELER_NO_KEYCHAIN"):
        return False
    return refused_backend(backend) is None


def keychain_available() -> bool:
    """Whether a keychain that protects secrets is there to hold workspace keys."""
    import keyring

    try:
        return _is_protecting(keyring.get_keyring())
    except Exception:  # a broken backend (e.g. no D-Bus) is no keychain
        return False


def no_keychain_reason() -> str:
    """Why no keychain is used, for the sentence that asks for a passphrase instead."""
    import keyring

    if os.environ.get("LABELER_NO_KEYCHAIN"):
        return "LABELER_NO_KEYCHAIN is set"
    try:
        refused = refused_backend(keyring.get_keyring())
    except Exception as err:
        return f"the keyring cannot be loaded ({type(err).__name__})"
    if refused is None:
        return "the keychain is not available"
    return f"the keyring backend {refused} is not one known to protect secrets"


def _account(salt: bytes, pending: bool = False) -> str:
    return f"workspace-{salt.hex()}" + ("-pending" if pending else "")


def keychain_load(account: str) -> str | None:
    """The secret stored under ``account``; a locked or failing keychain is one sentence."""
    import keyring
    from keyring.errors import KeyringLocked

    try:
        return keyring.get_password(SERVICE, account)
    except KeyringLocked:
        raise KeyUnavailableError(
            "The OS keychain is locked: unlock it and try again; nothing was changed."
        ) from None
    except Exception as err:  # D-Bus gone, the keychain daemon refusing: say so
        raise KeyUnavailableError(
            f"The OS keychain could not be read ({type(err).__name__}: {str(err)[:120]}); "
            "nothing was changed."
        ) from None


def keychain_store(account: str, secret: str) -> None:
    """Store ``secret`` under ``account``; a read-only or locked keychain is one sentence."""
    import keyring
    from keyring.errors import KeyringLocked

    try:
        keyring.set_password(SERVICE, account, secret)
    except KeyringLocked:
        raise KeyUnavailableError(
            "The OS keychain is locked: unlock it and try again; nothing was changed."
        ) from None
    except Exception as err:  # read-only, full, or refusing
        raise KeyUnavailableError(
            f"The OS keychain refused to store a key ({type(err).__name__}: "
            f"{str(err)[:120]}); nothing was changed."
        ) from None


def _keychain_get(salt: bytes, pending: bool = False) -> bytes | None:
    value = keychain_load(_account(salt, pending))
    if value is None:
        return None
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        return None
    return raw if len(raw) == KEY_BYTES else None


def _keychain_set(salt: bytes, raw: bytes, pending: bool = False) -> None:
    keychain_store(_account(salt, pending), raw.hex())


def _keychain_delete(salt: bytes, pending: bool = False) -> None:
    import keyring

    # A key that cannot be deleted (already gone, a read-only or locked keychain) is left:
    # an old pending key is only ever tried after the current one.
    with contextlib.suppress(Exception):
        keyring.delete_password(SERVICE, _account(salt, pending))


def derive_from_passphrase(passphrase: str, salt: bytes) -> bytes:
    """Stretch a passphrase into a 256-bit key with scrypt and the file's salt."""
    if not passphrase:
        raise KeyUnavailableError("The passphrase is empty.")
    return hashlib.scrypt(
        passphrase.encode("utf-8"),
        salt=salt,
        n=SCRYPT_N,
        r=SCRYPT_R,
        p=SCRYPT_P,
        maxmem=64 * 1024 * 1024,
        dklen=KEY_BYTES,
    )


def _ask(
    prompt: PassphrasePrompt | None,
    env: str,
    message: str,
    confirm: bool,
    missing: str | None = None,
) -> str:
    """A passphrase from ``env`` or the prompt; ``missing`` says why none came otherwise."""
    value = os.environ.get(env)
    if value:
        return value
    if prompt is None:
        if missing is None:
            missing = f"No keychain is used ({no_keychain_reason()}) and no passphrase was given"
        raise KeyUnavailableError(f"{missing}: set {env} or run interactively.")
    value = prompt(message, confirm)
    if not value:
        raise KeyUnavailableError("No passphrase was entered.")
    return value


def new_key(
    prompt: PassphrasePrompt | None = None, *, passphrase: str | None = None
) -> WorkspaceKey:
    """A key for a new workspace file: random in the keychain, else from a passphrase."""
    salt = secrets.token_bytes(SALT_BYTES)
    if passphrase is None and keychain_available():
        raw = secrets.token_bytes(KEY_BYTES)
        _keychain_set(salt, raw)
        return WorkspaceKey(raw, salt, SOURCE_KEYCHAIN)
    if passphrase is None:
        passphrase = _ask(
            prompt, "LABELER_PASSPHRASE", "Choose a passphrase for the new workspace", True
        )
    return WorkspaceKey(derive_from_passphrase(passphrase, salt), salt, SOURCE_PASSPHRASE)


def candidate_keys(
    salt: bytes,
    prompt: PassphrasePrompt | None = None,
    *,
    passphrase: str | None = None,
    where: str | None = None,
) -> list[WorkspaceKey]:
    """Keys to try, in order, for an existing file with this salt.

    A pending keychain key is offered after the current one: it is there only when a rotation
    was interrupted after the re-key, and then it is the key that opens the file.
    """
    missing = None
    if passphrase is None and keychain_available():
        keys = [
            WorkspaceKey(raw, salt, SOURCE_KEYCHAIN)
            for raw in (_keychain_get(salt), _keychain_get(salt, pending=True))
            if raw is not None
        ]
        if keys:
            return keys
        # Nothing in the file says which it was made with: say both what may have happened
        # and what to do, rather than ask for a passphrase that may never have existed.
        missing = (
            f"The OS keychain holds no key for {where or 'this workspace'}: if it was made on "
            "this computer, its keychain entry was deleted (restore the keychain from its "
            "backup, or open a --portable backup of the workspace); if it was made with a "
            "passphrase"
        )
    if passphrase is None:
        passphrase = _ask(
            prompt, "LABELER_PASSPHRASE", "Passphrase for the workspace", False, missing
        )
    return [WorkspaceKey(derive_from_passphrase(passphrase, salt), salt, SOURCE_PASSPHRASE)]


def settle_keychain(key: WorkspaceKey) -> None:
    """After a key opened the file, make it the keychain's current key (ends a rotation)."""
    if key.source != SOURCE_KEYCHAIN:
        return
    if _keychain_get(key.salt) != key.raw:
        try:
            _keychain_set(key.salt, key.raw)
        except KeyUnavailableError:
            return  # a read-only keychain: the pending key keeps opening it; settle next time
    _keychain_delete(key.salt, pending=True)


def rotation_key(old: WorkspaceKey, prompt: PassphrasePrompt | None = None) -> WorkspaceKey:
    """The next key for a workspace; a keychain key is parked as 'pending' before use.

    Parking first means a crash between the re-key and the keychain update loses nothing:
    the next open tries the pending key.
    """
    if old.source == SOURCE_KEYCHAIN:
        raw = secrets.token_bytes(KEY_BYTES)
        _keychain_set(old.salt, raw, pending=True)
        return WorkspaceKey(raw, old.salt, SOURCE_KEYCHAIN)
    passphrase = _ask(prompt, "LABELER_NEW_PASSPHRASE", "New passphrase for the workspace", True)
    return WorkspaceKey(derive_from_passphrase(passphrase, old.salt), old.salt, SOURCE_PASSPHRASE)


def abandon_rotation(key: WorkspaceKey) -> None:
    """Drop a parked key after a rotation failed before the re-key took effect."""
    if key.source == SOURCE_KEYCHAIN:
        _keychain_delete(key.salt, pending=True)


def backup_key(
    key: WorkspaceKey, portable: bool, prompt: PassphrasePrompt | None = None
) -> WorkspaceKey:
    """The key for a backup copy: the same key, or a fresh passphrase key that opens anywhere."""
    if not portable:
        return key
    salt = secrets.token_bytes(SALT_BYTES)
    passphrase = _ask(prompt, "LABELER_BACKUP_PASSPHRASE", "Passphrase for the backup", True)
    return WorkspaceKey(derive_from_passphrase(passphrase, salt), salt, SOURCE_PASSPHRASE)


def forget(salt: bytes) -> None:
    """Remove a workspace's keys from the keychain (used for throwaway demo workspaces)."""
    if keychain_available():
        _keychain_delete(salt)
        _keychain_delete(salt, pending=True)


__all__ = ["SOURCE_KEYCHAIN", "SOURCE_PASSPHRASE", "WorkspaceKey"]
