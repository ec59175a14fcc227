"""Simulated rollouts, many at once, to measure the rollback trigger: its false alarms when
the candidate is no different (a null rollout), and how fast it catches a real regression.

Each rollout follows the plan's stages for their minimum days (internal users, then each
share of ``daily_requests``); each day's events per arm are binomial draws at the signal's
rate. The check on day t sees the days up to t, and the confidence sequence of every day is
computed in one causal pass (cumulative sums), so "checked every day" is exactly the
per-day sequence here. The decision rule is the check's own (``worsening_bounds``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from labeler.rollout.check import worsening_bounds
from labeler.rollout.plan import Plan
from labeler.rollout.sequential import confidence_sequence

# Baseline rates the simulations start from (the side-by-side loss rate is per pick).
RATES = {
    "edit_rate": 0.05,
    "retry_rate": 0.03,
    "side_by_side_loss_rate": 0.5,
    "sensitive_data_rate": 0.002,
}
PICKS_PER_REQUEST = 0.02


@dataclass(frozen=True)
class Outcome:
    """Per simulated rollout: the first day (1-based) a check said ROLLBACK (0: never) and
    which guard crossed first."""

    rollback_day: np.ndarray
    first_signal: np.ndarray  # index into the plan's guards; -1 when never
    days: int


def traffic(plan: Plan, daily_requests: int, internal_requests: int, extra_days: int = 0) -> Any:
    """(candidate, baseline) requests per day over the plan's stages at their minimum days,
    the last stage lasting ``extra_days`` more."""
    candidate, baseline = [], []
    for number, stage in enumerate(plan.stages):
        days = stage.min_days + (extra_days if number == len(plan.stages) - 1 else 0)
        share = internal_requests if stage.share is None else round(daily_requests * stage.share)
        candidate += [share] * days
        baseline += [daily_requests - share] * days
    return np.array(candidate), np.array(baseline)


def simulate(
    plan: Plan,
    seeds: int,
    worse_by: Mapping[str, float] | None = None,
    *,
    daily_requests: int = 100_000,
    internal_requests: int = 500,
    extra_days: int = 0,
    rates: Mapping[str, float] = RATES,
    seed: int = 0,
) -> Outcome:
    """``seeds`` rollouts; ``worse_by``: signal -> how much worse the candidate's rate is
    (in the guard's worse direction; empty for a null rollout)."""
    rng = np.random.default_rng(seed)
    candidate, baseline = traffic(plan, daily_requests, internal_requests, extra_days)
    shape = (seeds, len(candidate))
    nc, nb = np.broadcast_to(candidate, shape), np.broadcast_to(baseline, shape)
    crossed = []
    for guard in plan.guards:
        base = rates[guard.signal]
        shift = (worse_by or {}).get(guard.signal, 0.0)
        rate = base + (shift if guard.worse == "higher" else -shift)
        trials_c, trials_b = nc, nb
        if guard.signal == "side_by_side_loss_rate":
            trials_c = rng.binomial(nc, PICKS_PER_REQUEST)
            trials_b = rng.binomial(nb, PICKS_PER_REQUEST)
        kc, kb = rng.binomial(trials_c, rate), rng.binomial(trials_b, base)
        seq = confidence_sequence(trials_b, kb, trials_c, kc, plan.alpha_per_guard, guard.tuned_for)
        least, _ = worsening_bounds(seq, guard)
        crossed.append(np.asarray(np.nan_to_num(least, nan=-np.inf) > guard.max_worsening))
    stacked: np.ndarray = np.stack(crossed)  # (guards, seeds, days)
    anywhere = np.any(stacked, axis=0)
    day = np.where(anywhere.any(axis=1), anywhere.argmax(axis=1) + 1, 0)
    first = np.where(
        day > 0, stacked[:, np.arange(seeds), np.maximum(day - 1, 0)].argmax(axis=0), -1
    )
    return Outcome(day, first, len(candidate))
