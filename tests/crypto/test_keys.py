"""Key management: keychain path, passphrase fallback, refusing unsafe backends, rotation."""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest
from keyring.backends import chainer, fail

from labeler.crypto import keys
from labeler.errors import KeyUnavailableError, WorkspaceError
from labeler.workspace import Workspace
from tests.conftest import MemoryKeyring


def test_keychain_path_stores_a_random_raw_key(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    path = tmp_path / "ws.lbw"
    with Workspace.create(path) as ws:
        assert ws.key_source == keys.SOURCE_KEYCHAIN
        salt = path.read_bytes()[:16]
    stored = memory_keyring.secrets[("labeler", f"workspace-{salt.hex()}")]
    assert len(bytes.fromhex(stored)) == 32
    with Workspace.open(path) as ws:
        assert ws.key_source == keys.SOURCE_KEYCHAIN


def test_passphrase_fallback_with_fail_backend(
    tmp_path: Path, no_keyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ws.lbw"
    monkeypatch.setenv("LABELER_PASSPHRASE", "long enough passphrase")
    with Workspace.create(path) as ws:
        assert ws.key_source == keys.SOURCE_PASSPHRASE
    with Workspace.open(path) as ws:
        assert ws.key_source == keys.SOURCE_PASSPHRASE
    monkeypatch.delenv("LABELER_PASSPHRASE")
    with pytest.raises(KeyUnavailableError, match="LABELER_PASSPHRASE"):
        Workspace.open(path)
    asked: list[str] = []

    def prompt(message: str, confirm: bool) -> str:
        asked.append(message)
        return "long enough passphrase"

    with Workspace.open(path, prompt) as ws:
        assert ws.info().items == 0
    assert asked == ["Passphrase for the workspace"]


class PlaintextLookalike(MemoryKeyring):
    """Stands for keyrings.alt's file backend, which keyring picks on headless machines."""


PlaintextLookalike.__module__ = "keyrings.alt.file"


def test_plaintext_backend_is_treated_as_no_keychain(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = PlaintextLookalike()
    keyring.set_keyring(backend)
    assert not keys.keychain_available()
    monkeypatch.setenv("LABELER_PASSPHRASE", "pw for plaintext machine")
    with Workspace.create(tmp_path / "ws.lbw") as ws:
        assert ws.key_source == keys.SOURCE_PASSPHRASE
    assert backend.secrets == {}


def test_chainer_with_a_plaintext_member_is_refused(memory_keyring: MemoryKeyring) -> None:
    chain = chainer.ChainerBackend()
    chain.__dict__["backends"] = [memory_keyring, PlaintextLookalike()]
    keyring.set_keyring(chain)
    assert not keys.keychain_available()
    keyring.set_keyring(fail.Keyring())
    assert not keys.keychain_available()


def test_key_repr_never_shows_the_key() -> None:
    key = keys.WorkspaceKey(b"\x01" * 32, b"\x02" * 16, keys.SOURCE_KEYCHAIN)
    assert "0101" not in repr(key) and "\\x01" not in repr(key)


def test_rotate_keychain_key(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    path = tmp_path / "ws.lbw"
    with Workspace.create(path) as ws:
        old = ws.store.key
        ws.rotate_key()
        new = ws.store.key
        assert new.raw != old.raw
        assert ws.info().items == 0
    account = ("labeler", f"workspace-{old.salt.hex()}")
    assert memory_keyring.secrets[account] == new.raw.hex()
    assert ("labeler", f"workspace-{old.salt.hex()}-pending") not in memory_keyring.secrets
    memory_keyring.secrets[account] = old.raw.hex()  # the old key no longer opens it
    with pytest.raises(WorkspaceError, match="keychain does not open"):
        Workspace.open(path)


def test_interrupted_rotation_recovers_with_pending_key(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    from labeler.store import connection

    path = tmp_path / "ws.lbw"
    with Workspace.create(path) as ws:
        new = keys.rotation_key(ws.store.key)
        connection.rekey(ws.store, new)  # crash here: keychain still names the old key
    with Workspace.open(path) as ws:
        assert ws.store.key.raw == new.raw
    account = ("labeler", f"workspace-{new.salt.hex()}")
    assert memory_keyring.secrets[account] == new.raw.hex()


def test_rotate_passphrase(tmp_path: Path, no_keyring, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "ws.lbw"
    Workspace.create(path, passphrase="first passphrase").close()
    monkeypatch.setenv("LABELER_NEW_PASSPHRASE", "second passphrase")
    with Workspace.open(path, passphrase="first passphrase") as ws:
        ws.rotate_key()
    with pytest.raises(WorkspaceError):
        Workspace.open(path, passphrase="first passphrase")
    Workspace.open(path, passphrase="second passphrase").close()


def test_backup_opens_with_same_contents(tmp_path: Path, workspace: Workspace) -> None:
    from labeler.store import meta

    workspace.writer.run(lambda tx: meta.put(tx, "note", "kept"))
    target = tmp_path / "backup.lbw"
    workspace.backup(target)
    with Workspace.open(target) as copy:
        assert meta.get(copy.store, "note") == "kept"
    with pytest.raises(WorkspaceError, match="already exists"):
        workspace.backup(target)
    assert not list(tmp_path.glob("*.partial*"))


def test_portable_backup_opens_without_the_keychain(
    tmp_path: Path, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LABELER_BACKUP_PASSPHRASE", "offsite passphrase")
    target = tmp_path / "offsite.lbw"
    workspace.backup(target, portable=True)
    keyring.set_keyring(MemoryKeyring())  # another laptop: an empty keychain
    with Workspace.open(target, passphrase="offsite passphrase") as copy:
        assert copy.workspace_id == workspace.workspace_id


def test_the_allow_list_names_the_refused_backend() -> None:
    """Only the operating systems' own keychains pass; anything else is refused by name."""
    from keyring.backends import null

    def backend_named(module: str, name: str) -> object:
        kind = type(name, (MemoryKeyring,), {"__module__": module})
        kind.__qualname__ = name
        return kind()

    for allowed in sorted(keys.PROTECTING_BACKENDS):
        module, _, name = allowed.rpartition(".")
        assert keys.refused_backend(backend_named(module, name)) is None
    assert keys.refused_backend(fail.Keyring()) == "keyring.backends.fail.Keyring"
    assert keys.refused_backend(null.Keyring()) == "keyring.backends.null.Keyring"
    lookalike = backend_named("keyring.backends.SecretService", "KeyringPlaintext")
    assert keys.refused_backend(lookalike) == "keyring.backends.SecretService.KeyringPlaintext"

    def chain_of(*members: object) -> object:
        # ChainerBackend.backends is a class property over every registered backend; a
        # subclass's own property names the chain instead.
        class Chain(chainer.ChainerBackend):
            @property
            def backends(self) -> list[object]:  # type: ignore[override]
                return list(members)

        return Chain()

    mac = backend_named("keyring.backends.macOS", "Keyring")
    assert keys.refused_backend(chain_of(mac)) is None
    assert keys.refused_backend(chain_of(mac, PlaintextLookalike())) == (
        "keyrings.alt.file.PlaintextLookalike"
    )
    assert "an empty chain" in str(keys.refused_backend(chain_of()))
