"""Resolutions of disagreements (history kept: the latest per item is the decision), and the
feedback a labeler imported from the lead."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from labeler.domain import Label
from labeler.store.assignments import COUNTED_LABELS, GOLD_LABELS
from labeler.store.connection import Store
from labeler.store.labels import _COLUMNS as LABEL_COLUMNS
from labeler.store.labels import _label


@dataclass(frozen=True)
class Resolution:
    id: int
    item_id: str
    answers: dict[str, Any]
    cause: str
    clause: str | None
    note: str
    resolved_by: str
    resolved_at: str
    rubric_hash: str | None = None  # the rubric version it was decided under


_COLUMNS = "id, item_id, answers, cause, clause, note, resolved_by, resolved_at, rubric_hash"


def _resolution(row: Sequence[Any]) -> Resolution:
    return Resolution(
        row[0], row[1], json.loads(row[2]), row[3], row[4], row[5], row[6], row[7], row[8]
    )


def add(store: Store, item_id: str, answers: dict[str, Any], cause: str, clause: str | None,
        note: str, resolved_by: str, at: str, rubric_hash: str | None = None) -> int:  # fmt: skip
    cursor = store.conn.execute(
        "INSERT INTO resolutions(item_id, answers, cause, clause, note, resolved_by, resolved_at, "
        "rubric_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (item_id, json.dumps(answers, sort_keys=True), cause, clause, note, resolved_by, at,
         rubric_hash),
    )  # fmt: skip
    return int(cursor.lastrowid)


def latest(store: Store) -> dict[str, Resolution]:
    """The current decision per item (the newest resolution)."""
    rows = store.query(
        f"SELECT {_COLUMNS} FROM resolutions r WHERE id = "
        "(SELECT max(id) FROM resolutions WHERE item_id = r.item_id)"
    )
    return {row[1]: _resolution(row) for row in rows}


def history(store: Store, item_id: str) -> list[Resolution]:
    rows = store.query(
        f"SELECT {_COLUMNS} FROM resolutions WHERE item_id = ? ORDER BY id", (item_id,)
    )
    return [_resolution(row) for row in rows]


_SOURCES = {"all": "labels", "pairs": COUNTED_LABELS, "gold": GOLD_LABELS}


def labels_by_item(
    store: Store,
    item_ids: Sequence[str] | None = None,
    *,
    paired_only: bool = False,
    which: Literal["all", "pairs", "gold"] = "all",
) -> dict[str, list[Label]]:
    """Every label, grouped by item (only for ``item_ids``, or only items labeled twice+).

    ``which``: every label kept ("all"), those that can pair ("pairs": none outside its
    item's assignment), or those a gold label is made of ("gold", store/assignments.py).
    """
    sql = f"SELECT {LABEL_COLUMNS} FROM {_SOURCES[which]}"
    params: tuple[Any, ...] = ()
    if item_ids is not None:
        sql += " WHERE item_id IN (SELECT value FROM json_each(?))"
        params = (json.dumps(list(item_ids)),)
    elif paired_only:
        sql += (
            f" WHERE item_id IN (SELECT item_id FROM {COUNTED_LABELS} GROUP BY item_id "
            "HAVING count(*) > 1)"
        )
    grouped: dict[str, list[Label]] = {}
    for row in store.query(sql + " ORDER BY item_id, labeler_id", params):
        label = _label(row)
        grouped.setdefault(label.item_id, []).append(label)
    return grouped


def put_feedback(store: Store, entry: dict[str, Any]) -> None:
    store.conn.execute(
        "INSERT INTO feedback(item_id, answers, cause, clause, note, resolved_by, resolved_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(item_id) DO UPDATE SET "
        "answers = excluded.answers, cause = excluded.cause, clause = excluded.clause, "
        "note = excluded.note, "
        "resolved_by = excluded.resolved_by, resolved_at = excluded.resolved_at",
        (entry["item_id"], json.dumps(entry["answers"], sort_keys=True), entry["cause"],
         entry.get("clause"), entry["note"], entry["resolved_by"], entry["resolved_at"]),
    )  # fmt: skip


def feedback(store: Store) -> list[Resolution]:
    rows = store.query(
        "SELECT 0, item_id, answers, cause, clause, note, resolved_by, resolved_at, NULL "
        "FROM feedback "
        "ORDER BY resolved_at"
    )
    return [_resolution(row) for row in rows]


def answers_by_item(store: Store) -> tuple[dict[str, tuple[dict[str, Any], str | None]], set[str]]:
    """(answers and side order of items labeled once, ids of items labeled more than once),
    of the labels a gold label is made of (store/assignments.py ``GOLD_LABELS``)."""
    single: dict[str, tuple[dict[str, Any], str | None]] = {}
    several: set[str] = set()
    rows = store.query(
        "SELECT item_id, answers, side_order, count(*) OVER (PARTITION BY item_id) "
        f"FROM {GOLD_LABELS}"
    )
    loads = orjson.loads
    for item_id, answers, side_order, count in rows:
        if count == 1:
            single[item_id] = (loads(answers), side_order)
        else:
            several.add(item_id)
    return single, several
