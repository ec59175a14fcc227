"""Eval results from the labels of an eval bundle: judgments for the gate, and the report.

A judgment per eval item comes from its gold label (agreed, single or resolved), with the
sides mapped back from each labeler's shuffled view: A = the current model, B = the candidate.
The questions are found by their rubric roles (labeler/evals/roles.py).
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from labeler import sides
from labeler.domain import Label
from labeler.evals.gate import CHECKS, Judgment, win_rate
from labeler.evals.intervals import DRAWS, Interval, bootstrap_mean, wilson
from labeler.evals.roles import BOTH_BAD, EvalQuestions, eval_questions
from labeler.labeling.session import LabelingSession
from labeler.store import evals as eval_rows
from labeler.store import resolutions
from labeler.store.evals import EvalBundle
from labeler.team.reconcile import Gold, gold_labels

SCORES = {"candidate": 1.0, "tie": 0.5, "current": 0.0}  # an item's share of a win


@dataclass(frozen=True)
class GroupFigures:
    """Wins (the candidate's), losses and ties of a group, with a bootstrap interval."""

    items: int
    wins: int
    losses: int
    ties: int
    win_rate: float | None
    ci95: Interval | None
    losses_driven_by: tuple[str, ...]


@dataclass(frozen=True)
class OverallFigures(GroupFigures):
    both_bad: int
    interval: str  # how ci95 was computed


@dataclass(frozen=True)
class ModelPassRates:
    current: float | None
    candidate: float | None


@dataclass(frozen=True)
class PositionBias:
    """How often the side shown on the left won, over every labeler's decisive labels."""

    decisive_labels: int
    left_won: int
    left_share: float | None
    ci95: Interval | None
    interval: str
    biased: bool  # the whole interval lies off one half: people favoured a side


@dataclass(frozen=True)
class EvalReport:
    bundle_id: str | None
    current: str | None
    candidate: str | None
    items: int
    judged: int
    overall: OverallFigures
    case_types: Mapping[str, GroupFigures]
    pass_rates: Mapping[str, ModelPassRates]  # by check name (safety, formatting)
    position_bias: PositionBias

    def to_json(self) -> dict[str, Any]:
        """What ``labeler eval report --json`` prints."""
        return dataclasses.asdict(self)


def eval_bundles(session: LabelingSession) -> list[EvalBundle]:
    return eval_rows.bundles(session.store)


def _judgment(
    item_id: str, case_type: str, answers: dict[str, Any], q: EvalQuestions, votes: tuple
) -> Judgment:
    passes = {check: q.passes(answers, check) for check, _ in CHECKS}
    return Judgment(item_id, case_type, q.winner(answers), **passes, labels=votes)


def _votes(labels: list[Label], q: EvalQuestions) -> tuple[tuple[str, str], ...]:
    """Each labeler's pick in the models' terms, and which model they saw on the left (side A
    as shown is candidate 0, the current model, unless their side order was BA)."""
    found = []
    for label in labels:
        canonical = sides.to_canonical(label.answers, label.side_order)
        if q.preference not in canonical:
            continue
        left = "candidate" if label.side_order == "BA" else "current"
        found.append((q.winner(canonical), left))
    return tuple(found)


def _judged(
    session: LabelingSession, bundle_id: str | None
) -> tuple[list[Judgment], dict[str, Gold], EvalQuestions | None]:
    bundles = eval_bundles(session)
    if not bundles:
        return [], {}, None
    questions = eval_questions(session.rubric, "judging an eval")
    chosen = bundle_id or bundles[-1].bundle_id
    rows = eval_rows.case_types(session.store, chosen)
    gold = gold_labels(session)
    labels = resolutions.labels_by_item(session.store, [item_id for item_id, _ in rows])
    found = []
    for item_id, case_type in rows:
        decided = gold.get(item_id)
        if decided is not None and not decided.excluded and questions.preference in decided.answers:
            votes = _votes(labels.get(item_id, []), questions)
            found.append(_judgment(item_id, case_type, decided.answers, questions, votes))
    return found, gold, questions


def judgments(session: LabelingSession, bundle_id: str | None = None) -> list[Judgment]:
    """One judgment per eval item with a gold label (of the latest eval bundle by default)."""
    return _judged(session, bundle_id)[0]


def judgments_jsonl(found: list[Judgment]) -> bytes:
    """The judgments file ``eval export-judgments`` writes (the gate's input)."""
    return "".join(json.dumps(j.to_json()) + "\n" for j in found).encode("utf-8")


def bootstrap_win_rate(group: list[Judgment], rng: np.random.Generator) -> Interval | None:
    """A 95% percentile-bootstrap interval of (wins + ties/2) / items, resampling items."""
    return bootstrap_mean([SCORES[j.winner] for j in group], rng)


def _tally(group: list[Judgment], rng: np.random.Generator) -> GroupFigures:
    counts = Counter(j.winner for j in group)
    return GroupFigures(
        items=len(group),
        wins=counts["candidate"],
        losses=counts["current"],
        ties=counts["tie"],
        win_rate=round(win_rate(group), 4) if group else None,
        ci95=bootstrap_win_rate(group, rng),
        losses_driven_by=tuple(j.item_id for j in group if j.winner == "current"),
    )


def _pass_rates(found: list[Judgment], check: str) -> ModelPassRates:
    if not found:
        return ModelPassRates(None, None)
    rates = [
        round(sum(j.check(check)[model] for j in found) / len(found), 4)
        for model in ("current", "candidate")
    ]
    return ModelPassRates(*rates)


def report(session: LabelingSession, bundle_id: str | None = None, seed: int = 0) -> EvalReport:
    rng = np.random.default_rng(seed)
    bundles = eval_bundles(session)
    chosen = bundle_id or (bundles[-1].bundle_id if bundles else None)
    found, gold, questions = _judged(session, chosen)
    info = next((b for b in bundles if b.bundle_id == chosen), None)
    by_type: dict[str, list[Judgment]] = defaultdict(list)
    for judgment in found:
        by_type[judgment.case_type].append(judgment)
    both_bad = 0
    if questions is not None:
        both_bad = sum(gold[j.item_id].answers.get(questions.preference) == BOTH_BAD for j in found)
    overall = OverallFigures(
        **dataclasses.asdict(_tally(found, rng)),
        both_bad=both_bad,
        interval=f"percentile bootstrap, {DRAWS} resamples of the items",
    )
    preference = questions.preference if questions else None
    return EvalReport(
        bundle_id=chosen,
        current=info.current if info else None,
        candidate=info.candidate if info else None,
        items=info.items if info else 0,
        judged=len(found),
        overall=overall,
        case_types={case: _tally(group, rng) for case, group in sorted(by_type.items())},
        pass_rates={check: _pass_rates(found, check) for check, _ in CHECKS},
        position_bias=_position_bias(session, [j.item_id for j in found], preference),
    )


def _position_bias(
    session: LabelingSession, item_ids: list[str], preference: str | None
) -> PositionBias:
    """How often the side shown on the left won, over every labeler's decisive labels."""
    left = decisive = 0
    if preference is not None:
        for labels in resolutions.labels_by_item(session.store, item_ids).values():
            for label in labels:
                answer = label.answers.get(preference)
                if answer in ("A", "B"):  # as the labeler saw it: A was on the left
                    decisive += 1
                    left += answer == "A"
    interval = wilson(left, decisive)
    return PositionBias(
        decisive_labels=decisive,
        left_won=left,
        left_share=round(left / decisive, 4) if decisive else None,
        ci95=interval,
        interval="Wilson score",
        biased=bool(interval and (interval[0] > 0.5 or interval[1] < 0.5)),
    )
