"""Rubric versions in SQL: every version a workspace installed, exactly one of them current.

Rows are only ever added (a version is never edited or removed: labels and resolutions
point at it by its content hash). ``add`` makes the new row the current one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from labeler.store.assignments import COUNTED_LABELS
from labeler.store.connection import Store

SOURCES = ("default", "workspace", "install", "import")
_COLUMNS = (
    "seq, rubric_id, version, content_hash, yaml, guidance, installed_at, installed_by, "
    "installed_by_name, source, signed_by_key, signed_by_name, file_sha256, current"
)


@dataclass(frozen=True)
class RubricRow:
    """One installed version. ``source``: 'default' (the shipped rubric, on first use),
    'workspace' (the rubric kept before versions existed), 'install' (a lead installed a
    file), 'import' (a signed file from the lead)."""

    seq: int
    rubric_id: str
    version: str
    content_hash: str
    yaml: str
    guidance: str
    installed_at: str
    installed_by: str | None
    installed_by_name: str | None
    source: str
    signed_by_key: str | None = None
    signed_by_name: str | None = None
    file_sha256: str | None = None
    current: bool = False


def _row(raw: Sequence[Any]) -> RubricRow:
    names = [name.strip() for name in _COLUMNS.split(",")]
    values = dict(zip(names, raw, strict=True))
    values["current"] = bool(values["current"])
    return RubricRow(**values)


def current(store: Store) -> RubricRow | None:
    rows = store.query(f"SELECT {_COLUMNS} FROM rubrics WHERE current = 1")
    return _row(rows[0]) if rows else None


def history(store: Store) -> list[RubricRow]:
    """Every version, oldest first (install order)."""
    return [_row(r) for r in store.query(f"SELECT {_COLUMNS} FROM rubrics ORDER BY seq")]


def by_hash(store: Store, content_hash: str) -> RubricRow | None:
    rows = store.query(f"SELECT {_COLUMNS} FROM rubrics WHERE content_hash = ?", (content_hash,))
    return _row(rows[0]) if rows else None


def add(store: Store, row: RubricRow) -> int:
    """Keep ``row`` as the new current version (its ``seq`` is ignored); returns its seq.
    The caller holds the transaction."""
    store.conn.execute("UPDATE rubrics SET current = 0 WHERE current = 1")
    cursor = store.conn.execute(
        "INSERT INTO rubrics(rubric_id, version, content_hash, yaml, guidance, installed_at, "
        "installed_by, installed_by_name, source, signed_by_key, signed_by_name, file_sha256, "
        "current) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
        (row.rubric_id, row.version, row.content_hash, row.yaml, row.guidance, row.installed_at,
         row.installed_by, row.installed_by_name, row.source, row.signed_by_key,
         row.signed_by_name, row.file_sha256),
    )  # fmt: skip
    return int(cursor.lastrowid)


def paired_labels(store: Store) -> list[tuple[str, str, str, str | None, str]]:
    """(item, labeler, rubric hash, side order, answers JSON) of every label of a week's
    item labeled by two or more people, by item then labeler (for agreement per version)."""
    rows = store.query(
        "SELECT l.item_id, l.labeler_id, l.rubric_hash, l.side_order, l.answers "
        f"FROM {COUNTED_LABELS} l JOIN items i ON i.id = l.item_id AND i.kind = 'week' "
        f"WHERE l.item_id IN (SELECT item_id FROM {COUNTED_LABELS} GROUP BY item_id "
        "HAVING count(*) > 1) "
        "ORDER BY l.item_id, l.labeler_id"
    )
    return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]
