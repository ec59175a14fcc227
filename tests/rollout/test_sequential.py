"""The confidence sequence keeps its error rate however often it is looked at: over many
simulated rollouts checked every day, false alarms stay under alpha (a fixed-sample interval
looked at daily does not), and the true difference stays covered."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from labeler.rollout.plan import read_plan
from labeler.rollout.sequential import confidence_sequence
from labeler.rollout.simulation import simulate

PLAN = Path(__file__).resolve().parents[2] / "rubrics" / "rollout.yaml"


def _zero_tolerance():
    plan = read_plan(PLAN)
    return dataclasses.replace(
        plan, guards=tuple(dataclasses.replace(g, max_worsening=0.0) for g in plan.guards)
    )


def test_false_alarms_over_daily_checks_stay_under_alpha() -> None:
    plan = _zero_tolerance()  # any interval wholly on the worse side is a ROLLBACK
    outcome = simulate(plan, 600, None, extra_days=10, seed=3)
    assert outcome.days == 18
    assert (outcome.rollback_day > 0).mean() <= plan.alpha
    shipped = read_plan(PLAN)  # at its boundary a guard is not crossed: ROLLBACK is wrong
    at_guard = {g.signal: g.max_worsening for g in shipped.guards}
    outcome = simulate(shipped, 600, at_guard, extra_days=10, seed=4)
    assert (outcome.rollback_day > 0).mean() <= shipped.alpha


def test_a_fixed_interval_looked_at_daily_would_not() -> None:
    """The same data with a 95% z-interval per day: the test above can fail."""
    rng = np.random.default_rng(5)
    seeds, days = 2000, 30
    n = np.full((seeds, days), 2000)
    kb, kc = rng.binomial(n, 0.05), rng.binomial(n, 0.05)
    pb, pc = kb.cumsum(1) / n.cumsum(1), kc.cumsum(1) / n.cumsum(1)
    se = np.sqrt(pb * (1 - pb) / n.cumsum(1) + pc * (1 - pc) / n.cumsum(1))
    naive = (np.abs(pc - pb) > 1.96 * se).any(axis=1).mean()
    seq = confidence_sequence(n, kb, n, kc, 0.05, 10_000)
    anytime = ((seq.low > 0) | (seq.high < 0)).any(axis=1).mean()
    assert naive > 0.1 and anytime <= 0.05


def test_the_true_difference_stays_covered_and_intervals_narrow() -> None:
    rng = np.random.default_rng(6)
    seeds, days = 1000, 20
    nb = np.full((seeds, days), 50_000)
    nc = np.concatenate([np.full((seeds, 5), 500), np.full((seeds, 15), 5000)], axis=1)
    kb, kc = rng.binomial(nb, 0.03), rng.binomial(nc, 0.04)
    seq = confidence_sequence(nb, kb, nc, kc, 0.05, 10_000)
    missed = ((seq.low > 0.01) | (seq.high < 0.01)).any(axis=1).mean()
    assert missed <= 0.05
    width = (seq.high - seq.low).mean(axis=0)
    assert width[-1] < width[5] < width[0]


def test_no_events_yet_is_no_zero_width_interval() -> None:
    zeros = np.zeros((1, 3))
    seq = confidence_sequence(np.full((1, 3), 200), zeros, np.full((1, 3), 10), zeros, 0.05, 1e4)
    assert (seq.high - seq.low > 0.01).all()
    empty = confidence_sequence(
        np.zeros((1, 2)), zeros[:, :2], np.ones((1, 2)), zeros[:, :2], 0.05, 1e4
    )
    assert np.isnan(empty.estimate).all()  # no baseline trials: nothing to compare yet
