"""Items: bulk insert from a validated bundle, queue rows, and one item by id.

Every item has a ``kind``: ``week`` (captured feedback of a week's bundle) or ``eval_pair``
(a holdout item answered by two models, from an eval bundle). A query about "the week's
items" (status, agreement, packs) asks for ``kind = 'week'``; the holdout flag says only that
an item's input is held out of training, and eval pairs carry it too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import orjson

from labeler.domain import Item, PiiSpan
from labeler.store.connection import Store, WriteStore

ITEM_COLUMNS = (
    "id", "bundle_id", "seq", "week", "signal", "reason_code", "captured_at", "input", "intent",
    "model_name", "model_version", "model_settings", "output", "edited_output", "retries",
    "candidates", "picked", "subject_hash", "restricted", "pii", "redaction_confirmed",
    "overlap", "holdout", "content_hash",
)  # fmt: skip
WEEK, EVAL_PAIR = "week", "eval_pair"
KINDS = (WEEK, EVAL_PAIR)
_READ_COLUMNS = ", ".join((*ITEM_COLUMNS, "text_purged", "kind"))


def kind_of_bundle(bundle_kind: str) -> str:
    """The kind of the items a bundle of ``bundle_kind`` ('week' or 'eval') holds."""
    return EVAL_PAIR if bundle_kind == "eval" else WEEK


def insert_rows(store: Store, rows: Iterable[Sequence[Any]], *, kind: str) -> None:
    """Insert rows already in ``ITEM_COLUMNS`` order, all of ``kind`` (inside the caller's
    transaction).

    A plain executemany, not sqlite-utils' insert_all: rows come validated and typed from the
    bundle reader, and its per-batch dict handling costs ~1.85x on the import budget. The kind
    is written once into the statement (checked against ``KINDS`` first) rather than added to
    every row tuple, which would copy 100k tuples on a large import.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown item kind {kind!r}")
    columns = ", ".join((*ITEM_COLUMNS, "kind"))
    marks = ", ".join("?" for _ in ITEM_COLUMNS)
    store.conn.executemany(
        f"INSERT INTO items ({columns}) VALUES ({marks}, '{kind}')",  # kind: one of KINDS
        rows,
    )


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
     text_purged, kind) = row  # fmt: skip
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
        kind=kind,
    )


def get(store: Store, item_id: str) -> Item | None:
    rows = store.query(f"SELECT {_READ_COLUMNS} FROM items WHERE id = ?", (item_id,))
    return _item(rows[0]) if rows else None


def mark_restricted(tx: WriteStore, item_id: str, spans: list[PiiSpan] | None = None) -> None:
    """Route the item to the restricted queue (with ``spans`` as its personal data, when
    given): a redaction must then be confirmed before it can train."""
    if spans is None:
        tx.conn.execute(
            "UPDATE items SET restricted = 1, redaction_confirmed = 0 WHERE id = ?", (item_id,)
        )
        return
    tx.conn.execute(
        "UPDATE items SET restricted = 1, redaction_confirmed = 0, pii = ? WHERE id = ?",
        (orjson.dumps([span.as_dict() for span in spans]).decode(), item_id),
    )


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


def all_items(store: Store, weeks: Sequence[str] = (), kind: str | None = None) -> list[Item]:
    """Every item (of ``weeks`` and of ``kind`` when given), ordered by week then id."""
    sql = f"SELECT {_READ_COLUMNS} FROM items WHERE 1"
    params: list[Any] = []
    if weeks:
        sql += " AND week IN (SELECT value FROM json_each(?))"
        params.append(json.dumps(list(weeks)))
    if kind is not None:
        sql += " AND kind = ?"
        params.append(kind)
    return [_item(row) for row in store.query(sql + " ORDER BY week, id", params)]


def ids_of_kind(store: Store, kind: str) -> list[str]:
    """The ids of every item of ``kind`` (the queue's covering index: no item row read)."""
    return [row[0] for row in store.query("SELECT id FROM items WHERE kind = ?", (kind,))]


def holdout_inputs(store: Store, kind: str | None = None) -> list[tuple[str, str | None, str]]:
    """(id, input, content_hash) of every holdout item ever imported (of ``kind`` if given).

    The leakage guard takes every kind (an eval pair's input is a holdout input); the eval
    pack's holdout list takes the week's items only.
    """
    where = "holdout" if kind is None else "holdout AND kind = ?"
    params = () if kind is None else (kind,)
    return [(r[0], r[1], r[2]) for r in store.query(
        f"SELECT id, input, content_hash FROM items WHERE {where} ORDER BY id", params
    )]  # fmt: skip


TextRow = tuple[str, str | None, str | None, str | None, str | None, str | None]


def holdout_texts(store: Store) -> list[TextRow]:
    """(id, input, output, edited_output, retries, candidates) of every holdout item that
    still holds its texts (JSON text for retries and candidates), for the leakage guard."""
    return [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in store.query(
        "SELECT id, input, output, edited_output, retries, candidates FROM items "
        "WHERE holdout AND NOT text_purged ORDER BY id"
    )]  # fmt: skip


def week_flags(store: Store, week: str | None) -> list[tuple[str, str | None, bool, bool, bool]]:
    """(id, reason code, restricted, holdout, overlap) of the week's items (no eval pairs)."""
    rows = store.query(
        "SELECT id, reason_code, restricted, holdout, overlap FROM items "
        "WHERE week = ? AND kind = 'week'",
        (week,),
    )
    return [(r[0], r[1], bool(r[2]), bool(r[3]), bool(r[4])) for r in rows]


def weeks(store: Store) -> list[str]:
    """The weeks that have captured items (an eval bundle's week alone is not one)."""
    return [r[0] for r in store.query(
        "SELECT DISTINCT week FROM items WHERE kind = 'week' ORDER BY week"
    )]  # fmt: skip


def open_items_by_week(store: Store) -> list[tuple[str, str, bool]]:
    """(id, week, overlap) of every unrestricted week item, in week and bundle order."""
    rows = store.query(
        "SELECT id, week, overlap FROM items WHERE NOT restricted AND kind = 'week' "
        "ORDER BY week, seq"
    )
    return [(r[0], r[1], bool(r[2])) for r in rows]


def keep_redaction(store: Store, item_id: str, spans: list[PiiSpan], by: str, at: str) -> None:
    """Keep a confirmed redaction's spans (offsets and kinds only), so it can travel."""
    store.conn.execute(
        "INSERT OR REPLACE INTO redactions(item_id, spans, redacted_by, redacted_at) "
        "VALUES (?, ?, ?, ?)",
        (item_id, json.dumps([s.as_dict() for s in spans]), by, at),
    )


def redactions_by(store: Store, labeler_id: str) -> list[tuple[str, list[PiiSpan], str]]:
    """(item id, spans, confirmed at) of the redactions ``labeler_id`` confirmed."""
    rows = store.query(
        "SELECT item_id, spans, redacted_at FROM redactions WHERE redacted_by = ? ORDER BY item_id",
        (labeler_id,),
    )
    return [(r[0], [PiiSpan(**s) for s in json.loads(r[1])], r[2]) for r in rows]
