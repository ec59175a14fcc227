"""Who labels what: the overlap items go to everyone, every other item to one labeler.

A pure function of the bundle's items, the labelers and a per-bundle key. Each non-overlap
item goes to the labeler with the highest HMAC-SHA256(key, item id + labeler id) among those
allowed to see it (rendezvous hashing): the same key gives the same answer anywhere, and a
labeler added to the team takes about 1/n of the items while no other item changes hands.
(A plain ``hash mod n`` was rejected: adding a labeler would move most items.) Restricted
items go only to labelers with restricted access; when none has it they stay unassigned.

The key is random per bundle and written in its manifest: it is not a secret (every laptop
recomputes nothing, it reads the map), only unpredictable when the bundle is built, so nobody
can choose ids that land on a friend.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

KEY_BYTES = 32


@dataclass(frozen=True)
class AssignedLabeler:
    """A labeler an assignment shares items among (``id`` from ``key_labeler_id``)."""

    id: str
    display_name: str
    restricted: bool = False


@dataclass(frozen=True)
class ItemFlags:
    id: str
    overlap: bool
    restricted: bool


@dataclass(frozen=True)
class Assignment:
    key: str  # hex
    labelers: tuple[AssignedLabeler, ...]
    items: dict[str, str]  # non-overlap item id -> labeler id
    unassigned: tuple[str, ...]  # restricted items no labeler may see

    def as_manifest(self) -> dict[str, Any]:
        """The manifest's ``assignment`` field (docs/formats/bundle.md)."""
        return {
            "key": self.key,
            "labelers": [
                {"id": p.id, "display_name": p.display_name, "restricted": p.restricted}
                for p in self.labelers
            ],
            "items": dict(sorted(self.items.items())),
        }


def new_key() -> str:
    return secrets.token_hex(KEY_BYTES)


def _score(key: bytes, item_id: str, labeler_id: str) -> bytes:
    # NUL between the two ids: neither can contain it (ids have no control characters), so
    # ("ab", "c") and ("a", "bc") never hash alike.
    return hmac.new(key, f"{item_id}\0{labeler_id}".encode(), hashlib.sha256).digest()


def assignee(key: bytes, item_id: str, labelers: Sequence[AssignedLabeler]) -> str | None:
    """The labeler of ``labelers`` with the highest score for ``item_id`` (None: no one)."""
    if not labelers:
        return None
    return max(labelers, key=lambda p: (_score(key, item_id, p.id), p.id)).id


def assign(
    items: Iterable[ItemFlags], labelers: Sequence[AssignedLabeler], key: str | None = None
) -> Assignment:
    """The assignment of ``items`` among ``labelers`` under ``key`` (hex; random when None)."""
    ids = [p.id for p in labelers]
    if not labelers:
        raise ValueError("an assignment needs at least one labeler")
    if len(set(ids)) != len(ids):
        raise ValueError("a labeler is listed twice")
    key = key or new_key()
    raw = bytes.fromhex(key)
    allowed = [p for p in labelers if p.restricted]
    mapping: dict[str, str] = {}
    unassigned: list[str] = []
    for item in items:
        if item.overlap:
            continue  # everyone's
        chosen = assignee(raw, item.id, allowed if item.restricted else labelers)
        if chosen is None:
            unassigned.append(item.id)
        else:
            mapping[item.id] = chosen
    return Assignment(key, tuple(labelers), mapping, tuple(sorted(unassigned)))


def parse_labeler(spec: str) -> AssignedLabeler:
    """``ID:NAME[:restricted]`` (the ``--labeler`` option) as a labeler; ValueError if not."""
    parts = spec.split(":")
    restricted = len(parts) >= 3 and parts[-1].strip().lower() == "restricted"
    if restricted:
        parts = parts[:-1]
    if len(parts) < 2 or not parts[0].strip() or not ":".join(parts[1:]).strip():
        raise ValueError(f"--labeler must look like ID:NAME or ID:NAME:restricted, not {spec!r}")
    return AssignedLabeler(parts[0].strip(), ":".join(parts[1:]).strip(), restricted)
