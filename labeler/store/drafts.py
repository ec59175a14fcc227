"""Drafts (answers chosen, not yet saved) and the undo log (what each save replaced), both
kept in the workspace so neither a restart nor a crash loses them."""

from __future__ import annotations

from typing import Any

import orjson

from labeler.domain import Label
from labeler.jsonio import canonical_json
from labeler.store.connection import Store, WriteStore
from labeler.store.labels import label_from_json, label_to_json

UNDO_DEPTH = 200  # saves one can undo, per labeler


def get(store: Store, item_id: str, labeler_id: str) -> dict[str, Any] | None:
    text = store.scalar(
        "SELECT answers FROM drafts WHERE item_id = ? AND labeler_id = ?", (item_id, labeler_id)
    )
    return None if text is None else dict(orjson.loads(text))


def put(tx: WriteStore, item_id: str, labeler_id: str, answers: dict[str, Any], at: str) -> None:
    """Keep ``answers`` as the draft (only the questions answered; none: no draft)."""
    answers = {k: v for k, v in answers.items() if v not in (None, "")}
    if not answers:
        drop(tx, item_id, labeler_id)
        return
    tx.conn.execute(
        "INSERT INTO drafts(item_id, labeler_id, answers, updated_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(item_id, labeler_id) DO UPDATE SET answers = excluded.answers, "
        "updated_at = excluded.updated_at",
        (item_id, labeler_id, canonical_json(answers), at),
    )


def drop(tx: WriteStore, item_id: str, labeler_id: str) -> None:
    tx.conn.execute(
        "DELETE FROM drafts WHERE item_id = ? AND labeler_id = ?", (item_id, labeler_id)
    )


def push_undo(
    tx: WriteStore, labeler_id: str, item_id: str, previous: Label | None, at: str
) -> None:
    """Remember what a save replaced (None: there was no label), keeping the last few."""
    text = None if previous is None else canonical_json(label_to_json(previous))
    tx.conn.execute(
        "INSERT INTO undo_log(labeler_id, item_id, previous, at) VALUES (?, ?, ?, ?)",
        (labeler_id, item_id, text, at),
    )
    tx.conn.execute(
        "DELETE FROM undo_log WHERE labeler_id = ? AND id NOT IN (SELECT id FROM undo_log "
        "WHERE labeler_id = ? ORDER BY id DESC LIMIT ?)",
        (labeler_id, labeler_id, UNDO_DEPTH),
    )


def pop_undo(tx: WriteStore, labeler_id: str) -> tuple[str, Label | None] | None:
    """The last save's (item id, replaced label), taken off the log; None when empty."""
    rows = tx.query(
        "SELECT id, item_id, previous FROM undo_log WHERE labeler_id = ? ORDER BY id DESC LIMIT 1",
        (labeler_id,),
    )
    if not rows:
        return None
    entry_id, item_id, previous = rows[0]
    tx.conn.execute("DELETE FROM undo_log WHERE id = ?", (entry_id,))
    return item_id, None if previous is None else label_from_json(orjson.loads(previous))


def undo_depth(store: Store, labeler_id: str) -> int:
    return int(store.scalar("SELECT count(*) FROM undo_log WHERE labeler_id = ?", (labeler_id,)))
