"""Exported packs and which items (and subjects) each held, so a deletion request can name
the packs the training team must purge too."""

from __future__ import annotations

import json
from typing import Any

from labeler.store.connection import Store


def record(
    store: Store, manifest: dict[str, Any], directory: str, members: list[tuple[str, str | None]]
) -> None:
    store.conn.execute(
        "INSERT INTO packs(id, kind, created_at, creator_id, directory, manifest) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (manifest["pack_id"], manifest["kind"], manifest["created_at"], manifest["creator_id"],
         directory, json.dumps(manifest, sort_keys=True)),
    )  # fmt: skip
    store.conn.executemany(
        "INSERT INTO pack_items(pack_id, item_id, subject_hash) VALUES (?, ?, ?)",
        [(manifest["pack_id"], item_id, subject) for item_id, subject in members],
    )


def with_subject(store: Store, subject_hashes: list[str]) -> list[str]:
    """The packs that held the subject kept in any of these forms."""
    rows = store.query(
        "SELECT DISTINCT pack_id FROM pack_items WHERE subject_hash IN "
        "(SELECT value FROM json_each(?)) ORDER BY pack_id",
        (json.dumps(subject_hashes),),
    )
    return [r[0] for r in rows]


def replace_subject(store: Store, subject_hashes: list[str], keyed: str) -> None:
    """A purged subject's pack rows keep only ``keyed`` (the tombstone's hash), so the packs
    can still be named and the plain hash is gone (caller holds the transaction)."""
    store.conn.execute(
        "UPDATE pack_items SET subject_hash = ? WHERE subject_hash IN "
        "(SELECT value FROM json_each(?))",
        (keyed, json.dumps(subject_hashes)),
    )


def listing(store: Store) -> list[dict[str, Any]]:
    rows = store.query("SELECT manifest FROM packs ORDER BY created_at")
    return [json.loads(r[0]) for r in rows]
