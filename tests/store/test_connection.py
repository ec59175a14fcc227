"""The encrypted store: round trips, encryption at rest, and refusing bad files unchanged."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
import sqlcipher3

from labeler.errors import WorkspaceError
from labeler.store import meta, migrations
from labeler.store.connection import CIPHER_SETTINGS
from labeler.workspace import Workspace
from tests.conftest import raw_bytes

MARKER = "MARKER-7f3a-customer-text"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_round_trip_and_marker_absent_from_raw_bytes(tmp_path: Path, memory_keyring) -> None:
    path = tmp_path / "ws.lbw"
    with Workspace.create(path) as ws:
        ws.writer.run(lambda tx: meta.put(tx, "note", MARKER))
        # While open, the text sits in the WAL: it must be encrypted there too.
        assert MARKER.encode() not in raw_bytes(path)
        assert path.with_name(path.name + "-wal").exists()
    with Workspace.open(path) as ws:
        assert meta.get(ws.store, "note") == MARKER
    assert MARKER.encode() not in raw_bytes(path)
    assert b"SQLite format 3" not in path.read_bytes()[:16]


def test_store_pragmas(workspace: Workspace) -> None:
    assert workspace.store.scalar("PRAGMA query_only") == 1  # the reader refuses writes
    assert workspace.writer.run(lambda tx: tx.scalar("PRAGMA query_only")) == 0
    store = workspace.writer.store
    assert store.scalar("PRAGMA journal_mode") == "wal"
    assert store.scalar("PRAGMA foreign_keys") == 1
    assert store.scalar("PRAGMA secure_delete") == 1
    assert store.scalar("PRAGMA synchronous") == 2  # FULL


def test_migrations_from_empty_then_reopen_runs_none(tmp_path: Path, memory_keyring) -> None:
    path = tmp_path / "ws.lbw"
    with Workspace.create(path) as ws:
        assert meta.schema_version(ws.store) == migrations.SCHEMA_VERSION
        assert {"items", "labels", "bundles", "labelers", "audit_log"} <= set(
            ws.store.db.table_names()
        )
    with Workspace.open(path) as ws:
        assert migrations.migrate(ws.store.conn) == 0
        assert meta.schema_version(ws.store) == migrations.SCHEMA_VERSION


def test_create_refuses_existing_file(tmp_path: Path, memory_keyring) -> None:
    path = tmp_path / "ws.lbw"
    path.write_bytes(b"something precious")
    with pytest.raises(WorkspaceError, match="already exists"):
        Workspace.create(path)
    assert path.read_bytes() == b"something precious"


def _passphrase_workspace(path: Path) -> None:
    Workspace.create(path, passphrase="correct horse").close()


def test_wrong_passphrase_leaves_file_unchanged(tmp_path: Path, no_keyring) -> None:
    path = tmp_path / "ws.lbw"
    _passphrase_workspace(path)
    before = digest(path)
    with pytest.raises(WorkspaceError, match="Wrong passphrase"):
        Workspace.open(path, passphrase="battery staple")
    assert digest(path) == before
    assert not path.with_name(path.name + "-wal").exists()


def test_plain_sqlite_file_refused(tmp_path: Path, memory_keyring) -> None:
    path = tmp_path / "plain.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t(x)")
    conn.commit()
    conn.close()
    before = digest(path)
    with pytest.raises(WorkspaceError, match="plain, unencrypted SQLite"):
        Workspace.open(path)
    assert digest(path) == before


@pytest.mark.parametrize("size", [4096, 8192, 12288])
def test_random_bytes_refused(tmp_path: Path, no_keyring, size: int) -> None:
    path = tmp_path / "random.lbw"
    path.write_bytes(hashlib.shake_256(b"seed").digest(size))
    before = digest(path)
    with pytest.raises(WorkspaceError):
        Workspace.open(path, passphrase="anything")
    assert digest(path) == before


def test_truncated_file_refused(tmp_path: Path, memory_keyring) -> None:
    path = tmp_path / "ws.lbw"
    with Workspace.create(path) as ws:
        ws.writer.run(lambda tx: meta.put(tx, "padding", "x" * 20000))
    data = path.read_bytes()
    for cut in (len(data) - 4096, len(data) - 100, 5000):
        path.write_bytes(data[:cut])
        before = digest(path)
        with pytest.raises(WorkspaceError, match=r"truncated|damaged"):
            Workspace.open(path)
        assert digest(path) == before


def test_empty_file_refused(tmp_path: Path, memory_keyring) -> None:
    path = tmp_path / "empty.lbw"
    path.write_bytes(b"")
    with pytest.raises(WorkspaceError, match="empty"):
        Workspace.open(path)
    assert path.read_bytes() == b""


def test_newer_schema_refused_unchanged(tmp_path: Path, memory_keyring) -> None:
    path = tmp_path / "ws.lbw"
    with Workspace.create(path) as ws:
        version = migrations.SCHEMA_VERSION + 5
        ws.writer.run(lambda tx: tx.conn.execute(f"PRAGMA user_version = {version}"))
    before = digest(path)
    with pytest.raises(WorkspaceError, match="newer Labeler"):
        Workspace.open(path)
    assert digest(path) == before


def test_missing_file_is_not_created(tmp_path: Path, memory_keyring) -> None:
    path = tmp_path / "nothing.lbw"
    with pytest.raises(WorkspaceError, match="no workspace"):
        Workspace.open(path)
    assert not path.exists()


def _foreign_database(path: Path, *statements: str) -> None:
    """An SQLCipher file under the key the passphrase "pw" gives, with our cipher settings:
    it opens with the right key, so only what is inside can tell it is not a workspace."""
    from labeler.crypto.keys import derive_from_passphrase

    salt = bytes(range(16))
    key = derive_from_passphrase("pw", salt)
    conn = sqlcipher3.connect(str(path))
    conn.execute(f"PRAGMA key = \"x'{key.hex()}{salt.hex()}'\"")
    for name, value in CIPHER_SETTINGS:
        conn.execute(f"PRAGMA {name} = {value}")
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()


def test_foreign_sqlcipher_database_refused(tmp_path: Path, no_keyring) -> None:
    path = tmp_path / "other.db"
    _foreign_database(path, "CREATE TABLE t(x)")
    before = digest(path)
    with pytest.raises(WorkspaceError, match="not a Labeler workspace"):
        Workspace.open(path, passphrase="pw")
    assert digest(path) == before


@pytest.mark.parametrize(
    "rows",
    [
        ["INSERT INTO meta VALUES ('app', 'notes-app')"],  # another program's own meta table
        ["INSERT INTO meta VALUES ('schema', '3')"],  # a meta table without our app id
    ],
)
def test_encrypted_file_with_a_meta_table_but_not_ours_is_refused_unchanged(
    tmp_path: Path, no_keyring, rows: list[str]
) -> None:
    path = tmp_path / "other.db"
    _foreign_database(path, "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT)", *rows)
    before = digest(path)
    with pytest.raises(
        WorkspaceError, match="is an encrypted database, but not a Labeler workspace"
    ):
        Workspace.open(path, passphrase="pw")
    assert digest(path) == before
    assert not path.with_name(path.name + "-wal").exists()
