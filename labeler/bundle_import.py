"""Import a bundle file into the workspace: validate all, then write all in one transaction."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labeler.bundle_file import Bundle, read_bundle
from labeler.changes import Changes
from labeler.errors import ValidationError
from labeler.progress import CancelCheck, ProgressCallback, check_cancel, never_cancel, no_progress
from labeler.store import bundles as bundle_rows
from labeler.store import items as item_rows
from labeler.store.connection import Store


@dataclass(frozen=True)
class ImportResult:
    bundle_id: str
    added: int
    already_present: int
    changes: Changes


def _row(item: dict[str, Any], bundle_id: str, seq: int) -> tuple[Any, ...]:
    dumps = json.dumps
    model = item["model"]
    return (
        item["id"],
        bundle_id,
        seq,
        item["week"],
        item["signal"],
        item["reason_code"],
        item["captured_at"],
        item["input"],
        item["intent"],
        model["name"],
        model["version"],
        dumps(model["settings"], sort_keys=True),
        item["output"],
        item["edited_output"],
        None if item["retries"] is None else dumps(item["retries"]),
        None if item["candidates"] is None else dumps(item["candidates"]),
        item["picked"],
        item["subject_hash"],
        item["restricted"],
        dumps(item["pii"]),
        False,
        item["overlap"],
        item["holdout"],
        item["content_hash"],
    )


def import_bundle(
    store: Store,
    path: Path,
    progress: ProgressCallback = no_progress,
    should_cancel: CancelCheck = never_cancel,
) -> ImportResult:
    """Import ``path``; re-importing the same bundle changes nothing."""
    progress(0, 3, "Reading and checking the bundle")
    bundle = read_bundle(path)
    check_cancel(should_cancel)
    existing = bundle_rows.find(store, bundle.id)
    if existing is not None:
        return ImportResult(bundle.id, 0, len(bundle.items), Changes())
    progress(1, 3, "Comparing with the workspace")
    new_items = _new_items(store, bundle)
    check_cancel(should_cancel)
    progress(2, 3, f"Writing {len(new_items)} items")
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    with store.transaction():
        bundle_rows.insert(store, bundle.manifest, bundle.sha256, now)
        item_rows.insert_rows(store, (_row(item, bundle.id, seq) for seq, item in new_items))
    progress(3, 3, "Imported")
    added = frozenset(item["id"] for _, item in new_items)
    return ImportResult(
        bundle.id,
        len(new_items),
        len(bundle.items) - len(new_items),
        Changes(items=added, bundles=frozenset({bundle.id}), all_items=True),
    )


def _new_items(store: Store, bundle: Bundle) -> list[tuple[int, dict[str, Any]]]:
    """Items not yet in the workspace; an id already there with other content is refused."""
    known = item_rows.content_hashes(store, [item["id"] for item in bundle.items])
    fresh = []
    for seq, item in enumerate(bundle.items):
        digest = known.get(item["id"])
        if digest is None:
            fresh.append((seq, item))
        elif digest != item["content_hash"]:
            raise ValidationError(
                f"item {seq} (id {item['id']!r}): the workspace already holds different "
                "content under this id; nothing was imported."
            )
    return fresh
