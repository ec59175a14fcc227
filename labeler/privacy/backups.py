"""Backups as copies of customer text: the workspace records every backup it makes.

A backup is written as ``TARGET.partial`` and renamed when it is verified; a process killed in
between leaves the partial copy, which holds every text the workspace held. The record (in
``meta``, key ``backups``) lets the next open — and every purge — find such leftovers and
delete them, lets a purge name the finished backups that still hold the subject (it cannot
reach into them: they are the user's files, possibly on another disk), and lets a key
rotation name the backups it orphans.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from labeler.clock import utc_now
from labeler.store import meta
from labeler.store.connection import Store, WriteStore
from labeler.store.writer import Writer

KEY = "backups"
PARTIAL, DONE, ORPHANED = "partial", "done", "orphaned"
MAX_RECORDS = 1000  # the oldest records go first; a backup is a file the user also knows


@dataclass(frozen=True)
class BackupRecord:
    path: str
    state: str
    made_at: str
    portable: bool


def _records(store: Store) -> list[BackupRecord]:
    text = meta.get(store, KEY)
    if not text:
        return []
    try:
        raw = json.loads(text)
        return [
            BackupRecord(str(r["path"]), str(r["state"]), str(r["made_at"]), bool(r["portable"]))
            for r in raw
        ]
    except (ValueError, KeyError, TypeError):
        return []  # a damaged record must not stop an open; it is rewritten on the next backup


def _save(tx: WriteStore, records: list[BackupRecord]) -> None:
    kept = records[-MAX_RECORDS:]
    meta.put(tx, KEY, json.dumps([r.__dict__ for r in kept], sort_keys=True))


def sidecars(path: Path) -> list[Path]:
    """A SQLite file and the WAL and shared-memory files beside it."""
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


def started(writer: Writer, partial: Path, portable: bool) -> None:
    """Record a backup about to be written to ``partial`` (before a byte of it exists)."""

    def record(tx: WriteStore) -> None:
        records = [r for r in _records(tx) if r.path != str(partial)]
        _save(tx, [*records, BackupRecord(str(partial), PARTIAL, utc_now(), portable)])

    writer.run(record)


def ended(writer: Writer, partial: Path, target: Path | None, portable: bool) -> None:
    """The copy at ``partial`` was verified and renamed to ``target``, or (``target`` None)
    it failed and was removed."""

    def record(tx: WriteStore) -> None:
        records = [r for r in _records(tx) if r.path not in (str(partial), str(target))]
        if target is not None:
            records.append(BackupRecord(str(target), DONE, utc_now(), portable))
        _save(tx, records)

    writer.run(record)


def remove_partials(writer: Writer, reader: Store | None = None) -> list[Path]:
    """Delete every interrupted backup's leftover copy; return the ones that were there.
    ``reader``: where to look (an open reads, and writes only when there is a leftover)."""
    records = _records(reader) if reader is not None else writer.run(_records)
    partials = [r for r in records if r.state == PARTIAL]
    if not partials:
        return []
    removed = []
    for record in partials:
        for path in sidecars(Path(record.path)):
            if path.exists():
                path.unlink(missing_ok=True)
                removed.append(path)

    def forget(tx: WriteStore) -> None:
        _save(tx, [r for r in _records(tx) if r.state != PARTIAL])

    writer.run(forget)
    return removed


def existing(store: Store) -> list[BackupRecord]:
    """The finished backups recorded here that are still where they were written."""
    return [r for r in _records(store) if r.state != PARTIAL and Path(r.path).exists()]


def orphaned_by_rotation(writer: Writer) -> list[BackupRecord]:
    """The backups made under the key being rotated away (not the portable ones, which have
    their own passphrase); they are marked, so the next rotation does not name them again."""
    records = writer.run(_records)
    hit = [r for r in records if r.state == DONE and not r.portable and Path(r.path).exists()]
    if hit:
        paths = {r.path for r in hit}

        def mark(tx: WriteStore) -> None:
            _save(
                tx,
                [
                    BackupRecord(r.path, ORPHANED, r.made_at, r.portable) if r.path in paths else r
                    for r in _records(tx)
                ],
            )

        writer.run(mark)
    return hit
