"""The figures of one question over some of its units, from integer codes.

Units with the same values (the same multiset: {pass, pass}, {pass, fail}, ...) contribute
the same to alpha's coincidence matrix, and the matrix is a sum over units. So each unit
is reduced to its *type* once; alpha of any set of units, and of each bootstrap resample,
is its count of units per type times each type's contribution: a (resamples x types)
matrix product instead of 1,000 recomputations.

Results equal those of the list-based functions in labeler.team.agreement (and of the
report before this module) to the last bit where at most three labelers share an item: the
sums involved are then exact integers or halves, whatever the order they are added in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from labeler.team.agreement import (
    alpha_from_coincidences,
    kappa_from_counts,
    nominal_alpha,
    sort_key,
)
from labeler.team.agreement_codes import MISSING, Units
from labeler.team.agreement_types import Confusion, QuestionStats
from labeler.team.bootstrap import RESAMPLES, resample_type_counts

RELIABLE_ALPHA = 0.667  # Krippendorff: below this, too unreliable to train on
MIN_ITEMS = 10  # fewer paired items make a weekly figure meaningless


@dataclass(frozen=True)
class UnitTypes:
    of_row: np.ndarray  # (rows,) type of each row
    counts: np.ndarray  # (types, values) answers per value; zero for rows answered < twice
    disagreeing: np.ndarray  # (types,) off-diagonal sum of the type's coincidences
    values: list[Any]  # the values, in sort_key order (the order of counts' columns)


def unit_types(units: Units) -> UnitTypes:
    k = len(units.values)
    order = sorted(range(k), key=lambda code: sort_key(units.values[code]))
    rank = np.empty(k + 1, dtype=np.int64)
    rank[order] = np.arange(k)
    rank[k] = MISSING  # rank[-1]: a missing code stays missing
    sorted_codes = rank[units.codes]
    answered = (sorted_codes >= 0).sum(axis=1)
    base = units.codes.shape[1] + 1
    if k * math.log2(base) < 62:  # a unit's counts as the digits of one integer
        power = np.append(base ** np.arange(k, dtype=np.int64), 0)
        key = power[sorted_codes].sum(axis=1) if len(sorted_codes) else np.zeros(0, np.int64)
        key[answered < 2] = 0
        kinds, of_row = _distinct(key)
        counts = (kinds[:, None] // power[None, :k]) % base
    else:
        one_hot = np.zeros((len(sorted_codes), k), dtype=np.int64)
        for column in sorted_codes.T:
            seen = column >= 0
            one_hot[np.flatnonzero(seen), column[seen]] += 1
        one_hot[answered < 2] = 0
        counts, of_row = np.unique(one_hot, axis=0, return_inverse=True)
    counts = counts.astype(np.float64)
    m = counts.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        disagreeing = np.where(m >= 2, (m * m - (counts * counts).sum(axis=1)) / (m - 1), 0.0)
    values = [units.values[code] for code in order]
    return UnitTypes(of_row.ravel(), counts, disagreeing, values)


def _distinct(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(key, return_inverse=True), by counting when the keys are small (no sort)."""
    if not len(key) or key.max() >= 1 << 22:
        kinds, of_row = np.unique(key, return_inverse=True)
        return kinds, of_row.ravel()
    kinds = np.flatnonzero(np.bincount(key))
    position = np.zeros(int(key.max()) + 1, dtype=np.int64)
    position[kinds] = np.arange(len(kinds))
    return kinds, position[key]


def alpha_of(types: UnitTypes, per_type: np.ndarray, level: str) -> np.ndarray:
    """Alpha of units counted per type: ``per_type`` is (types,) or (resamples, types)."""
    counts = per_type.astype(np.float64)
    if not types.values:  # nothing answered: nothing to agree on
        return np.full(per_type.shape[:-1], np.nan)
    n_c = counts @ types.counts
    if level == "nominal":
        return np.asarray(nominal_alpha(counts @ types.disagreeing, n_c))
    flat = np.atleast_2d(counts)
    n_flat = np.atleast_2d(n_c)
    # Ordinal: delta depends on the counts, so each matrix goes through the list-based code.
    pairs = types.counts[:, :, None] * types.counts[:, None, :]
    m = types.counts.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        each = (pairs - _diagonals(types.counts)) / (m - 1)[:, None, None]
    each[m < 2] = 0.0
    k = len(types.values)
    o_all = (flat @ each.reshape(len(m), k * k)).reshape(-1, k, k)
    result = []
    for o, totals in zip(o_all, n_flat, strict=True):
        seen = np.flatnonzero(totals > 0)
        values = [types.values[i] for i in seen]
        result.append(alpha_from_coincidences(o[np.ix_(seen, seen)], values, level))
    alphas = np.array(result)
    return alphas if per_type.ndim == 2 else alphas.reshape(())


def _diagonals(counts: np.ndarray) -> np.ndarray:
    eye = np.eye(counts.shape[1])
    return counts[:, :, None] * eye[None, :, :]


def kappa_of(units: Units, rows: np.ndarray) -> float:
    """Cohen's kappa of the two labelers who share the most of these units."""
    if not len(rows):
        return math.nan
    valid = (units.codes[rows] >= 0).astype(np.int64)
    shared = valid.T @ valid
    best, most = None, 0
    for i in range(len(shared)):
        for j in range(i + 1, len(shared)):
            if shared[i, j] > most:  # the first pair wins a tie, as it always has
                best, most = (i, j), int(shared[i, j])
    if best is None:
        return math.nan
    both = rows[(valid[:, best[0]] & valid[:, best[1]]).astype(bool)]
    a, b = units.codes[both, best[0]], units.codes[both, best[1]]
    seen = np.union1d(a, b)
    order = sorted(seen.tolist(), key=lambda code: repr(units.values[code]))
    position = np.zeros(len(units.values), dtype=np.int64)
    position[order] = np.arange(len(order))
    k = len(order)
    table = np.bincount(position[a] * k + position[b], minlength=k * k).reshape(k, k)
    return kappa_from_counts(table.astype(np.float64))


def agreeing(units: Units, rows: np.ndarray) -> int:
    """Units on which every answer given is the same."""
    codes = units.codes[rows]
    top = codes.max(axis=1, initial=MISSING)
    low = np.where(codes >= 0, codes, np.iinfo(np.int32).max).min(
        axis=1, initial=np.iinfo(np.int32).max
    )
    return int(((top >= 0) & (top == low)).sum())


def interval(
    types: UnitTypes, rows: np.ndarray, level: str, rng: np.random.Generator
) -> tuple[float, float] | None:
    """The 95% percentile interval of alpha over 1,000 resamples of the units."""
    if len(rows) < 2:
        return None
    per_type = resample_type_counts(rng, types.of_row[rows], len(types.counts))
    alphas = alpha_of(types, per_type, level)
    finite = alphas[~np.isnan(alphas)]
    if len(finite) < RESAMPLES // 2:
        return None
    low, high = np.percentile(finite, [2.5, 97.5])
    return (round(float(low), 4), round(float(high), 4))


def _rounded(value: float) -> float | None:
    return None if math.isnan(value) else round(float(value), 4)


def flag_of(n: int, alpha: float) -> str | None:
    if n < MIN_ITEMS:
        return "too few items"
    if math.isnan(alpha):
        # Every label gave the same answer: agreement is perfect but alpha is undefined, and
        # the question tells nothing about reliability this week.
        return "one answer throughout"
    if alpha < RELIABLE_ALPHA:
        return "unreliable"
    return None


def alpha_over(types: UnitTypes, rows: np.ndarray, level: str) -> float:
    if not len(rows):
        return math.nan
    return float(
        alpha_of(types, np.bincount(types.of_row[rows], minlength=len(types.counts)), level)
    )


def figures(
    units: Units, types: UnitTypes, rows: np.ndarray, rng: np.random.Generator | None
) -> QuestionStats:
    """The question's figures over ``rows`` (sorted indexes of unit rows); the bootstrap
    interval only with ``rng`` (drawing from it moves it on)."""
    n = len(rows)
    alpha = alpha_over(types, rows, units.level)
    return QuestionStats(
        question=units.question.id,
        level=units.level,
        n=n,
        percent=round(agreeing(units, rows) / n, 4) if n else None,
        kappa=_rounded(kappa_of(units, rows)),
        alpha=_rounded(alpha),
        alpha_ci95=interval(types, rows, units.level, rng) if rng is not None else None,
        flag=flag_of(n, alpha),
    )


def confusion(units: Units, rows: np.ndarray) -> Confusion:
    """First against second labeler (in id order) of each unit, over the rubric's choices."""
    question = units.question
    labels = tuple(c.id for c in question.choices)
    index: dict[Any, int] = {c.id: i for i, c in enumerate(question.choices)}
    if question.kind == "ordinal":
        index = {i: i for i in range(len(labels))}
    k = len(labels)
    if not len(rows):
        return Confusion(labels, tuple((0,) * k for _ in labels))
    choice = np.array([_lookup(index, v) for v in units.values] + [-1], dtype=np.int64)
    valid = units.codes[rows] >= 0
    first = valid.argmax(axis=1)
    later = valid.copy()
    later[np.arange(len(rows)), first] = False
    second = later.argmax(axis=1)
    has_two = later.any(axis=1)
    a = choice[units.codes[rows, first]]
    b = choice[units.codes[rows, second]]
    keep = has_two & (a >= 0) & (b >= 0)
    matrix = np.bincount(a[keep] * k + b[keep], minlength=k * k).reshape(k, k)
    return Confusion(labels, tuple(tuple(int(v) for v in row) for row in matrix))


def _lookup(index: dict[Any, int], value: Any) -> int:
    try:
        return index.get(value, -1)
    except TypeError:  # an unhashable answer is no choice
        return -1
