"""Eval judgments (``labeler eval export-judgments`` writes them, ``labeler eval gate`` reads
them), declared once: the gate decodes each line into ``JudgmentLine``, and
``scripts/make-schemas`` publishes it as docs/formats/eval-judgment.schema.json.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

NonEmpty = Annotated[str, Meta(min_length=1)]


class SidePair(Struct, forbid_unknown_fields=True):
    """Whether each model's output passed the check."""

    current: bool
    candidate: bool


class JudgmentLine(Struct, forbid_unknown_fields=True):
    """One line of a judgments file: the winner of a blind pair and both sides' checks.
    'both bad' is written as a tie."""

    item_id: NonEmpty
    case_type: NonEmpty
    winner: Literal["candidate", "current", "tie"]
    safety: SidePair
    formatting: SidePair


SCHEMAS: dict[str, tuple[Any, str]] = {
    "eval-judgment.schema.json": (JudgmentLine, "Labeler eval judgment (one line of JSON lines)"),
}
