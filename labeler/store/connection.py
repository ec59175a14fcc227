"""Open, create, re-key and copy the encrypted workspace file (SQLCipher 4).

Opening checks before it writes: the key is verified with a read (SQLCipher answers "ok" to
``PRAGMA key`` whatever the key), then size and schema version; only then are WAL and
migrations applied, so a file that fails any check is left byte-for-byte unchanged.
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NewType

import sqlcipher3.dbapi2 as dbapi

from labeler.errors import WorkspaceError, WrongKeyError
from labeler.store import migrations
from labeler.store.errors import DatabaseError, explain
from labeler.store.key import SOURCE_KEYCHAIN, WorkspaceKey

# Cipher settings every connection applies right after the key, before its first read:
# - 16 KiB pages, not SQLCipher's 4 KiB default: bulk import measured ~22% faster here;
# - HMAC-SHA256 page authentication instead of the default HMAC-SHA512: as strong for a page
#   MAC, and SHA-256 runs in hardware (SHA-NI) here; bulk insert measured ~12% faster.
PAGE_SIZE = 16384
CIPHER_SETTINGS = (("cipher_page_size", str(PAGE_SIZE)), ("cipher_hmac_algorithm", "HMAC_SHA256"))
PLAIN_SQLITE_MAGIC = b"SQLite format 3\x00"
APP_ID = "labeler"


class Store:
    """One connection to the workspace file: reads only, unless it is the writer's.

    Readers are opened with ``query_only`` on, so SQLite itself refuses a write through them;
    the one writable connection belongs to ``store.writer.Writer``. Driver errors become a
    ``StoreError`` sentence that names the file.
    """

    def __init__(self, path: Path, conn: Any, key: WorkspaceKey, *, writable: bool) -> None:
        self.path = path
        self.conn = conn
        self.key = key
        self.writable = writable
        self._db: Any = None
        # Set when a page failed its integrity check: the writer refuses every write with it.
        self.refusal: str | None = None

    @property
    def db(self) -> Any:
        """A sqlite-utils view of the connection (loaded on first use, off the start-up path)."""
        if self._db is None:
            from labeler.store.driver import Database

            self._db = Database(self.conn, execute_plugins=False)
        return self._db

    def close(self) -> None:
        self.conn.close()

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Any]:
        try:
            return list(self.conn.execute(sql, params).fetchall())
        except DatabaseError as err:
            raise explain(err, self.path, writing=False) from None

    def scalar(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        try:
            row = self.conn.execute(sql, params).fetchone()
        except DatabaseError as err:
            raise explain(err, self.path, writing=False) from None
        return None if row is None else row[0]


# The store a write runs on: only the writer hands one out (inside its transaction), so a
# function that takes a WriteStore cannot be called with a reader (mypy checks it).
WriteStore = NewType("WriteStore", Store)


def check_place(path: Path) -> None:
    """Refuse a workspace path that is a link to nothing, a folder, or not a regular file."""
    if path.is_symlink() and not path.exists():
        raise WorkspaceError(
            f"{path} is a link to {os.readlink(path)}, which does not exist; point it at the "
            "workspace file or remove it."
        )
    if path.is_dir():
        raise WorkspaceError(f"{path} is a folder, not a workspace file.")
    if path.exists() and not path.is_file():
        raise WorkspaceError(f"{path} is not a regular file, so not a workspace.")


def read_salt(path: Path) -> bytes:
    """The file's salt, after the checks that need no key (exists, not plain, not cut short)."""
    check_place(path)
    if not path.exists():
        raise WorkspaceError(f"There is no workspace at {path}; create one with 'labeler init'.")
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(16)
    except OSError as err:
        raise WorkspaceError(f"{path} cannot be read ({err.strerror}).") from None
    if size == 0:
        raise WorkspaceError(f"{path} is empty, not a Labeler workspace.")
    if head == PLAIN_SQLITE_MAGIC:
        raise WorkspaceError(
            f"{path} is a plain, unencrypted SQLite database, not a Labeler workspace."
        )
    if size < PAGE_SIZE or size % PAGE_SIZE:
        raise WorkspaceError(f"{path} is truncated or damaged: its size is not whole pages.")
    return head


def _connect(path: Path, key: WorkspaceKey, mode: str) -> Any:
    uri = f"file:{path.resolve().as_posix()}?mode={mode}"
    conn = dbapi.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    # SQLCipher logs failed HMAC checks to stderr; a wrong key is reported by us, once.
    conn.execute("PRAGMA cipher_log_level = NONE")
    conn.execute(f"PRAGMA key = {key.sqlcipher_literal()}")
    for name, value in CIPHER_SETTINGS:
        conn.execute(f"PRAGMA {name} = {value}")
    return conn


def _unlocks(path: Path, conn: Any) -> bool:
    """Whether the key opens the file: a wrong key reads as "not a database"; any other
    refusal (a full disk when the shared-memory file is made, a lock) is that fault's
    sentence, not "wrong key"."""
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except DatabaseError as err:
        if "not a database" in str(err).lower():
            return False
        conn.close()
        raise explain(err, path, writing=False) from None
    return True


def _sidecars(path: Path) -> list[Path]:
    return [path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


def _remove_new_sidecars(path: Path, existed: list[bool]) -> None:
    """After a failed open, delete the empty WAL and the shared-memory file SQLite made for
    it, so a refused open leaves the workspace as it found it. Only ones that were not there
    before: those belong to a program that has the workspace open."""
    wal, shm = _sidecars(path)
    if not existed[0] and wal.exists() and wal.stat().st_size == 0:
        wal.unlink(missing_ok=True)
        if not existed[1]:
            shm.unlink(missing_ok=True)


def damaged_pages(conn: Any) -> list[str]:
    """SQLCipher's own check: every page's HMAC, read from the file (about 3 ms a MB here).

    A page whose HMAC fails was changed outside SQLCipher (a disk error, an edit): the rows
    name it, e.g. "HMAC verification failed for page 51".
    """
    return [str(row[0]) for row in conn.execute("PRAGMA cipher_integrity_check").fetchall()]


def _damage_sentence(path: Path, conn: Any) -> str | None:
    try:
        failures = damaged_pages(conn)
    except DatabaseError as err:
        return str(explain(err, path, writing=False))
    if not failures:
        return None
    return (
        f"{path} is damaged: {len(failures)} page(s) failed their integrity check "
        f"({failures[0]}); nothing was written. Restore it from a backup."
    )


def _check_integrity(path: Path, conn: Any) -> None:
    """Refuse to open a file with a damaged page for writing."""
    sentence = _damage_sentence(path, conn)
    if sentence is not None:
        raise WorkspaceError(sentence)


def guard_integrity(store: WriteStore) -> str | None:
    """The writer's first job when a workspace is opened (``open_writable(integrity=False)``):
    check every page and, if one is damaged, make the writer refuse every write with that
    sentence, which is also returned. Run there, not before the open returns, so the app shows
    its first item meanwhile: SQLCipher releases the GIL while it checks (1.5 ms a MB).

    A process that exits during the check (the writer's thread is a daemon) interrupts it
    first: a C call still running while the interpreter shuts down can crash it.
    """
    stop = store.conn.interrupt
    atexit.register(stop)
    try:
        store.refusal = _damage_sentence(store.path, store.conn)
    finally:
        atexit.unregister(stop)
    return store.refusal


def _check_opened(path: Path, conn: Any) -> None:
    """Size and schema checks on a connection whose key worked; raise before any write."""
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    wal = path.with_name(path.name + "-wal")
    if pages * PAGE_SIZE > path.stat().st_size and not wal.exists():
        raise WorkspaceError(f"{path} is truncated or damaged: pages are missing.")
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > migrations.SCHEMA_VERSION:
        raise WorkspaceError(
            f"{path} was written by a newer Labeler (schema {version}, this version reads up "
            f"to {migrations.SCHEMA_VERSION}); upgrade Labeler to open it."
        )
    try:
        app = conn.execute("SELECT value FROM meta WHERE key = 'app'").fetchone()
    except DatabaseError as err:
        raise WorkspaceError(f"{path} is damaged or not a Labeler workspace.") from err
    if app is None or app[0] != APP_ID:
        raise WorkspaceError(f"{path} is an encrypted database, but not a Labeler workspace.")


def _configure(conn: Any) -> None:
    conn.execute("PRAGMA foreign_keys = ON")
    # secure_delete overwrites deleted content, so redacted or purged text leaves no trace.
    conn.execute("PRAGMA secure_delete = ON")
    conn.execute("PRAGMA busy_timeout = 5000")
    conn.execute("PRAGMA journal_mode = WAL")
    # In WAL mode, synchronous=NORMAL may lose the last commits on a power cut (the WAL is
    # not fsynced per commit). FULL fsyncs the WAL on every commit, so a saved label survives
    # a power cut; it costs ~1 ms a commit here, well inside the 10 ms save budget.
    conn.execute("PRAGMA synchronous = FULL")


def _unlock_message(path: Path, key: WorkspaceKey) -> str:
    if key.source == SOURCE_KEYCHAIN:
        return (
            f"The key in the OS keychain does not open {path}: the file is damaged or was replaced."
        )
    return f"Wrong passphrase for {path}, or the file is damaged or not a Labeler workspace."


def _unlock(path: Path, keys: Sequence[WorkspaceKey]) -> tuple[Any, WorkspaceKey]:
    """A connection opened with the first key that unlocks the file, and that key."""
    read_salt(path)
    if not keys:
        raise WorkspaceError(f"No key was given for {path}.")
    existed = [side.exists() for side in _sidecars(path)]
    try:
        for key in keys:
            try:
                conn = _connect(path, key, "rw")
            except DatabaseError as err:
                raise explain(err, path, writing=False) from None
            if _unlocks(path, conn):
                return conn, key
            conn.close()
        raise WrongKeyError(_unlock_message(path, keys[0]))
    except BaseException:
        _remove_new_sidecars(path, existed)
        raise


def open_writable(path: Path, keys: Sequence[WorkspaceKey], *, integrity: bool = True) -> Store:
    """Open an existing workspace for its one writer: checks, then WAL and migrations.

    ``integrity`` False leaves the page check to the caller, who must make
    ``guard_integrity`` the writer's first job (the workspace does). Only ``Writer`` (and a
    backup being verified) may hold what this returns.
    """
    existed = [side.exists() for side in _sidecars(path)]
    conn, key = _unlock(path, keys)
    try:
        _check_opened(path, conn)
        if integrity:
            _check_integrity(path, conn)
        _configure(conn)
        migrations.migrate(conn)
    except DatabaseError as err:
        conn.close()
        _remove_new_sidecars(path, existed)
        raise explain(err, path, writing=True) from None
    except BaseException:
        conn.close()
        _remove_new_sidecars(path, existed)
        raise
    return Store(path, conn, key, writable=True)


def open_reader(path: Path, key: WorkspaceKey) -> Store:
    """A read-only connection (``query_only``): for the GUI thread or a worker's reads."""
    conn, key = _unlock(path, [key])
    try:
        _check_opened(path, conn)
        conn.execute("PRAGMA busy_timeout = 5000")
        conn.execute("PRAGMA query_only = ON")
    except DatabaseError as err:
        conn.close()
        raise explain(err, path, writing=False) from None
    except BaseException:
        conn.close()
        raise
    return Store(path, conn, key, writable=False)


def create_store(path: Path, key: WorkspaceKey, workspace_id: str) -> Store:
    """Create a new workspace file for its writer; refuses to touch an existing one."""
    check_place(path)
    if path.exists() or path.is_symlink():
        raise WorkspaceError(f"{path} already exists; refusing to create a workspace over it.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = _connect(path, key, "rwc")
    except OSError as err:
        raise WorkspaceError(f"Cannot create {path} ({err.strerror}).") from None
    except DatabaseError as err:
        raise explain(err, path, writing=True) from None
    try:
        _configure(conn)
        migrations.migrate(conn, workspace_id=workspace_id)
        os.chmod(path, 0o600)
    except BaseException as err:
        conn.close()
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        if isinstance(err, DatabaseError):
            raise explain(err, path, writing=True) from None
        raise
    return Store(path, conn, key, writable=True)


def checkpoint(store: WriteStore) -> bool:
    """Move the WAL into the database file and truncate it, so old page versions are gone.

    True when every frame was moved and the WAL emptied; False when a reader still held an
    old snapshot (the caller says so, and the next checkpoint finishes the job).
    """
    busy, log_frames, moved = store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    return bool(busy == 0 and moved == log_frames)


def rekey(store: WriteStore, new_key: WorkspaceKey) -> None:
    """Re-encrypt every page under ``new_key`` (one transaction inside SQLCipher)."""
    store.conn.execute(f"PRAGMA rekey = {new_key.sqlcipher_literal()}")
    store.key = new_key


def export_copy(store: WriteStore, target: Path, key: WorkspaceKey) -> None:
    """Write an encrypted copy of the workspace to ``target`` under ``key``."""
    literal = key.sqlcipher_literal()
    try:
        store.conn.execute("ATTACH DATABASE ? AS backup KEY " + literal, (str(target),))
        try:
            for name, value in CIPHER_SETTINGS:
                store.conn.execute(f"PRAGMA backup.{name} = {value}")
            store.conn.execute("SELECT sqlcipher_export('backup')")
            version = store.scalar("PRAGMA user_version")
            store.conn.execute(f"PRAGMA backup.user_version = {int(version)}")
        finally:
            store.conn.execute("DETACH DATABASE backup")
        os.chmod(target, 0o600)
    except DatabaseError as err:  # the copy's disk, not the workspace's, refused
        raise explain(err, target, writing=True) from None
    except OSError as err:
        raise WorkspaceError(f"Cannot write {target} ({err.strerror}).") from None
