"""The blind-side rule, in one place.

A side-by-side (or eval) pair shows its two candidates in an order of each labeler's own:
``"AB"`` puts candidate 0 on the left (side A), ``"BA"`` candidate 1. The order is a keyed
hash of labeler and item, so it is the same on every laptop and every restart. A label keeps
the answers as that labeler saw them, with its ``side_order``; everything that compares,
reconciles, packs or judges labels turns them into the *canonical* frame first (side A =
candidate 0, which in an eval is the current model), and back into a labeler's own frame
only to show them that labeler.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

SIDES = ("AB", "BA")
_SWAP = {"A": "B", "B": "A"}


def side_order(labeler_id: str, item_id: str) -> str:
    """The order in which this labeler is shown this pair's candidates."""
    digest = hmac.new(labeler_id.encode(), item_id.encode("utf-8"), hashlib.sha256).digest()
    return "AB" if int.from_bytes(digest[:8], "big") % 2 == 0 else "BA"


def candidate_positions(order: str) -> tuple[int, int]:
    """(candidate shown as A, candidate shown as B) for a side order."""
    return (0, 1) if order != "BA" else (1, 0)


def flip(answers: dict[str, Any]) -> dict[str, Any]:
    """Swap the sides: choice values "A"/"B", and per-side questions ending "_a"/"_b"."""
    flipped = {}
    for key, value in answers.items():
        if key.endswith("_a"):
            key = key[:-2] + "_b"
        elif key.endswith("_b"):
            key = key[:-2] + "_a"
        flipped[key] = _SWAP.get(value, value) if isinstance(value, str) else value
    return flipped


def to_canonical(answers: dict[str, Any], order: str | None) -> dict[str, Any]:
    """Answers given in ``order`` as the canonical frame (A = candidate 0)."""
    return flip(answers) if order == "BA" else answers


def to_shown(answers: dict[str, Any], order: str | None) -> dict[str, Any]:
    """Canonical answers as a labeler who saw ``order`` would name them (flip is its own
    inverse, so this is the same swap; two names keep call sites honest)."""
    return flip(answers) if order == "BA" else answers


def shown_value(value: Any, order: str | None) -> Any:
    """One canonical choice value as a labeler who saw ``order`` named it."""
    if order == "BA" and isinstance(value, str):
        return _SWAP.get(value, value)
    return value
