"""The agreement report as it was before the typed, vectorised rewrite: a frozen copy kept as
the reference the new implementation must equal (to 1e-12, bootstrap intervals included).
Statistics from labeler/team/agreement.py and the report from agreement_report.py as main
had them at 1dfa0f1 (eval pairs left out), with the guideline-gap digest of reconcile.py;
imports trimmed, nothing else changed. Slow by design (the bootstrap recomputes alpha from
Python lists): small workspaces only.
"""

# ruff: noqa
# mypy: ignore-errors

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np

LEVELS = ("nominal", "ordinal", "interval")


def _codes(values: Sequence[Any], order: Sequence[Any]) -> np.ndarray:
    index = {value: code for code, value in enumerate(order)}
    return np.fromiter((index[v] for v in values), dtype=np.int64, count=len(values))


def percent_agreement(a: Sequence[Hashable], b: Sequence[Hashable]) -> float:
    """The share of items on which the two labels are equal, in [0, 1] (nan for none)."""
    if len(a) != len(b):
        raise ValueError("a and b must label the same items")
    if not a:
        return math.nan
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)


def _weights(k: int, weights: str | None) -> np.ndarray:
    i, j = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
    if weights is None:
        return (i != j).astype(float)
    if k < 2:
        return np.zeros((k, k))
    if weights == "linear":
        return np.abs(i - j) / (k - 1)
    if weights == "quadratic":
        return ((i - j) / (k - 1)) ** 2
    raise ValueError("weights must be None, 'linear' or 'quadratic'")


def cohen_kappa(
    a: Sequence[Hashable],
    b: Sequence[Hashable],
    weights: str | None = None,
    categories: Sequence[Hashable] | None = None,
) -> float:
    """Cohen's kappa of two labelers over the same items; nan where it is undefined.

    ``categories`` gives the order of an ordinal scale (needed for weights to mean anything);
    without it the categories seen are sorted.
    """
    if len(a) != len(b):
        raise ValueError("a and b must label the same items")
    if not a:
        return math.nan
    order = list(categories) if categories is not None else sorted(set(a) | set(b), key=repr)
    k = len(order)
    observed = np.zeros((k, k))
    np.add.at(observed, (_codes(a, order), _codes(b, order)), 1)
    observed /= len(a)
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0))
    w = _weights(k, weights)
    disagreement_expected = float((w * expected).sum())
    if disagreement_expected == 0:
        return math.nan
    return 1.0 - float((w * observed).sum()) / disagreement_expected


def _coincidences(units: Sequence[Sequence[Any]]) -> tuple[np.ndarray, list[Any]]:
    values = sorted({v for row in units for v in row if v is not None}, key=_sort_key)
    index = {value: code for code, value in enumerate(values)}
    width = max((len(row) for row in units), default=0)
    index[None] = -1
    # One flat pass (rows padded to the widest): per-row numpy assignment cost 10x more.
    if all(len(row) == width for row in units):
        flat = (index[v] for row in units for v in row)
    else:
        flat = (index[v] for row in units for v in (*row, *([None] * (width - len(row)))))
    codes = np.fromiter(flat, dtype=np.int64, count=len(units) * width).reshape(len(units), width)
    counts = np.zeros((len(units), len(values) + 1))
    np.add.at(counts, (np.repeat(np.arange(len(units)), width), codes.ravel()), 1)
    counts = counts[:, : len(values)]  # drop the missing-value column (-1 wraps to the last)
    m = counts.sum(axis=1)
    keep = m >= 2  # a unit with fewer than two labels pairs with nothing
    counts, m = counts[keep], m[keep]
    if not len(counts):
        return np.zeros((len(values), len(values))), values
    # o[c, k] = sum over units of n_uc * (n_uk - [c == k]) / (m_u - 1)
    weighted = counts / (m - 1)[:, None]
    return counts.T @ weighted - np.diag(weighted.sum(axis=0)), values


def _sort_key(value: Any) -> tuple[int, Any]:
    return (
        (0, value)
        if isinstance(value, (int, float)) and not isinstance(value, bool)
        else (1, repr(value))
    )


def _delta(values: list[Any], n_c: np.ndarray, level: str) -> np.ndarray:
    k = len(values)
    if level == "nominal":
        return 1.0 - np.eye(k)
    if level == "interval":
        numeric = np.asarray(values, dtype=float)
        return (numeric[:, None] - numeric[None, :]) ** 2
    if level == "ordinal":
        cumulative = np.concatenate(([0.0], np.cumsum(n_c)))
        i, j = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
        low, high = np.minimum(i, j), np.maximum(i, j)
        between = cumulative[high + 1] - cumulative[low]
        return (between - (n_c[i] + n_c[j]) / 2) ** 2
    raise ValueError(f"level must be one of {', '.join(LEVELS)}")


def krippendorff_alpha(units: Sequence[Sequence[Any]], level: str = "nominal") -> float:
    """Krippendorff's alpha: one row per item, one entry per labeler, None where missing.

    Any number of labelers; items with fewer than two labels do not count; nan where there
    is no disagreement to expect (one value used throughout, or nothing pairable).
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}")
    o, values = _coincidences(units)
    n_c = o.sum(axis=1)
    n = n_c.sum()
    if n <= 1:
        return math.nan
    delta = _delta(values, n_c, level)
    observed = float((o * delta).sum()) / n
    expected = float((np.outer(n_c, n_c) * delta).sum()) / (n * (n - 1))
    if expected == 0:
        return math.nan
    return 1.0 - observed / expected


import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from labeler.domain import Label
from labeler.labeling.rubric import Question
from labeler.labeling.session import LabelingSession
from labeler.store import items as item_rows
from labeler.store import labelers, resolutions
from labeler.team.reconcile import canonical_answers, gold_labels

RELIABLE_ALPHA = 0.667  # Krippendorff: below this, too unreliable to train on
MIN_ITEMS = 10  # fewer paired items make a weekly figure meaningless
BOOTSTRAP = 1000


def _level(question: Question) -> str:
    return "ordinal" if question.kind == "ordinal" else "nominal"


@dataclass
class Paired:
    """The labels of items labeled by two or more people, ready for statistics."""

    labeler_ids: list[str]
    rows: list[tuple[str, str, str | None, dict[str, Label]]]  # (item, week, reason, by labeler)


def paired_labels(session: LabelingSession) -> Paired:
    grouped = resolutions.labels_by_item(session.store, paired_only=True)
    rows = []
    ids: set[str] = set()
    for item_id, labels in sorted(grouped.items()):
        if len(labels) < 2:
            continue
        item = item_rows.get(session.store, item_id)
        if item is None or item.kind != item_rows.WEEK:
            continue  # the week's agreement: eval pairs are not the week's items
        rows.append((item_id, item.week, item.reason_code, {lab.labeler_id: lab for lab in labels}))
        ids.update(lab.labeler_id for lab in labels)
    return Paired(sorted(ids), rows)


def answer_units(paired: Paired, question: Question, rows: list[Any]) -> list[list[Any]]:
    order = {c.id: rank for rank, c in enumerate(question.choices)}
    units = []
    for _, _, _, by_labeler in rows:
        row = []
        for labeler_id in paired.labeler_ids:
            label = by_labeler.get(labeler_id)
            value = canonical_answers(label).get(question.id) if label else None
            if value is not None and question.kind == "ordinal":
                value = order.get(value)
            row.append(value)
        if sum(v is not None for v in row) >= 2:
            units.append(row)
    return units


def _bootstrap(units: list[list[Any]], level: str, rng: np.random.Generator) -> list[float] | None:
    if len(units) < 2:
        return None
    draws = rng.integers(0, len(units), size=(BOOTSTRAP, len(units)))
    values = [krippendorff_alpha([units[i] for i in draw], level) for draw in draws]
    finite = [v for v in values if not math.isnan(v)]
    if len(finite) < BOOTSTRAP // 2:
        return None
    low, high = np.percentile(finite, [2.5, 97.5])
    return [round(float(low), 4), round(float(high), 4)]


def _pair_kappa(units: list[list[Any]]) -> float:
    """Cohen's kappa of the two labelers who share the most items."""
    if not units:
        return math.nan
    width = len(units[0])
    best: tuple[int, int] | None = None
    shared_best = 0
    for i in range(width):
        for j in range(i + 1, width):
            shared = sum(row[i] is not None and row[j] is not None for row in units)
            if shared > shared_best:
                best, shared_best = (i, j), shared
    if best is None:
        return math.nan
    i, j = best
    both = [(row[i], row[j]) for row in units if row[i] is not None and row[j] is not None]
    return cohen_kappa([a for a, _ in both], [b for _, b in both])


def _finite(value: float) -> float | None:
    return None if math.isnan(value) else round(float(value), 4)


def question_stats(
    units: list[list[Any]], question: Question, rng: np.random.Generator | None
) -> dict[str, Any]:
    level = _level(question)
    n = len(units)
    alpha = krippendorff_alpha(units, level) if units else math.nan
    agree = sum(len({v for v in row if v is not None}) == 1 for row in units)
    flag = None
    if n < MIN_ITEMS:
        flag = "too few items"
    elif math.isnan(alpha):
        # Every label gave the same answer: agreement is perfect but alpha is undefined, and
        # the question tells nothing about reliability this week.
        flag = "one answer throughout"
    elif alpha < RELIABLE_ALPHA:
        flag = "unreliable"
    return {
        "question": question.id,
        "level": level,
        "n": n,
        "percent": round(agree / n, 4) if n else None,
        "kappa": _finite(_pair_kappa(units)),
        "alpha": _finite(alpha),
        "alpha_ci95": _bootstrap(units, level, rng) if rng is not None else None,
        "flag": flag,
    }


def _confusion(units: list[list[Any]], question: Question) -> dict[str, Any]:
    labels = [c.id for c in question.choices]
    index: dict[Any, int] = {c.id: i for i, c in enumerate(question.choices)}
    if question.kind == "ordinal":
        index = {i: i for i in range(len(labels))}
    matrix = [[0] * len(labels) for _ in labels]
    for row in units:
        present = [v for v in row if v is not None]
        if len(present) >= 2 and present[0] in index and present[1] in index:
            matrix[index[present[0]]][index[present[1]]] += 1
    return {"labels": labels, "matrix": matrix}


def _pooled_weeks(weeks: list[str], chosen: str | None, count: int) -> set[str]:
    if chosen not in weeks:
        return set()
    at = weeks.index(chosen)
    return set(weeks[max(0, at - count + 1) : at + 1])


def _trend(paired: Paired, question: Question, weeks: list[str]) -> list[dict[str, Any]]:
    points = []
    for week in weeks:
        rows = [row for row in paired.rows if row[1] == week]
        stats = question_stats(answer_units(paired, question, rows), question, None)
        points.append(
            {"week": week, "n": stats["n"], "alpha": stats["alpha"], "flag": stats["flag"]}
        )
    return points


def _question_block(
    paired: Paired, question: Question, rows: list[Any], rng: np.random.Generator | None
) -> dict[str, Any]:
    units = answer_units(paired, question, rows)
    stats = question_stats(units, question, rng)
    stats["confusion"] = _confusion(units, question)
    by_reason: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        by_reason[row[2] or "none"].append(row)
    stats["by_reason"] = {
        reason: question_stats(answer_units(paired, question, reason_rows), question, None)
        for reason, reason_rows in sorted(by_reason.items())
    }
    return stats


def report(
    session: LabelingSession,
    week: str | None = None,
    pooled_weeks: int = 4,
    seed: int = 0,
    intervals: bool = True,
) -> dict[str, Any]:
    """The agreement report for ``week`` (default: the latest week with paired labels);
    ``intervals=False`` skips the bootstrap (the home view needs only the figures)."""
    rng = np.random.default_rng(seed) if intervals else None
    paired = paired_labels(session)
    weeks = sorted({row[1] for row in paired.rows})
    chosen = week or (weeks[-1] if weeks else None)
    questions = [q for q in session.rubric.questions if q.kind != "free_text"]
    week_rows = [row for row in paired.rows if row[1] == chosen]
    pooled = _pooled_weeks(weeks, chosen, pooled_weeks)
    pooled_rows = [row for row in paired.rows if row[1] in pooled]
    decided = resolutions.latest(session.store)
    return {
        "week": chosen,
        "weeks": weeks,
        "labelers": {p.id: p.display_name for p in labelers.all_profiles(session.store)},
        "thresholds": {"alpha": RELIABLE_ALPHA, "min_items": MIN_ITEMS},
        "questions": [_question_block(paired, q, week_rows, rng) for q in questions],
        "pooled": {
            "weeks": sorted(pooled),
            "questions": [
                question_stats(answer_units(paired, q, pooled_rows), q, rng) for q in questions
            ],
        },
        "trend": {q.id: _trend(paired, q, weeks) for q in questions},
        "labeler_vs_gold": labeler_vs_gold(session, questions),
        "disagreements": {
            "open": sum(
                1 for row in paired.rows if row[0] not in decided and _differs(row[3], questions)
            ),
            "resolved": sum(1 for row in paired.rows if row[0] in decided),
            "week_open": sum(
                1 for row in week_rows if row[0] not in decided and _differs(row[3], questions)
            ),
            "week_resolved": sum(1 for row in week_rows if row[0] in decided),
            **_eval_pairs(session),
        },
    }


def _eval_pairs(session: LabelingSession) -> dict[str, int]:
    """Eval pairs whose raters differ, open and resolved (what Reconcile lists of them)."""
    from labeler.team.reconcile import disagreements

    found = [d for d in disagreements(session) if d.kind == "eval_pair"]
    resolved = sum(d.resolution is not None for d in found)
    return {"eval_open": len(found) - resolved, "eval_resolved": resolved}


def _differs(by_labeler: dict[str, Label], questions: list[Question]) -> bool:
    return any(
        len({repr(canonical_answers(lab).get(q.id)) for lab in by_labeler.values()}) > 1
        for q in questions
    )


def labeler_vs_gold(session: LabelingSession, questions: list[Question]) -> list[dict[str, Any]]:
    """Per labeler and week: the share of answers equal to the gold label (items others
    labeled too, so a labeler is never compared with their own single label)."""
    gold = gold_labels(session)
    grouped = resolutions.labels_by_item(session.store)
    names = {p.id: p.display_name for p in labelers.all_profiles(session.store)}
    tally: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for item_id, labels in grouped.items():
        decided = gold.get(item_id)
        if decided is None or decided.decided == "single":
            continue
        item = item_rows.get(session.store, item_id)
        if item is None or item.kind != item_rows.WEEK:
            continue
        for label in labels:
            for question in questions:
                if question.id in decided.answers:
                    entry = tally[label.labeler_id][item.week]
                    given = canonical_answers(label).get(question.id)
                    entry[0] += given == decided.answers[question.id]
                    entry[1] += 1
    return [
        {
            "labeler": labeler_id,
            "name": names.get(labeler_id, labeler_id),
            "weeks": [
                {"week": w, "answers": total, "agreement": round(hit / total, 4)}
                for w, (hit, total) in sorted(by_week.items())
            ],
        }
        for labeler_id, by_week in sorted(tally.items())
    ]


def guideline_gaps(session: LabelingSession, week: str | None = None) -> list[dict[str, Any]]:
    """Disagreements settled as guideline gaps, grouped by the rubric clause they cite."""
    decided = resolutions.latest(session.store)
    groups: dict[str, list[dict[str, Any]]] = {}
    for resolution in decided.values():
        if resolution.cause != "guideline_gap":
            continue
        item = item_rows.get(session.store, resolution.item_id)
        if item is None or (week and item.week != week):
            continue
        groups.setdefault(resolution.clause or "?", []).append(
            {"item_id": item.id, "week": item.week, "note": resolution.note}
        )
    return [
        {"clause": clause, "count": len(entries), "items": entries}
        for clause, entries in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    ]
