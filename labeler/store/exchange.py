"""Trusted public keys and the record of label files imported from other laptops."""

from __future__ import annotations

from collections.abc import Iterable

from labeler.domain import Label
from labeler.store import labels
from labeler.store.connection import Store


def trust(store: Store, public_key: str, name: str, at: str) -> None:
    store.conn.execute(
        "INSERT INTO trusted_keys(public_key, name, added_at) VALUES (?, ?, ?) "
        "ON CONFLICT(public_key) DO UPDATE SET name = excluded.name",
        (public_key, name, at),
    )


def trusted_name(store: Store, public_key: str) -> str | None:
    value = store.scalar("SELECT name FROM trusted_keys WHERE public_key = ?", (public_key,))
    return None if value is None else str(value)


def labeler_id_of_key(store: Store, public_key: str) -> str | None:
    """The id of the (other) labeler whose labels this key signed here before, if any."""
    value = store.scalar(
        "SELECT id FROM labelers WHERE public_key = ? AND NOT is_self ORDER BY created_at LIMIT 1",
        (public_key,),
    )
    return None if value is None else str(value)


def trusted(store: Store) -> list[tuple[str, str]]:
    return [
        (r[0], r[1]) for r in store.query("SELECT name, public_key FROM trusted_keys ORDER BY name")
    ]


def last_import(store: Store, labeler_id: str) -> tuple[str, str] | None:
    rows = store.query(
        "SELECT exported_at, sha256 FROM label_imports WHERE labeler_id = ?", (labeler_id,)
    )
    return (rows[0][0], rows[0][1]) if rows else None


def replace_labels(
    store: Store, labeler_id: str, new: Iterable[Label], exported_at: str, sha256: str, at: str
) -> None:
    """This labeler's labels become exactly ``new`` (caller holds the transaction)."""
    store.conn.execute("DELETE FROM labels WHERE labeler_id = ?", (labeler_id,))
    for label in new:
        labels.put(store, label)
    store.conn.execute(
        "INSERT INTO label_imports(labeler_id, exported_at, sha256, imported_at) "
        "VALUES (?, ?, ?, ?) ON CONFLICT(labeler_id) DO UPDATE SET "
        "exported_at = excluded.exported_at, sha256 = excluded.sha256, "
        "imported_at = excluded.imported_at",
        (labeler_id, exported_at, sha256, at),
    )


def known_item_ids(store: Store, ids: list[str]) -> set[str]:
    import json

    rows = store.query(
        "SELECT id FROM items WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(ids),)
    )
    return {r[0] for r in rows}


def item_signals(store: Store, ids: list[str]) -> dict[str, str]:
    """item id -> signal, for the ids this workspace holds."""
    import json

    rows = store.query(
        "SELECT id, signal FROM items WHERE id IN (SELECT value FROM json_each(?))",
        (json.dumps(ids),),
    )
    return {r[0]: r[1] for r in rows}
