"""Workspace: the one object a front end holds — the open store and who is using it.

Front ends never touch SQL or keys directly: they call methods here, and every write
returns ``Changes``. Opening checks the place first (a link to nothing, a folder), then the
key, then every page's integrity (``store.connection``), and only then writes: it finishes a
purge a reader interrupted and deletes interrupted backups' partial copies.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import uuid
from concurrent.futures import Future
from pathlib import Path

from labeler.crypto import age_keys, keys, roster, signing
from labeler.domain import WorkspaceInfo
from labeler.errors import WorkspaceError
from labeler.labeling.session import LabelingSession
from labeler.privacy import backups
from labeler.privacy.purge import finish_pending_scrub
from labeler.privacy.retention import apply_retention
from labeler.store import connection, meta
from labeler.store.writer import Writer
from labeler.team.identity import key_labeler_id

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
    """An open workspace: the writer, a reader for this thread, and the labeling session.

    ``store`` is a read-only connection for the thread that opened the workspace (the GUI
    thread or the CLI); every write goes through ``writer``. A worker thread that reads takes
    its own ``open_reader()`` and closes it. Close the workspace when done (or use ``with``).
    """

    def __init__(self, writer: Writer) -> None:
        self.writer = writer
        self.store = connection.open_reader(writer.path, writer.store.key)
        self._session: LabelingSession | None = None
        self.integrity: Future[str | None] = _checked()
        self._workspace_id: str | None = None

    @property
    def path(self) -> Path:
        return self.store.path

    @property
    def key(self) -> keys.WorkspaceKey:
        return self.writer.store.key

    @property
    def key_source(self) -> str:
        return self.key.source

    @property
    def session(self) -> LabelingSession:
        """The person's labeling session on this workspace (one per open workspace)."""
        if self._session is None:
            self._session = LabelingSession(self.store, self.writer, self.workspace_id)
            self._session.assignee = self._assignee_id
        return self._session

    def _assignee_id(self) -> str:
        """The id assignments and other laptops know this person by: the roster's member id
        (it survives a key rotation), else the one their key gives (``key_labeler_id``)."""
        member = roster.me(self.store)
        return member.id if member else key_labeler_id(signing.signing_key(self.store).public)

    def open_reader(self) -> connection.Store:
        """A read-only connection for another thread; the caller closes it."""
        return connection.open_reader(self.path, self.key)

    @classmethod
    def open(
        cls,
        path: str | Path | None = None,
        prompt: keys.PassphrasePrompt | None = None,
        *,
        passphrase: str | None = None,
        retention: bool = True,
    ) -> Workspace:
        """Open the file; retention is applied on every open (``retention=False``: the caller
        submits it itself, as the app does so that opening never waits on it)."""
        resolved = resolve_path(path)
        salt = connection.read_salt(resolved)
        candidates = keys.candidate_keys(salt, prompt, passphrase=passphrase, where=str(resolved))
        store = connection.open_writable(resolved, candidates, integrity=False)
        keys.settle_keychain(store.key)
        workspace = cls(Writer(store))
        # The page check is the writer's first job: every write waits behind it and is refused
        # if a page is damaged, while the app shows its first item (it reads, and the check
        # runs without the GIL). Open's own upkeep reads first and writes only when needed.
        workspace.integrity = workspace.writer.submit(connection.guard_integrity, transaction=False)
        try:
            if None in (
                meta.get(workspace.store, "signing_key_id"),
                meta.get(workspace.store, "age_recipient"),
            ):
                signing.ensure_signing_key(workspace.writer)
            finish_pending_scrub(workspace.writer, workspace.store)
            backups.remove_partials(workspace.writer, workspace.store)
            if retention:  # the CLI and tests: wait for the check, and say if it failed
                workspace.finish_open()
        except BaseException:
            workspace.close()
            raise
        return workspace

    def finish_open(self) -> None:
        """Wait for the open's page check (``WorkspaceError`` if it failed), then apply
        retention: what ``open(retention=False)`` leaves to its caller."""
        self.check_integrity()
        apply_retention(self.writer)

    def check_integrity(self) -> None:
        """Wait for the open's page check; ``WorkspaceError`` with its sentence if it failed."""
        sentence = self.integrity.result()
        if sentence is not None:
            raise WorkspaceError(sentence)

    @classmethod
    def create(
        cls,
        path: str | Path | None = None,
        prompt: keys.PassphrasePrompt | None = None,
        *,
        passphrase: str | None = None,
    ) -> Workspace:
        resolved = resolve_path(path)
        connection.check_place(resolved)
        if resolved.exists() or resolved.is_symlink():
            raise WorkspaceError(f"{resolved} already exists; refusing to create over it.")
        key = keys.new_key(prompt, passphrase=passphrase)
        try:
            store = connection.create_store(resolved, key, uuid.uuid4().hex)
        except BaseException:
            keys.forget(key.salt)
            raise
        workspace = cls(Writer(store))
        signing.ensure_signing_key(workspace.writer)
        return workspace

    @classmethod
    def open_or_create(
        cls,
        path: str | Path | None = None,
        prompt: keys.PassphrasePrompt | None = None,
        *,
        retention: bool = True,
    ) -> Workspace:
        resolved = resolve_path(path)
        if resolved.exists() or resolved.is_symlink():  # a dangling link: open says what it is
            return cls.open(resolved, prompt, retention=retention)
        return cls.create(resolved, prompt)

    def close(self) -> None:
        self.writer.close()
        self.store.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def workspace_id(self) -> str:
        if self._workspace_id is None:
            self._workspace_id = meta.get(self.store, "workspace_id") or ""
        return self._workspace_id

    def counts(self) -> dict[str, int]:
        """Items, labels, bundles and restricted items (cheaper than ``info``)."""
        return meta.counts(self.store)

    def info(self) -> WorkspaceInfo:
        return _info_of(self.store, self.key_source)

    def rotate_key(self, prompt: keys.PassphrasePrompt | None = None) -> list[str]:
        """Re-key the file; the old key is dropped only after the new one reopens it.

        Returns the backups this orphans: copies made under the old key (not the portable
        ones), which no longer open with the keychain's key (a keychain workspace) or open
        only with the old passphrase. The old key is not kept: a rotation is often made
        because it may have leaked, and keeping it would keep it usable.
        """
        old = self.key
        new = keys.rotation_key(old, prompt)
        try:
            self.writer.run(lambda tx: connection.rekey(tx, new), transaction=False)
        except BaseException:
            keys.abandon_rotation(new)
            raise
        path = self.path
        self.writer.close()
        self.store.close()
        self.writer = Writer(connection.open_writable(path, [new]))
        self.store = connection.open_reader(path, new)
        self._session = None
        keys.settle_keychain(new)
        return [record.path for record in backups.orphaned_by_rotation(self.writer)]

    def backup(
        self, target: Path, *, portable: bool = False, prompt: keys.PassphrasePrompt | None = None
    ) -> WorkspaceInfo:
        """Write an encrypted copy to ``target`` and prove it opens with the same contents."""
        target = target.expanduser()
        if target.exists():
            raise WorkspaceError(f"{target} already exists; choose a new backup file name.")
        if target.resolve() == self.path.resolve():
            raise WorkspaceError("The backup cannot overwrite the workspace itself.")
        key = keys.backup_key(self.key, portable, prompt)
        target = target.absolute()
        partial = target.with_name(target.name + ".partial")
        for leftover in backups.sidecars(partial):
            leftover.unlink(missing_ok=True)
        # Recorded before a byte is written: if this process dies mid-copy, the next open
        # (or a purge) finds the partial copy and deletes it.
        backups.started(self.writer, partial, portable)
        done = False
        try:
            copied = self._copy_to(partial, key, portable)
            try:
                os.replace(partial, target)
            except OSError as err:
                raise WorkspaceError(f"Cannot write {target}: {err.strerror}.") from None
            done = True
        finally:
            for leftover in backups.sidecars(partial):
                leftover.unlink(missing_ok=True)
            with contextlib.suppress(WorkspaceError):  # e.g. a full disk: the next open cleans
                backups.ended(self.writer, partial, target if done else None, portable)
        return dataclasses.replace(copied, path=str(target))

    def _copy_to(self, partial: Path, key: keys.WorkspaceKey, portable: bool) -> WorkspaceInfo:
        """Export the encrypted copy and prove it opens with the same contents."""
        self.writer.run(lambda tx: connection.export_copy(tx, partial, key), transaction=False)
        if portable:  # a copy under the backup passphrase: the keys travel inside it
            self._carry_keys(partial, key)
        copy = connection.open_reader(partial, key)
        try:
            copied = _info_of(copy, key.source)
        finally:
            copy.close()
        expected = self.info()
        if (copied.items, copied.labels, copied.bundles) != (
            expected.items,
            expected.labels,
            expected.bundles,
        ):
            raise WorkspaceError("The backup copy does not match the workspace; not kept.")
        return copied

    def _carry_keys(self, partial: Path, key: keys.WorkspaceKey) -> None:
        """A portable copy carries the signing key and the age identities in its own meta,
        where its backup passphrase encrypts them, so a restored laptop goes on signing and
        opening sealed files; one transaction, then the WAL is folded into the file."""
        own = signing.signing_key(self.store)  # a deleted keychain entry: its sentence, here
        copy = Writer(connection.open_writable(partial, [key]))
        try:

            def carry(tx: connection.WriteStore) -> None:
                signing.carry_into(tx, self.store)
                age_keys.carry_into(tx, self.store)

            copy.run(carry)
            copy.run(connection.checkpoint, transaction=False)
            carried = copy.run(lambda tx: signing.signing_key(tx).public, transaction=False)
            if carried != own.public:
                raise WorkspaceError("The backup copy's signing key does not match; not kept.")
        finally:
            copy.close()


def _checked() -> Future[str | None]:
    """The check of a workspace created (or re-keyed) here: nothing found."""
    done: Future[str | None] = Future()
    done.set_result(None)
    return done


def _info_of(store: connection.Store, key_source: str) -> WorkspaceInfo:
    counts = meta.counts(store)
    return WorkspaceInfo(
        path=str(store.path),
        workspace_id=meta.get(store, "workspace_id") or "",
        schema_version=meta.schema_version(store),
        key_source=key_source,
        items=counts["items"],
        labels=counts["labels"],
        bundles=counts["bundles"],
        restricted=counts["restricted"],
        weeks=meta.weeks(store),
    )
