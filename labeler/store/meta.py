"""Workspace-level key/value settings (``meta`` table) and summary counts."""

from __future__ import annotations

from labeler.store.connection import Store


def get(store: Store, key: str, default: str | None = None) -> str | None:
    value = store.scalar("SELECT value FROM meta WHERE key = ?", (key,))
    return default if value is None else str(value)


def put(store: Store, key: str, value: str) -> None:
    """Set one setting; callers wrap it in their own transaction when it is part of one."""
    store.conn.execute(
        "INSERT INTO meta(key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def delete(store: Store, key: str) -> None:
    store.conn.execute("DELETE FROM meta WHERE key = ?", (key,))


def counts(store: Store) -> dict[str, int]:
    row = store.query(
        "SELECT (SELECT count(*) FROM items), (SELECT count(*) FROM labels), "
        "(SELECT count(*) FROM bundles), (SELECT count(*) FROM items WHERE restricted)"
    )[0]
    return {"items": row[0], "labels": row[1], "bundles": row[2], "restricted": row[3]}


def weeks(store: Store) -> list[str]:
    return [row[0] for row in store.query("SELECT DISTINCT week FROM items ORDER BY week")]


def schema_version(store: Store) -> int:
    return int(store.scalar("PRAGMA user_version"))
