"""Eval bundles' items: which model versions they compare, and each item's case type."""

from __future__ import annotations

from typing import Any

from labeler.store.connection import Store


def record(store: Store, manifest: dict[str, Any], ids: list[str]) -> None:
    section = manifest["eval"]
    store.conn.executemany(
        "INSERT INTO eval_items(item_id, bundle_id, case_type, current_version, "
        "candidate_version) VALUES (?, ?, ?, ?, ?)",
        [
            (item_id, manifest["bundle_id"], section["case_types"].get(item_id, "unspecified"),
             section["current_version"], section["candidate_version"])
            for item_id in ids
        ],
    )  # fmt: skip


def bundles(store: Store) -> list[dict[str, Any]]:
    rows = store.query(
        "SELECT bundle_id, current_version, candidate_version, count(*) FROM eval_items "
        "GROUP BY bundle_id ORDER BY bundle_id"
    )
    return [{"bundle_id": r[0], "current": r[1], "candidate": r[2], "items": r[3]} for r in rows]


def case_types(store: Store, bundle_id: str) -> list[tuple[str, str]]:
    rows = store.query(
        "SELECT item_id, case_type FROM eval_items WHERE bundle_id = ? ORDER BY item_id",
        (bundle_id,),
    )
    return [(r[0], r[1]) for r in rows]
