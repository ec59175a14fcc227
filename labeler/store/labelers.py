"""Labelers: the profile of the person using this workspace, and the other labelers known."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from labeler.domain import Profile
from labeler.store.connection import Store

_COLUMNS = "id, display_name, role, restricted_access, is_self, public_key, trusted"


def _profile(row: Sequence[Any]) -> Profile:
    return Profile(
        id=row[0],
        display_name=row[1],
        role=row[2],
        restricted_access=bool(row[3]),
        is_self=bool(row[4]),
        public_key=row[5],
        trusted=bool(row[6]),
    )


def self_profile(store: Store) -> Profile | None:
    rows = store.query(f"SELECT {_COLUMNS} FROM labelers WHERE is_self")
    return _profile(rows[0]) if rows else None


def get(store: Store, labeler_id: str) -> Profile | None:
    rows = store.query(f"SELECT {_COLUMNS} FROM labelers WHERE id = ?", (labeler_id,))
    return _profile(rows[0]) if rows else None


def all_profiles(store: Store) -> list[Profile]:
    return [_profile(r) for r in store.query(f"SELECT {_COLUMNS} FROM labelers ORDER BY id")]


def upsert(store: Store, profile: Profile, created_at: str) -> None:
    store.conn.execute(
        "INSERT INTO labelers (id, display_name, role, restricted_access, is_self, public_key, "
        "trusted, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
        "display_name = excluded.display_name, role = excluded.role, "
        "restricted_access = excluded.restricted_access, public_key = excluded.public_key, "
        "trusted = excluded.trusted",
        (
            profile.id,
            profile.display_name,
            profile.role,
            profile.restricted_access,
            profile.is_self,
            profile.public_key,
            profile.trusted,
            created_at,
        ),
    )
