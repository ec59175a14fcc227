"""Import a bundle file into the workspace: validate everything, then write in one transaction.

Validation runs on the caller's thread; the insert is one job on the writer. (Overlapping
validation with the insert row by row was tried and measured slower: the two threads convoy
on the GIL at every row.)

Routing is re-derived here, never taken from the file: the PII detector runs again on every
item's texts, and an item with a match, a PII span in the file, reason ``sensitive_data`` or
the file's own ``restricted`` is restricted (a stricter builder is honoured; a laxer one is
not). A restricted item is never an overlap item. The detector is most of an import's cost
(about 4 MB of text a second here), which a weekly bundle of a few hundred items does not feel.
"""

from __future__ import annotations

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
    source = open_for(store, path)
    if bundle_rows.find(store, source.id) is not None:
        return ImportResult(source.id, 0, len(source.lines), Changes())
    progress(0, 4, "Checking every item")
    entries = list(source.items())  # everything is validated before anything is written
    check_cancel(cancel)
    progress(1, 4, "Comparing with the workspace")
    fresh, skipped = _fresh_items(store, entries)
    check_cancel(cancel)
    routes = _routes(fresh, progress, cancel)
    for item_id in set(source.sealed_restricted).intersection(
        routes
    ):  # sealed as restricted: stays so
        routes[item_id] = Routing(True, routes[item_id].pii, False)
    progress(3, 4, f"Writing {len(fresh)} items")
    rows = [_row(item, source.id, seq, routes[item.id]) for seq, item in fresh]

    def write(tx: WriteStore) -> bool:
        if bundle_rows.find(tx, source.id) is not None:
            return False  # imported meanwhile (another window or process): nothing to do
        bundle_rows.insert(tx, source.manifest, source.sha256, utc_now())
        kind = item_rows.kind_of_bundle(source.manifest.get("kind", "week"))
        item_rows.insert_rows(tx, rows, kind=kind)
        if source.withheld:  # sealed to others: their id and kind, nothing more
            rosters.withhold(tx, [(i, source.id, kind) for i in source.withheld])
        assignment_rows.record(
            tx, source.id, source.manifest.get("assignment"), [item.id for _, item in fresh]
        )
        if source.manifest.get("kind") == "eval":
            eval_rows.record(tx, source.manifest, [item.id for _, item in fresh])
        return True

    if not writer.run(write):
        return ImportResult(source.id, 0, len(source.lines), Changes())
    progress(4, 4, "Imported")
    added = frozenset(item.id for _, item in fresh)
    rerouted = sum(routes[item.id].restricted and not item.restricted for _, item in fresh)
    return ImportResult(
        source.id,
        len(added),
        len(entries) - len(added) - skipped,
        Changes(items=added, bundles=frozenset({source.id}), all_items=True),
        skipped,
        rerouted,
    )


def open_for(store: Store, path: Path) -> BundleSource:
    """The bundle at ``path`` as this workspace may read it: a sealed one is checked against
    the roster; a plain one only in a workspace that is on no team (older files, tests)."""
    if sealed.is_sealed(path):
        return open_sealed_bundle(store, path)
    if roster.current(store) is not None:
        raise ValidationError(
            f"{path.name}: not a sealed bundle; a team's workspace takes only bundles signed "
            "by its triage member and sealed to the roster. Nothing was imported."
        )
    return open_bundle(path)


def _routes(
    fresh: list[tuple[int, BundleItem]], progress: ProgressCallback, cancel: CancelCheck
) -> dict[str, Routing]:
    """Every new item's routing: the PII scan of all their texts at once (the slow part)."""
    progress(2, 4, f"Scanning {len(fresh)} items for personal data")
    fields = [(item.id, field, text) for _, item in fresh for field, text in
              item_texts(item).items() if text]  # fmt: skip
    check_cancel(cancel)
    detected: dict[str, dict[str, list[PiiSpan]]] = {}
    for index, spans in pii.findings([text for _, _, text in fields]).items():
        item_id, field, _ = fields[index]
        detected.setdefault(item_id, {})[field] = spans
    check_cancel(cancel)
    return {item.id: route(item, detected.get(item.id, {})) for _, item in fresh}
