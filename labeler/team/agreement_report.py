"""Agreement reports: per rubric question, reason code and week, with item counts, 95%
bootstrap intervals, pooled figures, confusion matrices, reliability flags, each labeler's
agreement with the gold labels over the weeks, and the guideline-gap digest. Used by the
CLI, the app, ``labeler status`` and packs; results are the records of agreement_types.

One read of the labels that are compared (store.agreement, never item texts), coded once
(agreement_codes); every figure is numpy over those codes (unit_stats, bootstrap).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from labeler.labeling.rubric import Question
from labeler.labeling.session import LabelingSession
from labeler.store import agreement as rows_of
from labeler.store import connection, labelers
from labeler.store.connection import Store
from labeler.store.items import EVAL_PAIR
from labeler.team.agreement_codes import CodedLabels, Units, code_labels, paired_units
from labeler.team.agreement_codes import units_of_values as _units_of_values
from labeler.team.agreement_types import (
    AgreementReport,
    Disagreements,
    GapGroup,
    GapItem,
    GoldWeek,
    LabelerVsGold,
    Pooled,
    QuestionBlock,
    QuestionStats,
    ReasonStats,
    Thresholds,
    Trend,
    TrendPoint,
)
from labeler.team.bootstrap import RESAMPLES
from labeler.team.clause_agreement import release_markers
from labeler.team.reconcile import disagreement_counts
from labeler.team.unit_stats import (
    MIN_ITEMS,
    RELIABLE_ALPHA,
    UnitTypes,
    alpha_over,
    confusion,
    figures,
    flag_of,
    interval,
    unit_types,
)

BOOTSTRAP = RESAMPLES
__all__ = ["BOOTSTRAP", "MIN_ITEMS", "RELIABLE_ALPHA", "gap_digest", "question_figures",
           "report", "stats_of_units"]  # fmt: skip


@dataclass(frozen=True)
class _Question:
    units: Units  # one row per paired item
    types: UnitTypes

    def rows(self, mask: np.ndarray) -> np.ndarray:
        return np.flatnonzero(mask & self.units.unit)


@dataclass(frozen=True)
class _ItemFacts:
    """Weeks of items, and the reason codes of one week's items (likely the one reported)."""

    all_weeks: list[str]
    week_of_item: dict[str, int]
    reasons_week: str | None
    reasons: dict[str, str | None]


def _item_facts(store: Store, week: str | None) -> _ItemFacts:
    """Read on a reader of its own, on another thread, while the labels are read and coded:
    SQLite decrypts pages without holding the GIL, so the two reads overlap (~0.2 s less
    for 100k items). Items are never changed, only added or purged, so reading them a
    moment apart from the labels is safe: a label on an item added meanwhile is skipped."""
    reader = connection.open_reader(store.path, store.key)
    try:
        all_weeks, week_of_item = rows_of.item_weeks(reader)
        chosen = week or (all_weeks[-1] if all_weeks else None)
        reasons = rows_of.item_reasons(reader, chosen) if chosen else {}
    finally:
        reader.close()
    return _ItemFacts(all_weeks, week_of_item, chosen, reasons)


@dataclass(frozen=True)
class _Compared:
    """The coded labels, which items are paired, and the week of each."""

    facts: _ItemFacts
    labels: CodedLabels
    known: np.ndarray  # (items,) a week's item (it exists, and is no eval pair)
    all_weeks: list[str]  # every week with items
    item_week: np.ndarray  # (items,) index into all_weeks, -1 for an unknown item
    paired: np.ndarray  # indexes of items labeled by two or more people
    weeks: list[str]  # sorted weeks of paired items
    week_of_paired: np.ndarray  # (paired,) index into weeks
    questions: list[Question]

    def in_weeks(self, chosen: Iterable[str]) -> np.ndarray:
        wanted = [self.weeks.index(w) for w in chosen if w in self.weeks]
        return np.isin(self.week_of_paired, wanted)

    def question(self, column: int) -> _Question:
        units = paired_units(self.labels, self.paired, column, self.questions[column])
        return _Question(units, unit_types(units))


def _choice_questions(session: LabelingSession) -> list[Question]:
    return [q for q in session.rubric.questions if q.kind != "free_text"]


def _compared(session: LabelingSession, week: str | None = None) -> _Compared:
    """Everything the figures are computed from; ``week``: the one likely reported."""
    questions = _choice_questions(session)
    free_text = [q.id for q in session.rubric.questions if q.kind == "free_text"]
    with ThreadPoolExecutor(1, thread_name_prefix="labeler-agreement") as side:
        facts = side.submit(_item_facts, session.store, week)
        labels = code_labels(rows_of.compared_labels(session.store, free_text), questions)
        found = facts.result()
    all_weeks, week_of_item = found.all_weeks, found.week_of_item
    item_week = np.fromiter(
        (week_of_item.get(item_id, -1) for item_id in labels.item_ids),
        dtype=np.int64,
        count=len(labels.item_ids),
    )
    known = item_week >= 0
    count = np.bincount(labels.item_of, minlength=len(labels.item_ids))
    paired = np.flatnonzero((count >= 2) & known)
    used, week_of_paired = np.unique(item_week[paired], return_inverse=True)
    weeks = [all_weeks[i] for i in used]
    return _Compared(
        found,
        labels,
        known,
        all_weeks,
        item_week,
        paired,
        weeks,
        week_of_paired.ravel(),
        questions,
    )


def report(
    session: LabelingSession,
    week: str | None = None,
    pooled_weeks: int = 4,
    seed: int = 0,
    intervals: bool = True,
) -> AgreementReport:
    """The agreement report for ``week`` (default: the latest week with paired labels);
    ``intervals=False`` skips the bootstrap (the home view needs only the figures).

    The intervals draw from one seeded generator in a fixed order (the week's questions,
    then the pooled ones), so the same labels always give the same intervals. When the pooled
    weeks hold only the week's items, the pooled figures are the week's, interval included.
    """
    data = _compared(session, week)
    chosen = week or (data.weeks[-1] if data.weeks else None)
    in_week = data.in_weeks([chosen] if chosen else [])
    pooled = _pooled_weeks(data.weeks, chosen, pooled_weeks)
    in_pooled = data.in_weeks(pooled)
    # The pooled weeks are the week alone: the same items, so the same figures and the same
    # interval (resampling them again would print a second, different interval for identical
    # data, and cost as long as the week's).
    same_items = bool(np.array_equal(in_week, in_pooled))
    masks = [in_week] if same_items else [in_week, in_pooled]
    ready: list[Future[_Question]] = [Future() for _ in data.questions]
    with ThreadPoolExecutor(1, thread_name_prefix="labeler-intervals") as side:
        # The bootstrap (numpy, mostly without the GIL) runs beside the rest of the report,
        # from the moment the first question is coded: its draws keep one core busy and
        # leave part of the other idle.
        rng = np.random.default_rng(seed)
        drawn = side.submit(_intervals, ready, masks, rng) if intervals else None
        coded = []
        try:
            for column, future in enumerate(ready):
                coded.append(data.question(column))
                future.set_result(coded[-1])
        except BaseException as err:  # the side thread waits on every question: release it
            for future in ready:
                if not future.done():
                    future.set_exception(err)
            raise
        reasons = _reasons(session, data, chosen, in_week)
        blocks = tuple(_block(q, in_week, reasons) for q in coded)
        if same_items:
            pooled_stats = tuple(block.stats for block in blocks)
        else:
            pooled_stats = tuple(figures(q.units, q.types, q.rows(in_pooled), None) for q in coded)
        decided = _decided(session, data)
        trend = tuple(_trend(data, q) for q in coded)
        labeler_vs_gold = _labeler_vs_gold(session, data, decided)
        disagreements = _with_eval_pairs(session, _disagreements(data, decided, in_week))
        releases = release_markers(session, data.weeks)
        if drawn is not None:
            cis = drawn.result()  # one list per mask: the week's, then the pooled weeks'
            blocks = tuple(
                replace(block, stats=replace(block.stats, alpha_ci95=ci))
                for block, ci in zip(blocks, cis[0], strict=True)
            )
            pooled_stats = tuple(
                replace(stats, alpha_ci95=ci)
                for stats, ci in zip(pooled_stats, cis[-1], strict=True)
            )
    return AgreementReport(
        week=chosen,
        weeks=tuple(data.weeks),
        labelers={p.id: p.display_name for p in labelers.all_profiles(session.store)},
        thresholds=Thresholds(RELIABLE_ALPHA, MIN_ITEMS),
        questions=blocks,
        pooled=Pooled(tuple(sorted(pooled)), pooled_stats),
        trend=trend,
        labeler_vs_gold=labeler_vs_gold,
        disagreements=disagreements,
        releases=releases,
    )


def _intervals(
    coded: list[Future[_Question]], masks: list[np.ndarray], rng: np.random.Generator
) -> list[list[tuple[float, float] | None]]:
    """Each question's interval over each mask's items, drawn in that order from ``rng``
    (the week's questions, then the pooled ones): the order fixes the printed intervals.
    A question is waited for until it is coded."""
    return [
        [interval(q.types, q.rows(mask), q.units.level, rng) for q in (f.result() for f in coded)]
        for mask in masks
    ]


def _pooled_weeks(weeks: list[str], chosen: str | None, count: int) -> list[str]:
    if chosen not in weeks:
        return []
    at = weeks.index(chosen)
    return weeks[max(0, at - count + 1) : at + 1]


@dataclass(frozen=True)
class _Reasons:
    names: list[str]  # sorted reason codes of the week's paired items ("none" for none)
    of_paired: np.ndarray  # (paired,) index into names; -1 outside the week


def _reasons(
    session: LabelingSession, data: _Compared, chosen: str | None, in_week: np.ndarray
) -> _Reasons:
    rows = np.flatnonzero(in_week)
    if chosen is None or not len(rows):
        return _Reasons([], np.full(len(data.paired), -1, dtype=np.int64))
    facts = data.facts
    by_id = (
        facts.reasons
        if facts.reasons_week == chosen
        else rows_of.item_reasons(session.store, chosen)
    )
    ids = data.labels.item_ids
    # Coded by a dict, then renumbered in sorted order (np.unique on an object array sorted
    # every item's string: 0.1 s of the report at 100k items).
    first_seen: dict[str, int] = {}
    code = first_seen.setdefault
    seen = np.fromiter(
        (
            code(by_id.get(ids[item]) or "none", len(first_seen))
            for item in data.paired[rows].tolist()
        ),
        dtype=np.int64,
        count=len(rows),
    )
    names = sorted(first_seen)
    renumber = np.array([names.index(name) for name in first_seen], dtype=np.int64)
    of_paired = np.full(len(data.paired), -1, dtype=np.int64)
    of_paired[rows] = renumber[seen]
    return _Reasons(names, of_paired)


def _block(q: _Question, in_week: np.ndarray, reasons: _Reasons) -> QuestionBlock:
    """A question's figures over the week (its interval is drawn apart: ``_intervals``)."""
    rows = q.rows(in_week)
    stats = figures(q.units, q.types, rows, None)
    by_reason = tuple(
        ReasonStats(name, figures(q.units, q.types, q.rows(reasons.of_paired == code), None))
        for code, name in enumerate(reasons.names)
    )
    return QuestionBlock(stats, confusion(q.units, rows), by_reason)


def _trend(data: _Compared, q: _Question) -> Trend:
    points = []
    for index, week in enumerate(data.weeks):
        rows = q.rows(data.week_of_paired == index)
        alpha = alpha_over(q.types, rows, q.units.level)
        points.append(TrendPoint(week, len(rows), _rounded(alpha), flag_of(len(rows), alpha)))
    return Trend(q.units.question.id, tuple(points))


def _rounded(value: float) -> float | None:
    return None if np.isnan(value) else round(float(value), 4)


def _decided(session: LabelingSession, data: _Compared) -> dict[int, dict[str, Any]]:
    """The current resolution's answers of each fetched item, by item index."""
    index = {item_id: i for i, item_id in enumerate(data.labels.item_ids)}
    return {
        index[item_id]: json.loads(answers)
        for item_id, answers in rows_of.resolved_answers(session.store).items()
        if item_id in index
    }


def _differs(labels: CodedLabels) -> np.ndarray:
    """(items,) whether any question's answers differ among the item's labels (as repr)."""
    if not len(labels.item_ids):
        return np.zeros(0, dtype=bool)
    starts = labels.first_of_item
    top = np.maximum.reduceat(labels.raw, starts, axis=0)
    low = np.minimum.reduceat(labels.raw, starts, axis=0)
    return np.asarray((top != low).any(axis=1))


def _disagreements(
    data: _Compared, decided: dict[int, dict[str, Any]], in_week: np.ndarray
) -> Disagreements:
    """Counted over the paired items (``in_week``: which of them are the report's week's)."""
    resolved = np.zeros(len(data.labels.item_ids), dtype=bool)
    resolved[list(decided)] = True
    differs = _differs(data.labels)
    is_open = differs[data.paired] & ~resolved[data.paired]
    is_resolved = resolved[data.paired]
    return Disagreements(
        int(is_open.sum()),
        int(is_resolved.sum()),
        int((is_open & in_week).sum()),
        int((is_resolved & in_week).sum()),
    )


def _with_eval_pairs(session: LabelingSession, counts: Disagreements) -> Disagreements:
    open_, resolved = disagreement_counts(session, EVAL_PAIR)
    return replace(counts, eval_open=open_, eval_resolved=resolved)


def _labeler_vs_gold(
    session: LabelingSession, data: _Compared, decided: dict[int, dict[str, Any]]
) -> tuple[LabelerVsGold, ...]:
    """Per labeler and week: the share of answers equal to the gold label (items others
    labeled too, or that the lead resolved; never one labeler's own single label)."""
    labels, items = data.labels, len(data.labels.item_ids)
    in_gold = np.zeros((items, len(data.questions)), dtype=bool)
    gold = np.full((items, len(data.questions)), -2, dtype=np.int64)
    for item, answers in decided.items():
        for column, question in enumerate(data.questions):
            if question.id in answers:
                in_gold[item, column] = True
                gold[item, column] = labels.codes[column].equal_code(answers[question.id])
    count = np.bincount(labels.item_of, minlength=items)
    resolved = np.zeros(items, dtype=bool)
    resolved[list(decided)] = True
    agreed = (count >= 2) & ~resolved & ~_differs(labels)
    # An agreed item's gold answers are its first label's: every label gave them.
    in_gold[agreed] = labels.present[labels.first_of_item[agreed]]
    rows = data.known[labels.item_of]
    item = labels.item_of[rows]
    counted = in_gold[item]
    equal = np.zeros((len(item), len(data.questions)), dtype=np.int64)
    for column, codes in enumerate(labels.codes):
        equal[:, column] = codes.equal_table()[labels.raw[rows, column]]
    hit = counted & (agreed[item][:, None] | (equal == gold[item]))
    return _tally(session, data, labels.labeler_of[rows], item, counted, hit)


def _tally(
    session: LabelingSession,
    data: _Compared,
    labeler: np.ndarray,
    item: np.ndarray,
    counted: np.ndarray,
    hit: np.ndarray,
) -> tuple[LabelerVsGold, ...]:
    weeks = data.all_weeks
    cell = labeler * max(len(weeks), 1) + data.item_week[item]
    size = len(data.labels.labeler_ids) * max(len(weeks), 1)
    totals = np.bincount(cell, weights=counted.sum(axis=1), minlength=size)
    hits = np.bincount(cell, weights=hit.sum(axis=1), minlength=size)
    names = {p.id: p.display_name for p in labelers.all_profiles(session.store)}
    found = []
    for index, labeler_id in enumerate(data.labels.labeler_ids):
        entries = []
        for w, week in enumerate(weeks):
            total = int(totals[index * len(weeks) + w])
            if total:
                share = round(int(hits[index * len(weeks) + w]) / total, 4)
                entries.append(GoldWeek(week, total, share))
        if entries:
            found.append(
                LabelerVsGold(labeler_id, names.get(labeler_id, labeler_id), tuple(entries))
            )
    return tuple(found)


def question_figures(session: LabelingSession, weeks: Iterable[str]) -> tuple[QuestionStats, ...]:
    """Each choice question's figures over the paired items of ``weeks`` (no intervals)."""
    data = _compared(session)
    mask = data.in_weeks(set(weeks))
    coded = [data.question(column) for column in range(len(data.questions))]
    return tuple(figures(q.units, q.types, q.rows(mask), None) for q in coded)


def stats_of_units(
    units: list[list[Any]], question: Question, seed: int | None = None
) -> QuestionStats:
    """The figures of explicit units (one row of values per item, None where missing;
    ordinal answers as ranks); with ``seed``, the interval from a fresh generator."""
    coded = _units_of_values(units, question)
    types = unit_types(coded)
    rng = np.random.default_rng(seed) if seed is not None else None
    return figures(coded, types, np.arange(len(units)), rng)


def gap_digest(session: LabelingSession, week: str | None = None) -> tuple[GapGroup, ...]:
    """Disagreements settled as guideline gaps, grouped by the rubric clause they cite,
    largest group first."""
    groups: dict[str, list[GapItem]] = {}
    for row in rows_of.guideline_gap_rows(session.store):
        if week and row.week != week:
            continue
        groups.setdefault(row.clause or "?", []).append(GapItem(row.item_id, row.week, row.note))
    ordered = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    return tuple(GapGroup(clause, tuple(entries)) for clause, entries in ordered)
