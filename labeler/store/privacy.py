"""Deletion requests and retention in SQL: subjects' items and everything hanging off them,
tombstones, and the texts retention removes."""

from __future__ import annotations

import json
from typing import Any

from labeler.store.connection import Store

_IN_IDS = "(SELECT value FROM json_each(?))"
DEPENDENT_TABLES = (
    "labels", "resolutions", "feedback", "input_fingerprints", "audit_log", "drafts", "undo_log",
    "redactions",
)  # fmt: skip


def tombstone_keys(store: Store) -> set[str]:
    return {r[0] for r in store.query("SELECT key_hash FROM tombstones")}


def subject_item_ids(store: Store, subject_hashes: list[str]) -> list[str]:
    """The items carrying any of these forms of one subject."""
    rows = store.query(
        f"SELECT id FROM items WHERE subject_hash IN {_IN_IDS}", (json.dumps(subject_hashes),)
    )
    return [r[0] for r in rows]


def delete_items(store: Store, ids: list[str]) -> int:
    """Delete the items and every row that refers to them; return the labels removed.
    The caller holds the transaction."""
    id_list = json.dumps(ids)
    labels = store.scalar(f"SELECT count(*) FROM labels WHERE item_id IN {_IN_IDS}", (id_list,))
    for table in DEPENDENT_TABLES:
        store.conn.execute(f"DELETE FROM {table} WHERE item_id IN {_IN_IDS}", (id_list,))
    store.conn.execute(f"DELETE FROM items WHERE id IN {_IN_IDS}", (id_list,))
    return int(labels or 0)


def add_tombstone(store: Store, key_hash: str, at: str) -> None:
    store.conn.execute(
        "INSERT OR IGNORE INTO tombstones(key_hash, added_at) VALUES (?, ?)", (key_hash, at)
    )


def has_texts_before(store: Store, week: str) -> bool:
    query = "SELECT 1 FROM items WHERE week < ? AND NOT text_purged LIMIT 1"
    return store.scalar(query, (week,)) is not None


def texts_before(store: Store, week: str) -> list[tuple[str, str | None, bool]]:
    """(id, input, holdout) of items of earlier weeks that still hold their texts."""
    rows = store.query(
        "SELECT id, input, holdout FROM items WHERE week < ? AND NOT text_purged", (week,)
    )
    return [(r[0], r[1], bool(r[2])) for r in rows]


def keep_fingerprint(store: Store, item_id: str, exact: str, signature: bytes) -> None:
    store.conn.execute(
        "INSERT OR REPLACE INTO input_fingerprints(item_id, exact, minhash) VALUES (?, ?, ?)",
        (item_id, exact, signature),
    )


def fingerprints(store: Store) -> dict[str, tuple[str, bytes]]:
    rows = store.query("SELECT item_id, exact, minhash FROM input_fingerprints")
    return {r[0]: (r[1], r[2]) for r in rows}


def drop_texts(store: Store, ids: list[Any]) -> None:
    store.conn.executemany(
        "UPDATE items SET input = NULL, intent = NULL, output = NULL, edited_output = NULL, "
        "retries = NULL, candidates = NULL, pii = '[]', text_purged = 1 WHERE id = ?",
        [(item_id,) for item_id in ids],
    )
