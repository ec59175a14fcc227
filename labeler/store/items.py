"""Items: bulk insert from a validated bundle, queue rows, and one item by id."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import orjson

from labeler.domain import Item, PiiSpan
from labeler.store.connection import Store

ITEM_COLUMNS = (
    "id", "bundle_id", "seq", "week", "signal", "reason_code", "captured_at", "input", "intent",
    "model_name", "model_version", "model_settings", "output", "edited_output", "retries",
    "candidates", "picked", "subject_hash", "restricted", "pii", "redaction_confirmed",
    "overlap", "holdout", "content_hash",
)  # fmt: skip
_INSERT = (
    f"INSERT INTO items ({', '.join(ITEM_COLUMNS)}) VALUES ({', '.join('?' for _ in ITEM_COLUMNS)})"
)


def insert_rows(store: Store, rows: Iterable[Sequence[Any]]) -> None:
    """Insert rows already in ``ITEM_COLUMNS`` order (inside the caller's transaction).

    A plain executemany, not sqlite-utils' insert_all: rows come validated and typed from the
    bundle reader, and its per-batch dict handling costs ~1.85x on the import budget.
    """
    store.conn.executemany(_INSERT, rows)


def content_hashes(store: Store, ids: Sequence[str]) -> dict[str, str]:
    """The stored content hash of each of ``ids`` that exists (one query, any number of ids)."""
    rows = store.query(
        "SELECT id, content_hash FROM items WHERE id IN (SELECT value FROM json_each(?))",
        (json.dumps(list(ids)),),
    )
    return dict(rows)


def _loads(text: str | None) -> Any:
    return None if text is None else orjson.loads(text)


def _item(row: Sequence[Any]) -> Item:
    (item_id, bundle_id, seq, week, signal, reason_code, captured_at, input_, intent, model_name,
     model_version, model_settings, output, edited_output, retries, candidates, picked,
     subject_hash, restricted, pii, redaction_confirmed, overlap, holdout, content_hash,
     text_purged) = row  # fmt: skip
    return Item(
        id=item_id,
        bundle_id=bundle_id,
        seq=seq,
        week=week,
        signal=signal,
        reason_code=reason_code,
        captured_at=captured_at,
        input=input_,
        intent=intent,
        model_name=model_name,
        model_version=model_version,
        model_settings=_loads(model_settings) or {},
        output=output,
        edited_output=edited_output,
        retries=_loads(retries),
        candidates=_loads(candidates),
        picked=picked,
        subject_hash=subject_hash,
        restricted=bool(restricted),
        pii=[PiiSpan(**span) for span in _loads(pii)] if pii != "[]" else [],
        redaction_confirmed=bool(redaction_confirmed),
        overlap=bool(overlap),
        holdout=bool(holdout),
        content_hash=content_hash,
        text_purged=bool(text_purged),
    )


def get(store: Store, item_id: str) -> Item | None:
    columns = ", ".join((*ITEM_COLUMNS, "text_purged"))
    rows = store.query(f"SELECT {columns} FROM items WHERE id = ?", (item_id,))
    return _item(rows[0]) if rows else None


def apply_redaction(store: Store, item_id: str, values: dict[str, Any]) -> None:
    """Overwrite the item's texts with redacted ones and mark the redaction confirmed.

    The caller holds the transaction and checkpoints afterwards: with secure_delete on, the
    old cell content is zeroed in the database pages, and the checkpoint rewrites the WAL.
    The content hash is kept: it names the captured event, so a re-import is recognised.
    """
    store.conn.execute(
        "UPDATE items SET input = ?, intent = ?, output = ?, edited_output = ?, retries = ?, "
        "candidates = ?, pii = '[]', redaction_confirmed = 1 WHERE id = ?",
        (
            values["input"],
            values["intent"],
            values["output"],
            values["edited_output"],
            None if values["retries"] is None else json.dumps(values["retries"]),
            None if values["candidates"] is None else json.dumps(values["candidates"]),
            item_id,
        ),
    )


def all_items(store: Store, weeks: Sequence[str] = ()) -> list[Item]:
    """Every item (of ``weeks`` when given), ordered by week then id: one query."""
    columns = ", ".join((*ITEM_COLUMNS, "text_purged"))
    sql = f"SELECT {columns} FROM items"
    params: tuple[Any, ...] = ()
    if weeks:
        sql += " WHERE week IN (SELECT value FROM json_each(?))"
        params = (json.dumps(list(weeks)),)
    return [_item(row) for row in store.query(sql + " ORDER BY week, id", params)]


def holdout_inputs(store: Store) -> list[tuple[str, str | None, str]]:
    """(id, input, content_hash) of every holdout item ever imported."""
    return [(r[0], r[1], r[2]) for r in store.query(
        "SELECT id, input, content_hash FROM items WHERE holdout ORDER BY id"
    )]  # fmt: skip


def week_flags(store: Store, week: str | None) -> list[tuple[str, str | None, bool, bool, bool]]:
    """(id, reason code, restricted, holdout, overlap) of the week's items."""
    rows = store.query(
        "SELECT id, reason_code, restricted, holdout, overlap FROM items WHERE week = ?", (week,)
    )
    return [(r[0], r[1], bool(r[2]), bool(r[3]), bool(r[4])) for r in rows]


def open_items_by_week(store: Store) -> list[tuple[str, str, bool]]:
    """(id, week, overlap) of every unrestricted item, in week and bundle order."""
    rows = store.query(
        "SELECT id, week, overlap FROM items WHERE NOT restricted ORDER BY week, seq"
    )
    return [(r[0], r[1], bool(r[2])) for r in rows]
