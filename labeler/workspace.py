"""Workspace: the one object a front end holds — the open store and who is using it.

Front ends never touch SQL or keys directly: they call methods here, and every write
returns ``Changes``.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from labeler.crypto import keys
from labeler.domain import WorkspaceInfo
from labeler.errors import WorkspaceError
from labeler.store import connection, meta
from labeler.store.connection import Store

WORKSPACE_ENV = "LABELER_WORKSPACE"
WORKSPACE_FILENAME = "workspace.lbw"


def default_path() -> Path:
    import platformdirs

    return platformdirs.user_data_path("labeler", appauthor=False) / WORKSPACE_FILENAME


def resolve_path(path: str | Path | None) -> Path:
    """``--workspace``, else ``LABELER_WORKSPACE``, else the user data dir."""
    chosen = path or os.environ.get(WORKSPACE_ENV)
    return Path(chosen).expanduser() if chosen else default_path()


class Workspace:
    """An open workspace. Close it when done (or use it as a context manager)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @property
    def path(self) -> Path:
        return self.store.path

    @property
    def key_source(self) -> str:
        return self.store.key.source

    @classmethod
    def open(
        cls,
        path: str | Path | None = None,
        prompt: keys.PassphrasePrompt | None = None,
        *,
        passphrase: str | None = None,
    ) -> Workspace:
        resolved = resolve_path(path)
        salt = connection.read_salt(resolved)
        candidates = keys.candidate_keys(salt, prompt, passphrase=passphrase)
        store = connection.open_store(resolved, candidates)
        keys.settle_keychain(store.key)
        from labeler.privacy.purge import apply_retention

        apply_retention(store)  # retention is applied on every open
        return cls(store)

    @classmethod
    def create(
        cls,
        path: str | Path | None = None,
        prompt: keys.PassphrasePrompt | None = None,
        *,
        passphrase: str | None = None,
    ) -> Workspace:
        resolved = resolve_path(path)
        if resolved.exists():
            raise WorkspaceError(f"{resolved} already exists; refusing to create over it.")
        key = keys.new_key(prompt, passphrase=passphrase)
        try:
            store = connection.create_store(resolved, key, uuid.uuid4().hex)
        except BaseException:
            keys.forget(key.salt)
            raise
        return cls(store)

    @classmethod
    def open_or_create(
        cls, path: str | Path | None = None, prompt: keys.PassphrasePrompt | None = None
    ) -> Workspace:
        resolved = resolve_path(path)
        if resolved.exists():
            return cls.open(resolved, prompt)
        return cls.create(resolved, prompt)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def workspace_id(self) -> str:
        return meta.get(self.store, "workspace_id") or ""

    def info(self) -> WorkspaceInfo:
        counts = meta.counts(self.store)
        return WorkspaceInfo(
            path=str(self.path),
            workspace_id=self.workspace_id,
            schema_version=meta.schema_version(self.store),
            key_source=self.key_source,
            items=counts["items"],
            labels=counts["labels"],
            bundles=counts["bundles"],
            restricted=counts["restricted"],
            weeks=meta.weeks(self.store),
        )

    def rotate_key(self, prompt: keys.PassphrasePrompt | None = None) -> None:
        """Re-key the file; the old key is dropped only after the new one reopens it."""
        old = self.store.key
        new = keys.rotation_key(old, prompt)
        try:
            connection.rekey(self.store, new)
        except BaseException:
            keys.abandon_rotation(new)
            raise
        path = self.path
        self.store.close()
        self.store = connection.open_store(path, [new])
        keys.settle_keychain(new)

    def backup(
        self, target: Path, *, portable: bool = False, prompt: keys.PassphrasePrompt | None = None
    ) -> WorkspaceInfo:
        """Write an encrypted copy to ``target`` and prove it opens with the same contents."""
        target = target.expanduser()
        if target.exists():
            raise WorkspaceError(f"{target} already exists; choose a new backup file name.")
        if target.resolve() == self.path.resolve():
            raise WorkspaceError("The backup cannot overwrite the workspace itself.")
        key = keys.backup_key(self.store.key, portable, prompt)
        partial = target.with_name(target.name + ".partial")
        for leftover in _with_sidecars(partial):
            leftover.unlink(missing_ok=True)
        try:
            connection.export_copy(self.store, partial, key)
            copy = Workspace(connection.open_store(partial, [key]))
            try:
                copied = copy.info()
            finally:
                copy.close()
            expected = self.info()
            if (copied.items, copied.labels, copied.bundles) != (
                expected.items,
                expected.labels,
                expected.bundles,
            ):
                raise WorkspaceError("The backup copy does not match the workspace; not kept.")
            os.replace(partial, target)
        finally:
            for leftover in _with_sidecars(partial):
                leftover.unlink(missing_ok=True)
        return copied


def _with_sidecars(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
