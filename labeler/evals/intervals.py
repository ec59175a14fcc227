"""Intervals the eval report and the gate share: the Wilson score interval of a proportion,
and a percentile bootstrap of a mean over items (deterministic with its seed, so a gate run
can be recomputed exactly from its judgments and policy)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist

import numpy as np

Z95 = 1.959963984540054
DRAWS = 2000
Interval = tuple[float, float]


def wilson(successes: int, total: int, confidence: float = 0.95) -> Interval | None:
    """The Wilson score interval of a proportion."""
    if total == 0:
        return None
    z = Z95 if confidence == 0.95 else NormalDist().inv_cdf(0.5 + confidence / 2)
    p = successes / total
    denominator = 1 + z**2 / total
    centre = (p + z**2 / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z**2 / (4 * total**2)) / denominator
    return (round(centre - half, 4), round(centre + half, 4))


def bootstrap_mean(
    scores: Sequence[float], rng: np.random.Generator, confidence: float = 0.95
) -> Interval | None:
    """A percentile-bootstrap interval of the mean of ``scores``, resampling items."""
    if len(scores) < 2:
        return None
    values = np.asarray(scores, dtype=float)
    means = values[rng.integers(0, len(values), size=(DRAWS, len(values)))].mean(axis=1)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return (round(float(low), 4), round(float(high), 4))
