"""Frozen domain records and vocabularies shared by the core, CLI and app; no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NewType

ItemId = NewType("ItemId", str)
LabelerId = NewType("LabelerId", str)
BundleId = NewType("BundleId", str)

HIGH_INTENT_SIGNALS = ("edit", "retry", "side_by_side")
NORMAL_SIGNAL = "sample"
LOW_INTENT_SIGNALS = ("rating", "reaction", "ticket")
ALL_SIGNALS = (*HIGH_INTENT_SIGNALS, NORMAL_SIGNAL, *LOW_INTENT_SIGNALS)
EVAL_SIGNAL = "eval"  # a blind current-vs-candidate pair of an eval bundle (never captured)
PAIR_SIGNALS = ("side_by_side", EVAL_SIGNAL)  # shown as two blind, shuffled sides
LABELED_SIGNALS = (*HIGH_INTENT_SIGNALS, NORMAL_SIGNAL, EVAL_SIGNAL)
REASON_CODES = ("wrong", "unsafe", "missing_info", "formatting", "sensitive_data")
NORMAL_CASE = "normal"  # the case type of normal-traffic samples
UNSPECIFIED_CASE = "unspecified"  # a high-intent signal captured without a reason code


def case_type(signal: str, reason_code: str | None) -> str:
    """The sampling stratum: the reason code, or normal traffic, or unspecified."""
    if signal == NORMAL_SIGNAL:
        return NORMAL_CASE
    return reason_code or UNSPECIFIED_CASE


ROLES = ("labeler", "lead")


@dataclass(frozen=True)
class PiiSpan:
    """A detected piece of personal data: ``text[start:end]`` of one item field."""

    kind: str
    start: int
    end: int
    field: str = "input"

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "start": self.start, "end": self.end, "field": self.field}


@dataclass(frozen=True)
class Item:
    """One piece of evidence to label, as stored."""

    id: str
    bundle_id: str
    seq: int
    week: str
    signal: str
    reason_code: str | None
    captured_at: str
    input: str | None
    intent: str | None
    model_name: str | None
    model_version: str | None
    model_settings: dict[str, Any]
    output: str | None
    edited_output: str | None
    retries: list[dict[str, Any]] | None
    candidates: list[dict[str, Any]] | None
    picked: int | None
    subject_hash: str | None
    restricted: bool
    pii: list[PiiSpan]
    redaction_confirmed: bool
    overlap: bool
    holdout: bool
    content_hash: str
    text_purged: bool = False
    kind: str = "week"  # 'week' (captured feedback) or 'eval_pair' (see store/items.py)

    @property
    def case_type(self) -> str:
        return case_type(self.signal, self.reason_code)


@dataclass(frozen=True)
class QueueRow:
    """What the queue shows of one item, without its texts."""

    id: str
    seq: int
    week: str
    signal: str
    reason_code: str | None
    restricted: bool
    redaction_confirmed: bool
    overlap: bool
    holdout: bool
    labeled: bool
    preview: str
    draft: bool = False  # answers chosen but not saved yet
    recheck: bool = False  # a new rubric version sent it back (store/rechecks.py)

    @property
    def status(self) -> str:
        if self.recheck:
            return "re-check"
        if self.labeled:
            return "labeled"
        if self.draft:
            return "draft"
        if self.restricted and not self.redaction_confirmed:
            return "needs redaction"
        return "unlabeled"


@dataclass(frozen=True)
class Profile:
    """A labeler known to this workspace; ``is_self`` marks the person using it."""

    id: str
    display_name: str
    role: str
    restricted_access: bool
    is_self: bool = False
    public_key: str | None = None
    trusted: bool = False


@dataclass(frozen=True)
class Label:
    """One labeler's answers for one item under one rubric version."""

    item_id: str
    labeler_id: str
    rubric_id: str
    rubric_version: str
    rubric_hash: str
    answers: dict[str, Any]
    started_at: str
    saved_at: str
    seconds_spent: float
    side_order: str | None = None


@dataclass(frozen=True)
class WorkspaceInfo:
    path: str
    workspace_id: str
    schema_version: int
    key_source: str
    items: int
    labels: int
    bundles: int
    restricted: int
    weeks: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "workspace_id": self.workspace_id,
            "schema_version": self.schema_version,
            "key_source": self.key_source,
            "items": self.items,
            "labels": self.labels,
            "bundles": self.bundles,
            "restricted": self.restricted,
            "weeks": self.weeks,
        }
