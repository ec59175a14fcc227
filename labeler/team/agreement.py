"""Inter-annotator agreement: percent agreement, Cohen's kappa, Krippendorff's alpha.

Pure numpy, no Qt: numbers in, numbers out. Labels are mapped to integer codes once per
call; the statistics themselves are vectorised (≈1 ms for 100k pairs). The report works on
codes already (labeler.team.unit_stats) and shares the last step of each statistic with
these functions: ``kappa_from_counts``, ``alpha_from_coincidences``, ``nominal_alpha``.
"""

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
    counts = np.zeros((k, k))
    np.add.at(counts, (_codes(a, order), _codes(b, order)), 1)
    return kappa_from_counts(counts, weights)


def kappa_from_counts(counts: np.ndarray, weights: str | None = None) -> float:
    """Cohen's kappa from the (k x k) table of how often the pair gave (row, column)."""
    k = len(counts)
    observed = counts / counts.sum()
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0))
    w = _weights(k, weights)
    disagreement_expected = float((w * expected).sum())
    if disagreement_expected == 0:
        return math.nan
    return 1.0 - float((w * observed).sum()) / disagreement_expected


def _coincidences(units: Sequence[Sequence[Any]]) -> tuple[np.ndarray, list[Any]]:
    values = sorted({v for row in units for v in row if v is not None}, key=sort_key)
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


def sort_key(value: Any) -> tuple[int, Any]:
    """The order of values in a coincidence matrix: numbers by value, then the rest by repr."""
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
    return alpha_from_coincidences(o, values, level)


def alpha_from_coincidences(o: np.ndarray, values: list[Any], level: str) -> float:
    """Alpha from the coincidence matrix of ``values`` (sorted as ``sort_key`` sorts)."""
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


def nominal_alpha(disagreeing: np.ndarray, n_c: np.ndarray) -> np.ndarray:
    """Nominal alpha of many coincidence matrices at once, from their off-diagonal sums and
    their value totals (last axis); nan where ``alpha_from_coincidences`` gives nan.

    The same floating-point steps as ``alpha_from_coincidences`` on nominal data: its two
    sums are these exact integers (or halves) whenever at most three labelers share an item,
    so the results are equal to the last bit.
    """
    n = n_c.sum(axis=-1)
    pairs = n * n - (n_c * n_c).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        observed = disagreeing / n
        expected = pairs / (n * (n - 1))
        alpha = 1.0 - observed / expected
    return np.where((n <= 1) | (expected == 0), np.nan, alpha)
