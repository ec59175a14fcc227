"""An anytime-valid confidence sequence for the difference of two rates, checked once a day.

Each day d brings, per arm, n trials (requests, or side-by-side picks) and k events. With
D_d = k_c/n_c - k_b/n_b (candidate minus baseline) and the day's effective sample size
w_d = 1 / (1/n_c + 1/n_b), the weighted sum S_t = sum_d w_d (D_d - delta) has mean zero
whatever the traffic split of each day (the stages change it), and its variance grows by
w_d^2 (p_c(1-p_c)/n_c + p_b(1-p_b)/n_b) a day. The estimate after t days is
sum w_d D_d / W_t, W_t = sum w_d (the plain difference of rates when the split is constant).

The interval around it is the asymptotic confidence sequence of Waudby-Smith, Arnold, Wu,
Ramdas and Howard ("Time-uniform central limit theory and asymptotic confidence sequences",
2021): Robbins' normal-mixture boundary (Howard, Ramdas, McAuliffe and Sekhon, "Time-uniform,
nonparametric, nonasymptotic confidence sequences", 2021) on the plug-in variance,

    half-width = sigma_t * sqrt( 2 (W rho^2 + 1) / (W^2 rho^2) * log( sqrt(W rho^2 + 1) / alpha ) )

with sigma_t^2 = V_t / W_t, and rho chosen so the boundary is tightest at ``tuned_for``
effective observations. It covers the true difference at every day at once with probability
>= 1 - alpha, so a check every day (or every hour) does not inflate false alarms, unlike a
fixed-sample interval looked at repeatedly. The rates in the variance are smoothed
((k + 1) / (n + 2)) so that a day with no events yet does not make an interval of zero width.
Everything is numpy over leading axes: a benchmark runs thousands of simulated rollouts at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Sequence:
    """Per day (last axis): the estimate of candidate - baseline and its interval; NaN until
    both arms have had a day with trials."""

    estimate: np.ndarray
    low: np.ndarray
    high: np.ndarray
    effective: np.ndarray  # W_t: effective observations so far


def rho_squared(alpha: float, tuned_for: float) -> float:
    """The mixture's precision that makes the boundary tightest at ``tuned_for``."""
    log_term = 2 * math.log(1 / alpha)
    return (log_term + math.log(1 + log_term)) / tuned_for


def confidence_sequence(
    n_baseline: np.ndarray,
    k_baseline: np.ndarray,
    n_candidate: np.ndarray,
    k_candidate: np.ndarray,
    alpha: float,
    tuned_for: float,
) -> Sequence:
    """The sequence over days (last axis) of daily counts; every array has the same shape."""
    nb, kb = np.asarray(n_baseline, float), np.asarray(k_baseline, float)
    nc, kc = np.asarray(n_candidate, float), np.asarray(k_candidate, float)
    both = (nb > 0) & (nc > 0)
    safe_b, safe_c = np.where(both, nb, 1.0), np.where(both, nc, 1.0)
    weight = np.where(both, 1.0 / (1.0 / safe_c + 1.0 / safe_b), 0.0)
    difference = np.where(both, kc / safe_c - kb / safe_b, 0.0)
    effective = np.cumsum(weight, axis=-1)
    seen = effective > 0
    safe_w = np.where(seen, effective, 1.0)
    estimate = np.cumsum(weight * difference, axis=-1) / safe_w
    # Plug-in variance: every past day's weight with today's smoothed rate of each arm.
    rate_b = (np.cumsum(np.where(both, kb, 0), axis=-1) + 1) / (
        np.cumsum(np.where(both, nb, 0), axis=-1) + 2
    )
    rate_c = (np.cumsum(np.where(both, kc, 0), axis=-1) + 1) / (
        np.cumsum(np.where(both, nc, 0), axis=-1) + 2
    )
    spread_b = np.cumsum(weight**2 / safe_b * both, axis=-1)
    spread_c = np.cumsum(weight**2 / safe_c * both, axis=-1)
    variance = rate_b * (1 - rate_b) * spread_b + rate_c * (1 - rate_c) * spread_c
    rho2 = rho_squared(alpha, tuned_for)
    grown = safe_w * rho2 + 1
    boundary = np.sqrt(2 * grown / (safe_w**2 * rho2) * np.log(np.sqrt(grown) / alpha))
    half = np.sqrt(variance / safe_w) * boundary
    nan = np.full_like(estimate, np.nan)
    return Sequence(
        estimate=np.where(seen, estimate, nan),
        low=np.where(seen, estimate - half, nan),
        high=np.where(seen, estimate + half, nan),
        effective=effective,
    )
