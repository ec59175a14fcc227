"""The team rosters this laptop accepted (newest wins) and the items sealed to others."""

from __future__ import annotations

from dataclasses import dataclass

from labeler.store.connection import Store, WriteStore


@dataclass(frozen=True)
class RosterRow:
    version: int
    team_id: str
    lead_key: str
    issued_at: str
    sha256: str
    document: str


def latest(store: Store) -> RosterRow | None:
    rows = store.query(
        "SELECT version, team_id, lead_key, issued_at, sha256, document FROM rosters "
        "ORDER BY version DESC LIMIT 1"
    )
    return RosterRow(*rows[0]) if rows else None


def insert(tx: WriteStore, row: RosterRow, accepted_at: str) -> None:
    tx.conn.execute(
        "INSERT INTO rosters(version, team_id, lead_key, issued_at, sha256, document, "
        "accepted_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (row.version, row.team_id, row.lead_key, row.issued_at, row.sha256, row.document,
         accepted_at),
    )  # fmt: skip


def withhold(tx: WriteStore, entries: list[tuple[str, str, str]]) -> None:
    """(id, bundle_id, kind) of items whose text this laptop may not receive."""
    tx.conn.executemany(
        "INSERT OR IGNORE INTO withheld_items(id, bundle_id, kind) VALUES (?, ?, ?)", entries
    )


def withheld_count(store: Store) -> int:
    return int(store.scalar("SELECT count(*) FROM withheld_items"))


def withheld_ids(store: Store, ids: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        found.update(
            r[0] for r in store.query(f"SELECT id FROM withheld_items WHERE id IN ({marks})", chunk)
        )
    return found
