"""Labels: one row per (item, labeler), committed the moment it is saved."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

import orjson

from labeler.domain import Label
from labeler.store.connection import Store

_COLUMNS = (
    "item_id, labeler_id, rubric_id, rubric_version, rubric_hash, answers, started_at, "
    "saved_at, seconds_spent, side_order"
)


def _label(row: Sequence[Any]) -> Label:
    return Label(
        item_id=row[0],
        labeler_id=row[1],
        rubric_id=row[2],
        rubric_version=row[3],
        rubric_hash=row[4],
        answers=orjson.loads(row[5]),
        started_at=row[6],
        saved_at=row[7],
        seconds_spent=row[8],
        side_order=row[9],
    )


def label_to_json(label: Label) -> dict[str, Any]:
    return dataclasses.asdict(label)


def label_from_json(value: dict[str, Any]) -> Label:
    return Label(**value)


def get(store: Store, item_id: str, labeler_id: str) -> Label | None:
    rows = store.query(
        f"SELECT {_COLUMNS} FROM labels WHERE item_id = ? AND labeler_id = ?",
        (item_id, labeler_id),
    )
    return _label(rows[0]) if rows else None


def put(store: Store, label: Label) -> None:
    """Insert or replace this labeler's label of the item (caller holds the transaction)."""
    store.conn.execute(
        f"INSERT INTO labels ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(item_id, labeler_id) DO UPDATE SET rubric_id = excluded.rubric_id, "
        "rubric_version = excluded.rubric_version, rubric_hash = excluded.rubric_hash, "
        "answers = excluded.answers, started_at = excluded.started_at, "
        "saved_at = excluded.saved_at, seconds_spent = excluded.seconds_spent, "
        "side_order = excluded.side_order",
        (
            label.item_id,
            label.labeler_id,
            label.rubric_id,
            label.rubric_version,
            label.rubric_hash,
            json.dumps(label.answers, sort_keys=True, ensure_ascii=False),
            label.started_at,
            label.saved_at,
            label.seconds_spent,
            label.side_order,
        ),
    )


def delete(store: Store, item_id: str, labeler_id: str) -> None:
    store.conn.execute(
        "DELETE FROM labels WHERE item_id = ? AND labeler_id = ?", (item_id, labeler_id)
    )


def for_labeler(store: Store, labeler_id: str) -> list[Label]:
    rows = store.query(
        f"SELECT {_COLUMNS} FROM labels WHERE labeler_id = ? ORDER BY item_id", (labeler_id,)
    )
    return [_label(row) for row in rows]


def count_for(store: Store, labeler_id: str) -> int:
    return int(store.scalar("SELECT count(*) FROM labels WHERE labeler_id = ?", (labeler_id,)))


def labeled_item_ids(store: Store) -> set[str]:
    return {row[0] for row in store.query("SELECT DISTINCT item_id FROM labels")}


def labelers_of(store: Store, item_ids: list[str]) -> list[str]:
    """The labeler id of every label on these items (one entry per label)."""
    rows = store.query(
        "SELECT labeler_id FROM labels WHERE item_id IN (SELECT value FROM json_each(?))",
        (json.dumps(item_ids),),
    )
    return [r[0] for r in rows]
