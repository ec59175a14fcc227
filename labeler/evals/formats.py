"""Eval judgments (``labeler eval export-judgments`` writes them, signed, beside a
``.minisig``; ``labeler eval gate`` verifies and reads them), declared once: the gate decodes
each line into ``JudgmentLine``, and ``scripts/make-schemas`` publishes it as
docs/formats/eval-judgment.schema.json.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

NonEmpty = Annotated[str, Meta(min_length=1)]


class SidePair(Struct, forbid_unknown_fields=True):
    """Whether each model's output passed the check."""

    current: bool
    candidate: bool


Winner = Literal["candidate", "current", "tie"]


class LabelVote(Struct, forbid_unknown_fields=True):
    """One labeler's pick on the pair, mapped back from their blind view, and which model
    they were shown on the left: what the gate's position-bias and agreement rules read."""

    winner: Winner
    left: Literal["current", "candidate"]


class JudgmentLine(Struct, forbid_unknown_fields=True, omit_defaults=True):
    """One line of a judgments file: the winner of a blind pair (its gold label) and both
    sides' checks; 'both bad' is written as a tie. ``labels``: every labeler's own pick
    (files exported before they were written have none)."""

    item_id: NonEmpty
    case_type: NonEmpty
    winner: Winner
    safety: SidePair
    formatting: SidePair
    labels: list[LabelVote] | None = None


SCHEMAS: dict[str, tuple[Any, str]] = {
    "eval-judgment.schema.json": (JudgmentLine, "Labeler eval judgment (one line of JSON lines)"),
}
