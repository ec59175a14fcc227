"""The audit log of restricted-item access: who opened what, when. Append-only."""

from __future__ import annotations

from labeler.store.connection import Store


def record(store: Store, at: str, labeler_id: str | None, action: str, item_id: str | None) -> None:
    store.conn.execute(
        "INSERT INTO audit_log (at, labeler_id, action, item_id) VALUES (?, ?, ?, ?)",
        (at, labeler_id, action, item_id),
    )


def entries(store: Store, item_id: str | None = None) -> list[tuple[str, str, str, str]]:
    sql = "SELECT at, labeler_id, action, item_id FROM audit_log"
    params: tuple[str, ...] = ()
    if item_id is not None:
        sql += " WHERE item_id = ?"
        params = (item_id,)
    return [(r[0], r[1], r[2], r[3]) for r in store.query(sql + " ORDER BY id", params)]
