"""Bundles: the record of each imported bundle file."""

from __future__ import annotations

import json
from typing import Any

from labeler.store.connection import Store


def find(store: Store, bundle_id: str) -> dict[str, Any] | None:
    rows = store.query(
        "SELECT id, week, kind, sha256, imported_at FROM bundles WHERE id = ?", (bundle_id,)
    )
    if not rows:
        return None
    row = rows[0]
    return {"id": row[0], "week": row[1], "kind": row[2], "sha256": row[3], "imported_at": row[4]}


def insert(store: Store, manifest: dict[str, Any], sha256: str, imported_at: str) -> None:
    store.conn.execute(
        "INSERT INTO bundles(id, week, kind, created_at, imported_at, sha256, manifest) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            manifest["bundle_id"],
            manifest["week"],
            manifest.get("kind", "week"),
            manifest["created_at"],
            imported_at,
            sha256,
            json.dumps(manifest, sort_keys=True),
        ),
    )


def ids(store: Store) -> list[str]:
    return [row[0] for row in store.query("SELECT id FROM bundles ORDER BY week, id")]


def week_manifests(store: Store) -> list[tuple[str, dict[str, Any]]]:
    """(week, manifest) of every weekly bundle (not eval bundles), oldest first."""
    rows = store.query("SELECT week, manifest FROM bundles WHERE kind = 'week' ORDER BY week")
    return [(r[0], json.loads(r[1])) for r in rows]


def manifest_of(store: Store, bundle_id: str) -> dict[str, Any] | None:
    """A bundle's manifest as it was imported (an eval's lineage is in it)."""
    text = store.scalar("SELECT manifest FROM bundles WHERE id = ?", (bundle_id,))
    return None if text is None else dict(json.loads(text))
