"""The labeling queue in SQL: item ids in queue order under a filter, the rows a view shows
for some of them, and progress counts — never the texts.

The queue holds ids only; a view fetches the rows it paints, a block at a time, so a
workspace of 100,000 items opens as fast as one of 500.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from labeler.domain import QueueRow
from labeler.store.assignments import IN_SHARE
from labeler.store.connection import Store
from labeler.store.rechecks import OPEN as RECHECK_OPEN

RECHECK = "re-check"  # sent back by a new rubric version (store/rechecks.py)
STATUSES = ("unlabeled", "draft", "labeled", "needs redaction", RECHECK)
_RECHECK = f"EXISTS (SELECT 1 FROM rechecks r WHERE r.item_id = i.id AND {RECHECK_OPEN})"
# Each row joined with this labeler's label and draft (the same labeler id twice).
_JOINS = (
    "LEFT JOIN labels l ON l.item_id = i.id AND l.labeler_id = ? "
    "LEFT JOIN drafts d ON d.item_id = i.id AND d.labeler_id = ?"
)
_ORDER = "ORDER BY i.week DESC, i.bundle_id, i.seq"


@dataclass(frozen=True)
class QueueFilter:
    """What the queue shows: ``None`` means any. ``reason`` "none" is "no reason code"."""

    reason: str | None = None
    signal: str | None = None
    status: str | None = None
    pairs_only: bool = False
    mine: bool = False  # "Mine and pairs": one's share of an assignment (store/assignments)


def _where(
    include_restricted: bool, flt: QueueFilter, assignee: str | None = None
) -> tuple[str, list[Any]]:
    """``assignee``: the id assignments name this labeler by (the key-derived id their label
    files carry, which is not the profile id their own labels are stored under)."""
    clauses, params = [], []
    if not include_restricted:
        clauses.append("NOT i.restricted")
    if flt.mine:
        clauses.append(IN_SHARE)
        params.append(assignee or "")
    if flt.reason == "none":
        clauses.append("i.reason_code IS NULL")
    elif flt.reason is not None:
        clauses.append("i.reason_code = ?")
        params.append(flt.reason)
    if flt.signal is not None:
        clauses.append("i.signal = ?")
        params.append(flt.signal)
    if flt.pairs_only:
        clauses.append("i.overlap")
    blocked = "(i.restricted AND NOT i.redaction_confirmed)"
    if flt.status == "labeled":
        clauses.append("l.id IS NOT NULL")
    elif flt.status == "draft":
        clauses.append("l.id IS NULL AND d.item_id IS NOT NULL")
    elif flt.status == "unlabeled":
        clauses.append(f"l.id IS NULL AND d.item_id IS NULL AND NOT {blocked}")
    elif flt.status == "needs redaction":
        clauses.append(f"l.id IS NULL AND d.item_id IS NULL AND {blocked}")
    elif flt.status == RECHECK:
        clauses.append(_RECHECK)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def queue_ids(
    store: Store,
    labeler_id: str | None,
    include_restricted: bool,
    flt: QueueFilter,
    assignee: str | None = None,
) -> list[str]:
    """Ids of the items the queue shows, in queue order."""
    where, params = _where(include_restricted, flt, assignee)
    if flt.status is None:  # no label state asked for: the covering index alone answers
        rows = store.query(f"SELECT i.id FROM items i{where} {_ORDER}", params)
        return [r[0] for r in rows]
    me = labeler_id or ""
    rows = store.query(f"SELECT i.id FROM items i {_JOINS}{where} {_ORDER}", [me, me, *params])
    return [r[0] for r in rows]


def queue_rows(store: Store, labeler_id: str | None, ids: Sequence[str]) -> dict[str, QueueRow]:
    """The rows of ``ids`` (one query), by id."""
    rows = store.query(
        "SELECT i.id, i.seq, i.week, i.signal, i.reason_code, i.restricted, "
        "i.redaction_confirmed, i.overlap, i.holdout, l.id IS NOT NULL, "
        f"substr(coalesce(i.intent, ''), 1, 120), d.item_id IS NOT NULL, {_RECHECK} "
        f"FROM items i {_JOINS} WHERE i.id IN (SELECT value FROM json_each(?))",
        (labeler_id or "", labeler_id or "", json.dumps(list(ids))),
    )
    return {
        r[0]: QueueRow(
            id=r[0],
            seq=r[1],
            week=r[2],
            signal=r[3],
            reason_code=r[4],
            restricted=bool(r[5]),
            redaction_confirmed=bool(r[6]),
            overlap=bool(r[7]),
            holdout=bool(r[8]),
            labeled=bool(r[9]),
            preview=r[10],
            draft=bool(r[11]),
            recheck=bool(r[12]),
        )
        for r in rows
    }


def queue_progress(
    store: Store,
    labeler_id: str | None,
    include_restricted: bool,
    mine: bool = False,
    assignee: str | None = None,
) -> tuple[int, int]:
    """(labeled by this labeler, items in the queue) over the whole queue, or over one's
    share of it (``mine``: own assigned items and the pairs)."""
    where, params = _where(include_restricted, QueueFilter(mine=mine), assignee)
    row = store.query(
        "SELECT count(*), count(l.id) FROM items i "
        f"LEFT JOIN labels l ON l.item_id = i.id AND l.labeler_id = ?{where}",
        (labeler_id or "", *params),
    )[0]
    return int(row[1]), int(row[0])
