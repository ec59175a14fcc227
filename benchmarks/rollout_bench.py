"""Rollout benchmarks (issue: release safety): the rollback trigger's false alarms over many
simulated rollouts checked every day, its days to ROLLBACK on real regressions, and the time
``labeler rollout check`` takes on 100,000 capture events.

    python benchmarks/rollout_bench.py [--quick]

The plan is the shipped rubrics/rollout.yaml (internal 2 days, a 5% canary 3 days, 50% 3
days; alpha 0.05 over four guards), on 100,000 requests a day, plus a zero-tolerance copy
(every guard's max_worsening 0: ROLLBACK as soon as an interval lies wholly on the worse
side, LaunchDarkly's most sensitive setting), where a null rollout is the hardest test of the
alpha bound.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from labeler.resources import shipped_path
from labeler.rollout.check import check_rollout
from labeler.rollout.plan import Plan, read_plan
from labeler.rollout.signals import read_tally
from labeler.rollout.simulation import simulate

SEEDS = 4000
EXTRA_DAYS = 20  # the widest stage runs on, so slow detections are seen too


def _plans() -> tuple[Plan, Plan]:
    shipped = read_plan(shipped_path("rubrics", "rollout.yaml"))
    zero = dataclasses.replace(
        shipped, guards=tuple(dataclasses.replace(g, max_worsening=0.0) for g in shipped.guards)
    )
    return shipped, zero


def false_alarms(scale: float) -> list[dict]:
    """Share of rollouts that ever said ROLLBACK when it is wrong: no difference at all (both
    plans), and every signal worse by exactly its tolerated worsening (the shipped plan's
    boundary, where a ROLLBACK is still wrong)."""
    seeds = max(200, int(SEEDS * scale))
    shipped, zero = _plans()
    at_guard = {g.signal: g.max_worsening for g in shipped.guards}
    runs = (
        ("rollout_null_false_alarm_share", shipped, None, "no difference, shipped plan"),
        ("rollout_null_false_alarm_zero_tol", zero, None, "no difference, zero tolerance"),
        ("rollout_at_guard_false_alarm", shipped, at_guard, "every signal worse by its guard"),
    )
    metrics = []
    for name, plan, worse, what in runs:
        outcome = simulate(plan, seeds, worse, extra_days=EXTRA_DAYS, seed=7)
        share = float((outcome.rollback_day > 0).mean())
        metrics.append(
            {"name": name, "value": share, "unit": "", "budget": plan.alpha,
             "note": f"{what}; {seeds} rollouts x {outcome.days} daily checks, alpha "
             f"{plan.alpha}"}
        )  # fmt: skip
    return metrics


def days_to_rollback(scale: float) -> list[dict]:
    """Median (and 90th percentile) days until ROLLBACK when one signal regresses: by the
    guard's size under the zero-tolerance plan, by twice and three times it under the
    shipped plan (there a regression of the guard's size is the tolerated one)."""
    seeds = max(100, int(1000 * scale))
    shipped, zero = _plans()
    metrics = []
    for guard in shipped.guards:
        for plan, times, label in (
            (zero, 1, "zero_tol_1x"),
            (shipped, 2, "2x"),
            (shipped, 3, "3x"),
        ):
            outcome = simulate(
                plan, seeds, {guard.signal: times * guard.max_worsening},
                extra_days=EXTRA_DAYS, seed=11,
            )  # fmt: skip
            caught = outcome.rollback_day[outcome.rollback_day > 0]
            median = float(np.median(caught)) if len(caught) else float("inf")
            p90 = float(np.percentile(caught, 90)) if len(caught) else float("inf")
            metrics.append(
                {"name": f"rollout_days_{guard.signal}_{label}", "value": median, "unit": "d",
                 "budget": float(outcome.days),
                 "note": f"worse by {times * guard.max_worsening:g}; caught in "
                 f"{len(caught) / seeds:.1%} of {seeds} within {outcome.days} days, p90 {p90:g}"}
            )  # fmt: skip
    return metrics


def check_speed(scale: float) -> dict:
    """``rollout check`` end to end (read, validate, PII scan, count, sequences) on capture
    events of a simulated canary, scaled to 100,000 events."""
    from labeler.demo.rollout import BASE_RATES, schedule
    from labeler.demo.rollout import simulate as write_rollout

    days = schedule(int(100_000 * scale * 1.35), [("internal", None, 2), ("canary", 0.05, 5)])
    with tempfile.TemporaryDirectory() as scratch:
        events, exposures = write_rollout(
            Path(scratch), days, "b", "c", BASE_RATES, start=dt.date(2026, 11, 30)
        )
        count = sum(1 for _ in events.open("rb"))
        started = time.perf_counter()
        verdict = check_rollout(read_tally([events], exposures), _plans()[0], "b", "c")
        took = time.perf_counter() - started
    return {"name": "rollout_check_100k_events_s", "value": took * 100_000 / count, "unit": "s",
            "budget": 30.0, "note": f"{count} events checked in {took:.2f} s ({verdict.verdict}); "
            "scaled to 100k"}  # fmt: skip


BENCHMARKS = [false_alarms, days_to_rollback, check_speed]


if __name__ == "__main__":
    scale = 0.1 if "--quick" in sys.argv else 1.0
    for bench in BENCHMARKS:
        result = bench(scale)
        for metric in result if isinstance(result, list) else [result]:
            print(f"{metric['name']:<44} {metric['value']:>8.4g} {metric['unit']:<2} "
                  f"budget {metric['budget']:<6g} {metric['note']}")  # fmt: skip
