"""Test setup: offscreen Qt, an in-memory keyring, and no access to the real user's files."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any Qt import

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from labeler.crypto import keys
from labeler.labeling.session import LabelingSession
from labeler.workspace import Workspace


class MemoryKeyring(KeyringBackend):
    """A real keyring backend that keeps secrets in a dict (a stand-in for the OS keychain)."""

    priority = 10  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        if self.secrets.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith("LABELER_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    previous = keyring.get_keyring()
    yield
    keyring.set_keyring(previous)


MEMORY_KEYRING = f"{MemoryKeyring.__module__}.{MemoryKeyring.__qualname__}"


@pytest.fixture
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> MemoryKeyring:
    """The in-memory keychain, allowed as one that protects secrets (the allow-list in
    labeler/crypto/keys.py names only the operating systems' own keychains)."""
    monkeypatch.setattr(keys, "PROTECTING_BACKENDS", keys.PROTECTING_BACKENDS | {MEMORY_KEYRING})
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    return backend


@pytest.fixture
def no_keyring() -> None:
    keyring.set_keyring(fail.Keyring())


@pytest.fixture
def workspace(tmp_path: Path, memory_keyring: MemoryKeyring) -> Iterator[Workspace]:
    ws = Workspace.create(tmp_path / "ws.lbw")
    yield ws
    ws.close()


def close_session(session: LabelingSession) -> None:
    """Close the workspace behind a session (its writer and its reader)."""
    session.writer.close()
    session.store.close()


def raw_bytes(path: Path) -> bytes:
    """The database file and its WAL/SHM side files, as they are on disk."""
    data = b""
    for suffix in ("", "-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            data += side.read_bytes()
    return data
