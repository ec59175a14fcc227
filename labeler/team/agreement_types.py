"""The agreement report as frozen records, and their JSON (``to_json``, the one place the
``--json`` shape is made; it is the shape the report had as nested dicts).

Figures are rounded to 4 places where they are made; None where a figure is undefined
(nan), as the JSON has always shown it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class QuestionStats:
    """One question's agreement over some items (a week, a reason code, pooled weeks)."""

    question: str
    level: str  # nominal | ordinal
    n: int  # paired items: two or more people answered the question
    percent: float | None  # share of items on which all who answered gave the same answer
    kappa: float | None  # Cohen's kappa of the two labelers sharing the most items
    alpha: float | None  # Krippendorff's alpha
    alpha_ci95: tuple[float, float] | None  # 95% bootstrap interval (the week and pooled)
    flag: str | None  # too few items | one answer throughout | unreliable

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "level": self.level,
            "n": self.n,
            "percent": self.percent,
            "kappa": self.kappa,
            "alpha": self.alpha,
            "alpha_ci95": None if self.alpha_ci95 is None else list(self.alpha_ci95),
            "flag": self.flag,
        }


@dataclass(frozen=True)
class Confusion:
    """How often the first labeler (in id order) answered ``labels[row]`` and the second
    ``labels[column]``, over the items both answered."""

    labels: tuple[str, ...]
    matrix: tuple[tuple[int, ...], ...]

    def to_json(self) -> dict[str, Any]:
        return {"labels": list(self.labels), "matrix": [list(row) for row in self.matrix]}


@dataclass(frozen=True)
class ReasonStats:
    reason: str  # the reason code, or "none"
    stats: QuestionStats


@dataclass(frozen=True)
class QuestionBlock:
    """The week's figures for one question: overall, its confusion matrix, per reason code."""

    stats: QuestionStats
    confusion: Confusion
    by_reason: tuple[ReasonStats, ...]  # sorted by reason code

    def to_json(self) -> dict[str, Any]:
        return {
            **self.stats.to_json(),
            "confusion": self.confusion.to_json(),
            "by_reason": {r.reason: r.stats.to_json() for r in self.by_reason},
        }


@dataclass(frozen=True)
class TrendPoint:
    week: str
    n: int
    alpha: float | None
    flag: str | None

    def to_json(self) -> dict[str, Any]:
        return {"week": self.week, "n": self.n, "alpha": self.alpha, "flag": self.flag}


@dataclass(frozen=True)
class Trend:
    """Alpha of one question in every week with paired labels, oldest first."""

    question: str
    points: tuple[TrendPoint, ...]


@dataclass(frozen=True)
class Pooled:
    weeks: tuple[str, ...]
    questions: tuple[QuestionStats, ...]

    def to_json(self) -> dict[str, Any]:
        return {"weeks": list(self.weeks), "questions": [q.to_json() for q in self.questions]}


@dataclass(frozen=True)
class GoldWeek:
    week: str
    answers: int  # answers compared with a gold label
    agreement: float  # share of them equal to it

    def to_json(self) -> dict[str, Any]:
        return {"week": self.week, "answers": self.answers, "agreement": self.agreement}


@dataclass(frozen=True)
class LabelerVsGold:
    labeler: str
    name: str
    weeks: tuple[GoldWeek, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "labeler": self.labeler,
            "name": self.name,
            "weeks": [w.to_json() for w in self.weeks],
        }


@dataclass(frozen=True)
class Disagreements:
    """A week's items (never eval pairs) labeled in pairs: in every week, and in the
    report's week."""

    open: int  # paired items whose labels differ and that no resolution settled
    resolved: int  # paired items the lead resolved
    week_open: int = 0  # of them, in the report's week
    week_resolved: int = 0
    # Eval pairs whose raters differ (Reconcile lists them: an eval judges a pair by its
    # gold label), counted apart: they are no week's agreement.
    eval_open: int = 0
    eval_resolved: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"open": self.open, "resolved": self.resolved, "week_open": self.week_open,
                "week_resolved": self.week_resolved, "eval_open": self.eval_open,
                "eval_resolved": self.eval_resolved}  # fmt: skip

    def text(self) -> str:
        """How the CLI, Home and the Agreement tab say it."""
        week = f"{self.week_open} open, {self.week_resolved} resolved this week"
        said = f"{week}; {self.open} open, {self.resolved} resolved in all weeks"
        if self.eval_open or self.eval_resolved:
            said += f"; eval pairs: {self.eval_open} open, {self.eval_resolved} resolved"
        return said


@dataclass(frozen=True)
class Thresholds:
    alpha: float
    min_items: int

    def to_json(self) -> dict[str, Any]:
        return {"alpha": self.alpha, "min_items": self.min_items}


@dataclass(frozen=True)
class ReleaseMarker:
    """A rubric version released after the first: where the trend marks it. ``position`` is
    on the trend's week axis (index of ``weeks``): the release's week, or halfway between
    the weeks on either side of it when it has no paired labels."""

    rubric_id: str
    version: str
    installed_at: str
    week: str  # the ISO week it was installed in
    position: float

    def to_json(self) -> dict[str, Any]:
        return {"rubric_id": self.rubric_id, "version": self.version,
                "installed_at": self.installed_at, "week": self.week,
                "position": self.position}  # fmt: skip


@dataclass(frozen=True)
class AgreementReport:
    week: str | None  # the week reported (None: nothing paired yet)
    weeks: tuple[str, ...]  # every week with paired labels
    labelers: Mapping[str, str]  # labeler id -> display name, every known labeler
    thresholds: Thresholds
    questions: tuple[QuestionBlock, ...]  # rubric order, free text left out
    pooled: Pooled
    trend: tuple[Trend, ...]
    labeler_vs_gold: tuple[LabelerVsGold, ...]  # by labeler id
    disagreements: Disagreements
    releases: tuple[ReleaseMarker, ...] = ()  # rubric versions released, oldest first

    def question(self, question_id: str) -> QuestionBlock | None:
        return next((q for q in self.questions if q.stats.question == question_id), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "week": self.week,
            "weeks": list(self.weeks),
            "labelers": dict(self.labelers),
            "thresholds": self.thresholds.to_json(),
            "questions": [q.to_json() for q in self.questions],
            "pooled": self.pooled.to_json(),
            "trend": {t.question: [p.to_json() for p in t.points] for t in self.trend},
            "labeler_vs_gold": [e.to_json() for e in self.labeler_vs_gold],
            "disagreements": self.disagreements.to_json(),
            "releases": [r.to_json() for r in self.releases],
        }


@dataclass(frozen=True)
class GapItem:
    item_id: str
    week: str
    note: str

    def to_json(self) -> dict[str, Any]:
        return {"item_id": self.item_id, "week": self.week, "note": self.note}


@dataclass(frozen=True)
class GapGroup:
    """Disagreements the lead settled as guideline gaps citing one rubric clause."""

    clause: str
    items: tuple[GapItem, ...]  # in the order they were resolved

    @property
    def count(self) -> int:
        return len(self.items)

    def to_json(self) -> dict[str, Any]:
        return {"clause": self.clause, "count": self.count,
                "items": [i.to_json() for i in self.items]}  # fmt: skip
