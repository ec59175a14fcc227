"""Import a bundle file into the workspace: validate everything, then write in one transaction.

Validation runs on the caller's thread; the insert is one job on the writer. (Overlapping
validation with the insert row by row was tried and measured slower: the two threads convoy
on the GIL at every row.)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from labeler.changes import Changes
from labeler.clock import utc_now
from labeler.errors import ValidationError
from labeler.gcpause import gc_paused
from labeler.jsonio import canonical_json
from labeler.privacy.purge import tombstoned
from labeler.progress import CancelCheck, ProgressCallback, check_cancel, never_cancel, no_progress
from labeler.store import bundles as bundle_rows
from labeler.store import evals as eval_rows
from labeler.store import items as item_rows
from labeler.store.connection import Store, WriteStore
from labeler.store.writer import Writer
from labeler.triage.bundle_file import open_bundle
from labeler.triage.formats import BundleItem


@dataclass(frozen=True)
class ImportResult:
    bundle_id: str
    added: int
    already_present: int
    changes: Changes
    skipped_purged: int = 0


_encode_sorted = msgspec.json.Encoder(order="sorted").encode


def _json_text(value: Any) -> str:
    # Retry steps, candidates and spans hold strings and integers only, which msgspec writes
    # byte for byte as orjson does (keys sorted): the same text the store always held.
    return _encode_sorted(value).decode("utf-8")


def _row(item: BundleItem, bundle_id: str, seq: int) -> tuple[Any, ...]:
    model = item.model
    return (
        item.id,
        bundle_id,
        seq,
        item.week,
        item.signal,
        item.reason_code,
        item.captured_at,
        item.input,
        item.intent,
        model.name,
        model.version,
        canonical_json(model.settings),
        item.output,
        item.edited_output,
        None if item.retries is None else _json_text(item.retries),
        None if item.candidates is None else _json_text(item.candidates),
        item.picked,
        item.subject_hash,
        item.restricted,
        _json_text(item.pii) if item.pii else "[]",
        False,
        item.overlap,
        item.holdout,
        item.content_hash,
    )


def import_bundle(
    store: Store,
    writer: Writer,
    path: Path,
    progress: ProgressCallback = no_progress,
    should_cancel: CancelCheck = never_cancel,
) -> ImportResult:
    """Import ``path``; re-importing the same bundle changes nothing.

    Validation and comparison read through ``store`` on the caller's thread; only the insert
    runs on the writer, so labels saved meanwhile wait at most for the insert.
    """
    with gc_paused():
        return _import(store, writer, path, progress, should_cancel)


def _fresh_items(
    store: Store, entries: list[tuple[int, BundleItem]]
) -> tuple[list[tuple[int, BundleItem]], int]:
    """The entries not in the workspace yet, and how many a deletion request covers."""
    known = item_rows.content_hashes(store, [item.id for _, item in entries])
    purged = tombstoned(store, {item.subject_hash for _, item in entries if item.subject_hash})
    fresh = []
    skipped = 0
    for seq, item in entries:
        if item.subject_hash in purged:
            skipped += 1  # a deletion request covers this subject: never import it again
            continue
        digest = known.get(item.id)
        if digest is None:
            fresh.append((seq, item))
        elif digest != item.content_hash:
            raise ValidationError(
                f"item {seq} (id {item.id!r}): the workspace already holds different "
                "content under this id; nothing was imported."
            )
    return fresh, skipped


def _import(
    store: Store, writer: Writer, path: Path, progress: ProgressCallback, cancel: CancelCheck
) -> ImportResult:
    progress(0, 1, "Checking the bundle")
    source = open_bundle(path)
    if bundle_rows.find(store, source.id) is not None:
        return ImportResult(source.id, 0, len(source.lines), Changes())
    progress(0, 3, "Checking every item")
    entries = list(source.items())  # everything is validated before anything is written
    check_cancel(cancel)
    progress(1, 3, "Comparing with the workspace")
    fresh, skipped = _fresh_items(store, entries)
    check_cancel(cancel)
    progress(2, 3, f"Writing {len(fresh)} items")

    def write(tx: WriteStore) -> bool:
        if bundle_rows.find(tx, source.id) is not None:
            return False  # imported meanwhile (another window or process): nothing to do
        bundle_rows.insert(tx, source.manifest, source.sha256, utc_now())
        kind = item_rows.kind_of_bundle(source.manifest.get("kind", "week"))
        item_rows.insert_rows(tx, (_row(item, source.id, seq) for seq, item in fresh), kind=kind)
        if source.manifest.get("kind") == "eval":
            eval_rows.record(tx, source.manifest, [item.id for _, item in fresh])
        return True

    if not writer.run(write):
        return ImportResult(source.id, 0, len(source.lines), Changes())
    progress(3, 3, "Imported")
    added = frozenset(item.id for _, item in fresh)
    return ImportResult(
        source.id,
        len(added),
        len(entries) - len(added) - skipped,
        Changes(items=added, bundles=frozenset({source.id}), all_items=True),
        skipped,
    )
