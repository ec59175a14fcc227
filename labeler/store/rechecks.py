"""The re-check queue in SQL: items whose gold label was decided under a rubric clause that a
later version changed, and what that computation reads.

A row stays *open* until the item's gold is decided again under the version that queued it
or a later one: for an item with a resolution, when its latest resolution was made under
such a version; otherwise when every label of the item was (and it has one). Openness is
computed when read, so no write path (a save, an undo, a label import, a new resolution) has
to remember to clear the queue, and a later release that queues the item again replaces its
row.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from labeler.store.connection import Store

_SINCE = "(SELECT content_hash FROM rubrics WHERE seq >= r.rubric_seq)"
# SQL true while the row ``r`` of rechecks waits for its item to be decided again.
OPEN = (
    "(CASE WHEN EXISTS (SELECT 1 FROM resolutions s WHERE s.item_id = r.item_id) "
    "THEN coalesce((SELECT s.rubric_hash FROM resolutions s WHERE s.item_id = r.item_id "
    f"ORDER BY s.id DESC LIMIT 1) NOT IN {_SINCE}, 1) "
    "ELSE NOT EXISTS (SELECT 1 FROM labels l WHERE l.item_id = r.item_id) "
    "OR EXISTS (SELECT 1 FROM labels l WHERE l.item_id = r.item_id "
    f"AND l.rubric_hash NOT IN {_SINCE}) END)"
)
_IN_IDS = "(SELECT value FROM json_each(?))"


@dataclass(frozen=True)
class Recheck:
    """One queued item: the version that queued it, how its gold had been decided, why."""

    item_id: str
    rubric_seq: int
    rubric_version: str
    decided: str
    reasons: tuple[str, ...]
    queued_at: str
    open: bool


def put(store: Store, rubric_seq: int, entries: Iterable[tuple[str, str, Sequence[str]]],
        at: str) -> int:  # fmt: skip
    """Queue ``(item_id, decided, reasons)`` under version ``rubric_seq`` (replacing an earlier
    row of the item); returns how many. The caller holds the transaction."""
    rows = [
        (item_id, rubric_seq, decided, json.dumps(list(reasons), ensure_ascii=False), at)
        for item_id, decided, reasons in entries
    ]
    store.conn.executemany(
        "INSERT INTO rechecks(item_id, rubric_seq, decided, reasons, queued_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT(item_id) DO UPDATE SET "
        "rubric_seq = excluded.rubric_seq, decided = excluded.decided, "
        "reasons = excluded.reasons, queued_at = excluded.queued_at",
        rows,
    )
    return len(rows)


def open_ids(store: Store, item_ids: Sequence[str] | None = None) -> set[str]:
    """The items waiting for a re-check (only among ``item_ids`` when given)."""
    if item_ids is None:
        rows = store.query(f"SELECT r.item_id FROM rechecks r WHERE {OPEN}")
    else:
        rows = store.query(
            f"SELECT r.item_id FROM rechecks r WHERE r.item_id IN {_IN_IDS} AND {OPEN}",
            (json.dumps(list(item_ids)),),
        )
    return {r[0] for r in rows}


def listing(store: Store, *, open_only: bool = True) -> list[Recheck]:
    """Queued items, in queue order of their week and bundle."""
    where = f" WHERE {OPEN}" if open_only else ""
    rows = store.query(
        f"SELECT r.item_id, r.rubric_seq, b.version, r.decided, r.reasons, r.queued_at, {OPEN} "
        "FROM rechecks r JOIN rubrics b ON b.seq = r.rubric_seq "
        f"JOIN items i ON i.id = r.item_id{where} ORDER BY i.week DESC, i.bundle_id, i.seq"
    )
    return [
        Recheck(r[0], r[1], r[2], r[3], tuple(json.loads(r[4])), r[5], bool(r[6])) for r in rows
    ]


def counts(store: Store) -> tuple[int, int]:
    """(open, done) over every queued item."""
    row = store.query(f"SELECT count(*), coalesce(sum({OPEN}), 0) FROM rechecks r")[0]
    return int(row[1]), int(row[0]) - int(row[1])


def label_hashes(store: Store) -> dict[str, tuple[str, ...]]:
    """The rubric versions (content hashes) each labeled item's labels were made under."""
    # Grouped in SQL: one row per item (a hash is hex, so the comma cannot occur in one).
    rows = store.query(
        "SELECT item_id, group_concat(DISTINCT rubric_hash) FROM labels GROUP BY item_id"
    )
    return {item_id: tuple(sorted(hashes.split(","))) for item_id, hashes in rows}


def item_signals(store: Store) -> dict[str, str]:
    return {r[0]: r[1] for r in store.query("SELECT id, signal FROM items")}
