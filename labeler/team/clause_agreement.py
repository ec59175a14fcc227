"""Agreement across rubric releases: where the trend marks each release, and agreement per
changed clause under the version a release replaced and under the release itself.

Each label says which version it was made under, so "before" and "after" are versions, not
dates: for a release, *before* is the paired items every label of which was made under the
version it replaced, *after* those every label of which was made under the release; an item
labeled under both (one labeler had taken the release, the other not) is left out and
counted as mixed. Per changed clause:

- a question (``verdict``): the share of items on which every answer agreed, and
  Krippendorff's alpha, as the agreement report computes them;
- a choice (``verdict/acceptable``): its specific agreement — of the times a labeler chose
  it, how often another labeler of the same item chose it too, sum n_c(n_c - 1) over sum
  n_c(n - 1) with n_c labelers choosing it of the n answering (Uebersax) — and the question
  it belongs to is shown with it;
- both: the guideline gaps citing the clause (a choice's, or any of a question's) among the
  current resolutions decided under that version.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np

from labeler import sides
from labeler.labeling import rubric_versions
from labeler.labeling.rubric import Question, Rubric
from labeler.labeling.rubric_diff import NOTHING, diff_rubrics
from labeler.labeling.rubric_versions import RubricVersion
from labeler.labeling.session import LabelingSession
from labeler.store import resolutions
from labeler.store import rubrics as rubric_rows
from labeler.team.agreement_codes import units_of_values
from labeler.team.agreement_types import ReleaseMarker
from labeler.team.unit_stats import figures, unit_types

# -- release markers -----------------------------------------------------------------------


def iso_week(timestamp: str) -> str:
    """The ISO week (2026-W49) of one of our UTC timestamps."""
    year, week, _ = dt.datetime.fromisoformat(timestamp.replace("Z", "+00:00")).isocalendar()
    return f"{year}-W{week:02d}"


def marker_position(weeks: Sequence[str], week: str) -> float:
    """Where ``week`` sits on an axis of ``weeks`` (sorted): its index, else halfway between
    its neighbours (-0.5 before the first, len - 0.5 after the last)."""
    if week in weeks:
        return float(weeks.index(week))
    later = sum(1 for w in weeks if w < week)
    return later - 0.5


def release_markers(session: LabelingSession, weeks: Sequence[str]) -> tuple[ReleaseMarker, ...]:
    """Every version after a workspace's first, placed on the trend's axis of ``weeks``."""
    found = []
    for version in rubric_versions.versions(session.store)[1:]:
        row = version.row
        week = iso_week(row.installed_at)
        found.append(ReleaseMarker(row.rubric_id, row.version, row.installed_at, week,
                                   marker_position(weeks, week)))  # fmt: skip
    return tuple(found)


# -- per clause ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ClauseFigures:
    """One clause's agreement under one version."""

    n: int  # items compared (a choice: those on which someone chose it)
    agreement: float | None  # a question: share all agreed; a choice: specific agreement
    alpha: float | None  # a question's Krippendorff alpha (None for a choice)
    gaps: int  # guideline gaps citing the clause, decided under the version

    def to_json(self) -> dict[str, Any]:
        return {"n": self.n, "agreement": self.agreement, "alpha": self.alpha,
                "gaps": self.gaps}  # fmt: skip


@dataclass(frozen=True)
class ClauseRow:
    clause: str
    change: str  # what the release changed ("definition", "added", "its question", ...)
    sends_back: bool  # whether the change sends gold labels back for re-check
    before: ClauseFigures
    after: ClauseFigures

    def to_json(self) -> dict[str, Any]:
        return {"clause": self.clause, "change": self.change, "sends_back": self.sends_back,
                "before": self.before.to_json(), "after": self.after.to_json()}  # fmt: skip


@dataclass(frozen=True)
class ReleaseAgreement:
    rubric_id: str
    from_version: str
    to_version: str
    installed_at: str
    week: str
    before_items: int  # paired items labeled wholly under the version replaced
    after_items: int  # ... wholly under the release
    mixed: int  # paired items labeled under both: left out
    rows: tuple[ClauseRow, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "rubric_id": self.rubric_id, "from_version": self.from_version,
            "to_version": self.to_version, "installed_at": self.installed_at,
            "week": self.week, "before_items": self.before_items,
            "after_items": self.after_items, "mixed": self.mixed,
            "clauses": [r.to_json() for r in self.rows],
        }  # fmt: skip


Labels = list[list[tuple[str, dict[str, Any]]]]  # per item: (labeler, canonical answers)


@dataclass(frozen=True)
class _Paired:
    """Paired items by the one version all their labels were made under."""

    by_version: dict[str, Labels]
    versions_of: list[frozenset[str]]  # per item, the versions its labels were made under


def _paired(session: LabelingSession) -> _Paired:
    grouped: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    parsed: dict[str, dict[str, Any]] = {}
    for item_id, labeler_id, rubric_hash, order, text in rubric_rows.paired_labels(session.store):
        answers = parsed.get(text)
        if answers is None:
            answers = parsed[text] = json.loads(text)
        entry = (labeler_id, rubric_hash, sides.to_canonical(answers, order))
        grouped.setdefault(item_id, []).append(entry)
    by_version: dict[str, Labels] = {}
    versions_of = []
    for entries in grouped.values():
        hashes = frozenset(h for _, h, _ in entries)
        versions_of.append(hashes)
        if len(hashes) == 1:
            labels = [(labeler, answers) for labeler, _, answers in entries]
            by_version.setdefault(next(iter(hashes)), []).append(labels)
    return _Paired(by_version, versions_of)


def _question_figures(items: Labels, question: Question | None, gaps: int) -> ClauseFigures:
    if question is None:
        return ClauseFigures(0, None, None, gaps)
    ranks = {c.id: rank for rank, c in enumerate(question.choices)}
    units = []
    for labels in items:
        row = [answers.get(question.id) for _, answers in labels]
        if question.kind == "ordinal":
            row = [ranks.get(v) if v is not None else None for v in row]
        if sum(v is not None for v in row) >= 2:
            units.append(row)
    if not units:
        return ClauseFigures(0, None, None, gaps)
    coded = units_of_values(units, question)
    stats = figures(coded, unit_types(coded), np.arange(len(units)), None)
    return ClauseFigures(stats.n, stats.percent, stats.alpha, gaps)


def _choice_figures(items: Labels, question_id: str, choice: str, gaps: int) -> ClauseFigures:
    """Specific agreement on one choice (see the module docstring)."""
    chose = together = chances = 0
    for labels in items:
        given = [answers.get(question_id) for _, answers in labels]
        answered = sum(v is not None for v in given)
        picked = sum(v == choice for v in given)
        if answered >= 2 and picked:
            chose += 1
            together += picked * (picked - 1)
            chances += picked * (answered - 1)
    agreement = round(together / chances, 4) if chances else None
    return ClauseFigures(chose, agreement, None, gaps)


def _gaps(session: LabelingSession) -> dict[str, list[str]]:
    """Clauses cited by current guideline-gap resolutions, by the version decided under."""
    found: dict[str, list[str]] = {}
    for resolution in resolutions.latest(session.store).values():
        if resolution.cause == "guideline_gap" and resolution.clause:
            found.setdefault(resolution.rubric_hash or "", []).append(resolution.clause)
    return found


def _cited(clauses: list[str], clause: str) -> int:
    if "/" in clause:
        return sum(c == clause for c in clauses)
    return sum(c.split("/", 1)[0] == clause for c in clauses)


def _figures(items: Labels, rubric: Rubric, clause: str, gaps: list[str]) -> ClauseFigures:
    question_id, _, choice = clause.partition("/")
    cited = _cited(gaps, clause)
    if choice:
        return _choice_figures(items, question_id, choice, cited)
    return _question_figures(items, rubric.question(question_id), cited)


def _clauses(before: Rubric, after: Rubric) -> list[tuple[str, str, bool]]:
    """(clause, what changed, sends back) of a release; a changed choice's question too."""
    found: dict[str, tuple[list[str], bool]] = {}
    for change in diff_rubrics(before, after).changes:
        what = change.field or change.change
        fields, back = found.get(change.clause, ([], False))
        found[change.clause] = ([*fields, what], back or change.sends_back != NOTHING)
    for clause in list(found):
        question = clause.split("/", 1)[0]
        if question != clause and question not in found:
            found[question] = (["its question"], False)
    order = [q.id for q in after.questions] + [q.id for q in before.questions]
    return sorted(
        ((clause, ", ".join(fields), back) for clause, (fields, back) in found.items()),
        key=lambda row: (order.index(row[0].split("/", 1)[0]), "/" in row[0], row[0]),
    )


def _release(paired: _Paired, gaps: dict[str, list[str]], old: RubricVersion,
             new: RubricVersion) -> ReleaseAgreement:  # fmt: skip
    before = paired.by_version.get(old.row.content_hash, [])
    after = paired.by_version.get(new.row.content_hash, [])
    both = {old.row.content_hash, new.row.content_hash}
    mixed = sum(1 for hashes in paired.versions_of if len(hashes) > 1 and hashes <= both)
    old_gaps, new_gaps = gaps.get(old.row.content_hash, []), gaps.get(new.row.content_hash, [])
    rows = tuple(
        ClauseRow(
            clause,
            what,
            back,
            _figures(before, old.rubric, clause, old_gaps),
            _figures(after, new.rubric, clause, new_gaps),
        )
        for clause, what, back in _clauses(old.rubric, new.rubric)
    )
    row = new.row
    return ReleaseAgreement(row.rubric_id, old.row.version, row.version, row.installed_at,
                            iso_week(row.installed_at), len(before), len(after), mixed,
                            rows)  # fmt: skip


def by_clause(session: LabelingSession) -> tuple[ReleaseAgreement, ...]:
    """Agreement per changed clause before and after each release, oldest release first."""
    history = rubric_versions.versions(session.store)
    if len(history) < 2:
        return ()
    paired, gaps = _paired(session), _gaps(session)
    return tuple(_release(paired, gaps, old, new) for old, new in pairwise(history))
