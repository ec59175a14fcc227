"""Reads for the agreement report: labels of items labeled twice or more (or resolved), the
week and reason code of items, and the guideline-gap resolutions. Never an item's texts.

Each read returns plain columns the report codes with numpy: building a ``Label`` or an
``Item`` per row cost more than the statistics, and fetching items whole read their texts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from labeler.store.assignments import COUNTED_LABELS
from labeler.store.connection import Store

_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_]+$")


@dataclass(frozen=True)
class LabelColumns:
    """One entry per label, ordered by item id then labeler id."""

    item_ids: list[str]
    labeler_ids: list[str]
    # The answers' JSON text (without the keys the caller asked to drop), after "B" when the
    # labeler saw the sides of a pair swapped (side order "BA"), else after "A": one string
    # that the caller decodes once per distinct value.
    sided_answers: list[str]


def compared_labels(store: Store, drop_keys: Sequence[str] = ()) -> LabelColumns:
    """The labels of every item labeled by two or more people or resolved by the lead; a
    label outside its item's assignment is none of them (it makes no pair).

    ``drop_keys`` (the free-text questions) are removed from the answers in SQL: notes make
    nearly every answer text unique, and without them the caller parses each distinct set of
    choices once. Only plain keys are dropped (a JSON path cannot quote every character);
    keeping another only costs the caller a parse.
    """
    answers = "answers"
    params: list[str] = []
    for key in drop_keys:
        if _PLAIN_KEY.match(key):
            answers = f"json_remove({answers}, ?)"
            params.append(f"$.{key}")
    rows = store.query(
        "SELECT item_id, labeler_id, "
        f"(CASE side_order WHEN 'BA' THEN 'B' ELSE 'A' END) || {answers} FROM {COUNTED_LABELS} "
        f"WHERE item_id IN (SELECT item_id FROM {COUNTED_LABELS} GROUP BY item_id "
        "HAVING count(*) > 1 UNION SELECT item_id FROM resolutions) ORDER BY item_id, labeler_id",
        params,
    )
    return LabelColumns([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])


def item_weeks(store: Store) -> tuple[list[str], dict[str, int]]:
    """(the weeks, sorted; the index of each item's week among them, by item id), for the
    week's items only (an eval pair is not a week's item).

    The queue's covering index (items_queue: week, ..., id, kind, ..., reason_code) answers
    this and ``item_reasons`` without reading an item row: reading the week from the table
    decrypts every page of item texts (0.5-0.9 s for 100k items of ~4 KB).
    """
    rows = store.query("SELECT id, week FROM items WHERE kind = 'week'")
    weeks = sorted({week for _, week in rows})
    position = {week: i for i, week in enumerate(weeks)}
    return weeks, {item_id: position[week] for item_id, week in rows}


def item_reasons(store: Store, week: str) -> dict[str, str | None]:
    """The reason code of every item of ``week`` (of the week's items, not eval pairs)."""
    return dict(
        store.query("SELECT id, reason_code FROM items WHERE week = ? AND kind = 'week'", (week,))
    )


@dataclass(frozen=True)
class GapRow:
    item_id: str
    week: str
    clause: str | None
    note: str


def guideline_gap_rows(store: Store) -> list[GapRow]:
    """Items whose current resolution is a guideline gap, in the order they were resolved."""
    rows = store.query(
        "SELECT r.item_id, i.week, r.clause, r.note FROM resolutions r "
        "JOIN items i ON i.id = r.item_id WHERE r.cause = 'guideline_gap' AND r.id = "
        "(SELECT max(id) FROM resolutions WHERE item_id = r.item_id) ORDER BY r.id"
    )
    return [GapRow(r[0], r[1], r[2], r[3]) for r in rows]


def resolved_answers(store: Store) -> dict[str, str]:
    """The answers (JSON text) of the current resolution of every resolved item."""
    return dict(
        store.query(
            "SELECT item_id, answers FROM resolutions r WHERE id = "
            "(SELECT max(id) FROM resolutions WHERE item_id = r.item_id)"
        )
    )
