"""Import a bundle file into the workspace: validate everything, then write in one transaction.

Two passes over the item lines. Pass 1, on the caller's thread, validates every item and
compares and PII-scans them ``BATCH`` at a time, keeping only each new item's routing; pass
2, one job on the writer, reads the lines again, rebuilds the rows and inserts them ``BATCH``
at a time in one transaction, which rolls back if the second read differs from the first.
So memory is bounded by a batch of items and their texts (~10 MB at 5,000), the longest
line, and what the one-transaction design needs kept for every item: its routing, id and
the validator's set of ids (~100 bytes an item) — plus, for a plain bundle, its items file,
which ``open_bundle`` holds whole; a sealed bundle is decrypted as a stream in both passes.
(Overlapping validation with the insert row by row was tried and measured slower: the two
threads convoy on the GIL at every row. Holding every parsed item for one pass cost 826 MB
at 100k items.)

Routing is re-derived here, never taken from the file: the PII detector runs again on every
item's texts, and an item with a match, a PII span in the file, reason ``sensitive_data`` or
the file's own ``restricted`` is restricted (a stricter builder is honoured; a laxer one is
not). A restricted item is never an overlap item. The detector is most of an import's cost
(about 4 MB of text a second here), which a weekly bundle of a few hundred items does not feel.
"""

from __future__ import annotations

import dataclasses
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from labeler.changes import Changes
from labeler.clock import utc_now
from labeler.crypto import roster, sealed
from labeler.domain import PiiSpan
from labeler.errors import ValidationError
from labeler.gcpause import gc_paused
from labeler.jsonio import canonical_json
from labeler.privacy.purge import tombstoned
from labeler.progress import CancelCheck, ProgressCallback, check_cancel, never_cancel, no_progress
from labeler.store import assignments as assignment_rows
from labeler.store import bundles as bundle_rows
from labeler.store import evals as eval_rows
from labeler.store import items as item_rows
from labeler.store import rosters
from labeler.store.connection import Store, WriteStore
from labeler.store.writer import Writer
from labeler.triage import pii
from labeler.triage.bundle_file import BundleSource, item_texts, open_bundle
from labeler.triage.formats import BundleItem
from labeler.triage.sealed_bundle import open_sealed_bundle

SENSITIVE_REASON = "sensitive_data"


@dataclass(frozen=True)
class ImportResult:
    bundle_id: str
    added: int
    already_present: int
    changes: Changes
    skipped_purged: int = 0
    rerouted: int = 0  # items restricted here although the file did not restrict them
    withheld: int = 0  # restricted items sealed to others: only their ids and kind are here


@dataclass(frozen=True)
class Routing:
    """Where an item goes, as this workspace decides it."""

    restricted: bool
    pii: str  # the spans, as the store keeps them (JSON text)
    overlap: bool


def route(item: BundleItem, detected: dict[str, list[PiiSpan]] | None = None) -> Routing:
    """The item's routing re-derived: the detector's spans (``detected`` per field, when the
    caller scanned many items at once — fields with no finding may be left out) and the
    file's, and the rules."""
    if detected is None:
        detected = {f: pii.detect(text) for f, text in item_texts(item).items() if text}
    if not item.pii and not any(detected.values()):  # the common case: nothing to merge
        plain = item.restricted or item.reason_code == SENSITIVE_REASON
        return Routing(plain, "[]", item.overlap and not plain)
    spans: set[tuple[str, int, int, str]] = {(s.field, s.start, s.end, s.kind) for s in item.pii}
    for field, found in detected.items():
        spans.update((field, span.start, span.end, span.kind) for span in found)
    restricted = item.restricted or bool(spans) or item.reason_code == SENSITIVE_REASON
    ordered = [
        {"end": end, "field": field, "kind": kind, "start": start}
        for field, start, end, kind in sorted(spans)
    ]
    return Routing(
        restricted, _json_text(ordered) if ordered else "[]", item.overlap and not restricted
    )


_encode_sorted = msgspec.json.Encoder(order="sorted").encode


def _json_text(value: Any) -> str:
    # Retry steps, candidates and spans hold strings and integers only, which msgspec writes
    # byte for byte as orjson does (keys sorted): the same text the store always held.
    return _encode_sorted(value).decode("utf-8")


def _row(
    item: BundleItem, bundle_id: str, seq: int, routing: Routing | None = None
) -> tuple[Any, ...]:
    """The items row; ``routing`` None keeps the file's (for the benchmark's baseline rows)."""
    model = item.model
    if routing is None:
        routing = Routing(item.restricted, _json_text(item.pii) if item.pii else "[]", item.overlap)
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
        routing.restricted,
        routing.pii,
        False,
        routing.overlap,
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


BATCH = 5_000  # items checked, compared and scanned at a time; rows inserted at a time


@dataclass
class _Plan:
    """What pass 1 keeps of a bundle for pass 2: the routing of each new item (by id, in
    order) and the counts, a few dozen bytes an item; never an item's text."""

    routes: dict[str, Routing] = dataclasses.field(default_factory=dict)
    seen: int = 0
    skipped: int = 0
    rerouted: int = 0
    conflict: str | None = None  # the first id held here with other content


def _fresh_items(
    store: Store, entries: list[tuple[int, BundleItem]], plan: _Plan
) -> list[tuple[int, BundleItem]]:
    """The entries not in the workspace yet; counts those a deletion request covers and
    notes the first that the workspace holds with other content."""
    known = item_rows.content_hashes(store, [item.id for _, item in entries])
    purged = tombstoned(store, {item.subject_hash for _, item in entries if item.subject_hash})
    fresh = []
    for seq, item in entries:
        if item.subject_hash in purged:
            plan.skipped += 1  # a deletion request covers this subject: never import it again
            continue
        digest = known.get(item.id)
        if digest is None:
            fresh.append((seq, item))
        elif digest != item.content_hash and plan.conflict is None:
            plan.conflict = (
                f"item {seq} (id {item.id!r}): the workspace already holds different "
                "content under this id; nothing was imported."
            )
    return fresh


def _plan(
    store: Store, source: BundleSource, progress: ProgressCallback, cancel: CancelCheck
) -> _Plan:
    """Pass 1: every item validated, compared with the workspace and scanned for personal
    data, a batch at a time, keeping only each new item's routing. Raises before anything
    is written if any item is bad (validation ends only with the last line)."""
    plan = _Plan()
    sealed_restricted = frozenset(source.sealed_restricted)
    batch: list[tuple[int, BundleItem]] = []

    def settle() -> None:
        fresh = _fresh_items(store, batch, plan)
        routes = _routes(fresh)
        for _, item in fresh:
            routing = routes[item.id]
            if item.id in sealed_restricted:  # sealed as restricted: stays so
                routing = Routing(True, routing.pii, False)
            plan.rerouted += routing.restricted and not item.restricted
            plan.routes[item.id] = routing
        plan.seen += len(batch)
        batch.clear()
        check_cancel(cancel)
        progress(plan.seen, source.count + 1, f"Checking and scanning {source.count} items")

    for entry in source.items():
        batch.append(entry)
        if len(batch) == BATCH:
            settle()
    settle()
    if plan.conflict is not None:
        raise ValidationError(plan.conflict)
    return plan


def _insert_new(tx: WriteStore, source: BundleSource, plan: _Plan, kind: str,
                cancel: CancelCheck) -> None:  # fmt: skip
    """Pass 2, inside the writer's transaction: the lines read again (a sealed bundle is
    decrypted again, and its reader refuses bytes other than pass 1's), each new item's row
    rebuilt with pass 1's routing and inserted a batch at a time."""
    decode = msgspec.json.Decoder(BundleItem).decode
    rows: list[tuple[Any, ...]] = []
    try:
        for seq, line in enumerate(source.lines()):
            item = decode(line)
            routing = plan.routes.get(item.id)
            if routing is None:
                continue  # held already, or covered by a deletion request
            rows.append(_row(item, source.id, seq, routing))
            if len(rows) == BATCH:
                item_rows.insert_rows(tx, rows, kind=kind)
                rows.clear()
                check_cancel(cancel)
    except msgspec.DecodeError:  # not the bytes pass 1 checked
        raise ValidationError(
            f"{source.path.name}: the file changed while it was being imported; nothing was "
            "imported."
        ) from None
    item_rows.insert_rows(tx, rows, kind=kind)


def _import(
    store: Store, writer: Writer, path: Path, progress: ProgressCallback, cancel: CancelCheck
) -> ImportResult:
    progress(0, 1, "Checking the bundle")
    source = open_for(store, path)
    if bundle_rows.find(store, source.id) is not None:
        return ImportResult(source.id, 0, source.count, Changes())
    plan = _plan(store, source, progress, cancel)  # everything checked before a write
    new_ids = list(plan.routes)
    progress(source.count, source.count + 1, f"Writing {len(new_ids)} items")

    def write(tx: WriteStore) -> bool:
        if bundle_rows.find(tx, source.id) is not None:
            return False  # imported meanwhile (another window or process): nothing to do
        bundle_rows.insert(tx, source.manifest, source.sha256, utc_now())
        kind = item_rows.kind_of_bundle(source.manifest.get("kind", "week"))
        _insert_new(tx, source, plan, kind, cancel)
        if source.withheld:  # sealed to others: their id and kind, nothing more
            rosters.withhold(tx, [(i, source.id, kind) for i in source.withheld])
        assignment_rows.record(tx, source.id, source.manifest.get("assignment"), new_ids)
        if source.manifest.get("kind") == "eval":
            eval_rows.record(tx, source.manifest, new_ids)
        return True

    if not writer.run(write):
        return ImportResult(source.id, 0, source.count, Changes())
    progress(source.count + 1, source.count + 1, "Imported")
    added = frozenset(new_ids)
    return ImportResult(
        source.id,
        len(added),
        plan.seen - len(added) - plan.skipped,
        Changes(items=added, bundles=frozenset({source.id}), all_items=True),
        plan.skipped,
        plan.rerouted,
        len(source.withheld),
    )


def open_for(store: Store, path: Path) -> BundleSource:
    """The bundle at ``path`` as this workspace may read it: a sealed one is checked against
    the roster; a plain one only in a workspace that is on no team (older files, tests)."""
    if sealed.is_sealed(path):
        return open_sealed_bundle(store, path)
    if roster.current(store) is not None:
        if not path.is_file():
            raise ValidationError(f"{path}: no such file. Nothing was imported.")
        if not zipfile.is_zipfile(path):
            raise ValidationError(
                f"{path.name}: not a bundle (not a zip file, or cut short on its way: get it "
                "again). Nothing was imported."
            )
        raise ValidationError(
            f"{path.name}: not a sealed bundle; a team's workspace takes only bundles signed "
            "by its triage member and sealed to the roster. Nothing was imported."
        )
    return open_bundle(path)


def _routes(fresh: list[tuple[int, BundleItem]]) -> dict[str, Routing]:
    """The routing of a batch of new items: the PII scan of all their texts at once."""
    fields = [(item.id, field, text) for _, item in fresh for field, text in
              item_texts(item).items() if text]  # fmt: skip
    detected: dict[str, dict[str, list[PiiSpan]]] = {}
    for index, spans in pii.findings([text for _, _, text in fields]).items():
        item_id, field, _ = fields[index]
        detected.setdefault(item_id, {})[field] = spans
    return {item.id: route(item, detected.get(item.id, {})) for _, item in fresh}
