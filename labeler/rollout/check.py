"""The rollout check: per guarded signal, the candidate-minus-baseline difference with its
anytime-valid interval day by day, and the verdict.

- **ROLLBACK** (exit 1): on some day the whole interval of a signal lay beyond its guard
  (worse by more than the largest tolerated worsening); the reason names the signal, the
  estimate and the interval.
- **PROMOTE** (exit 0): the stage has run its minimum days and every signal's latest
  interval lies inside its guard: enough evidence that no guard is crossed.
- **CONTINUE** (exit 3): neither yet; the reasons say what is missing.

Each guard's sequence runs at the plan's alpha divided by the number of guards, so the chance
that the check ever says a wrong ROLLBACK or a wrong PROMOTE, however often it runs, is at
most alpha (labeler/rollout/sequential.py; benchmarks/rollout_bench.py measures it).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from labeler.errors import ValidationError
from labeler.rollout.plan import SIGNALS, Guard, Plan
from labeler.rollout.sequential import Sequence, confidence_sequence
from labeler.rollout.signals import Tally

EXIT_CODES = {"PROMOTE": 0, "ROLLBACK": 1, "CONTINUE": 3}


@dataclass(frozen=True)
class DayPoint:
    """Candidate minus baseline up to this day, with its interval (None: no data yet)."""

    date: str
    estimate: float | None
    low: float | None
    high: float | None


@dataclass(frozen=True)
class SignalCheck:
    signal: str
    counts: str  # what the rate counts
    worse: str
    max_worsening: float
    alpha: float  # this guard's share of the plan's error rate
    baseline_rate: float | None
    candidate_rate: float | None
    baseline_trials: int
    candidate_trials: int
    estimate: float | None  # the latest day's
    low: float | None
    high: float | None
    state: str  # crossed | within | undecided
    crossed_on: str | None
    series: tuple[DayPoint, ...]


@dataclass(frozen=True)
class VersionSignals:
    """One model version's signals over the days checked (None: no denominator)."""

    version: str
    requests: int
    picks: int
    rates: Mapping[str, float | None]


@dataclass(frozen=True)
class RolloutVerdict:
    verdict: str  # PROMOTE | ROLLBACK | CONTINUE
    reasons: tuple[str, ...]
    baseline: str
    candidate: str
    stage: str
    next_stage: str | None
    days_in_stage: int
    min_days: int
    first_day: str
    last_day: str
    plan_name: str
    plan_sha256: str
    alpha: float
    signals: tuple[SignalCheck, ...]
    versions: tuple[VersionSignals, ...]
    notes: tuple[str, ...]
    inputs: tuple[tuple[str, str], ...]  # (file name, sha256) of the events and exposures

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]

    def to_json(self) -> dict[str, Any]:
        """What ``labeler rollout check --json`` prints and a recorded check keeps."""
        return dataclasses.asdict(self)


def _number(value: float) -> float | None:
    return None if math.isnan(value) else round(float(value), 6)


def _arrays(tally: Tally, signal: str, version: str, days: list[dt.date]) -> tuple[Any, Any]:
    events: Mapping[Any, int] = tally.events.get(signal, {})
    trials = np.array([tally.trials(signal, (version, d)) for d in days], dtype=float)
    hits = np.array([events.get((version, d), 0) for d in days], dtype=float)
    return trials, hits


def _rate(hits: Any, trials: Any) -> float | None:
    total = float(trials.sum())
    return round(float(hits.sum()) / total, 6) if total else None


def worsening_bounds(seq: Sequence, guard: Guard) -> tuple[np.ndarray, np.ndarray]:
    """Per day, the least and the most worsening the interval allows (> 0 is worse): a guard
    is crossed when the least exceeds its tolerance, and holds when the most stays within."""
    if guard.worse == "higher":
        return seq.low, seq.high
    return -seq.high, -seq.low


def _guard_check(
    tally: Tally, guard: Guard, plan: Plan, baseline: str, candidate: str, days: list[dt.date]
) -> SignalCheck:
    nb, kb = _arrays(tally, guard.signal, baseline, days)
    nc, kc = _arrays(tally, guard.signal, candidate, days)
    alpha = plan.alpha_per_guard
    seq = confidence_sequence(nb, kb, nc, kc, alpha, guard.tuned_for)
    series = tuple(
        DayPoint(day.isoformat(), _number(e), _number(lo), _number(hi))
        for day, e, lo, hi in zip(days, seq.estimate, seq.low, seq.high, strict=True)
    )
    least, most = worsening_bounds(seq, guard)
    crossed = np.flatnonzero(least > guard.max_worsening)
    last = next((p for p in reversed(series) if p.estimate is not None), None)
    within = last is not None and bool(most[series.index(last)] <= guard.max_worsening)
    state = "crossed" if len(crossed) else "within" if within else "undecided"
    return SignalCheck(
        signal=guard.signal, counts=SIGNALS[guard.signal], worse=guard.worse,
        max_worsening=guard.max_worsening, alpha=round(alpha, 6),
        baseline_rate=_rate(kb, nb), candidate_rate=_rate(kc, nc),
        baseline_trials=int(nb.sum()), candidate_trials=int(nc.sum()),
        estimate=last.estimate if last else None, low=last.low if last else None,
        high=last.high if last else None, state=state,
        crossed_on=days[int(crossed[0])].isoformat() if len(crossed) else None, series=series,
    )  # fmt: skip


def _signed(value: float | None) -> str:
    return "—" if value is None else f"{value:+.4f}"


def _reason(check: SignalCheck) -> str:
    tolerated = check.max_worsening if check.worse == "higher" else -check.max_worsening
    if check.state == "crossed":
        point = next(p for p in check.series if p.date == check.crossed_on)
        return (
            f"{check.signal} crossed its guard on {check.crossed_on}: candidate - baseline "
            f"{_signed(point.estimate)}, interval {_signed(point.low)} to {_signed(point.high)}, "
            f"worse than the tolerated {_signed(tolerated)} ({check.worse} is worse)"
        )
    if check.estimate is None:
        return f"{check.signal}: no data for both versions yet"
    return (
        f"{check.signal}: interval {_signed(check.low)} to {_signed(check.high)} still reaches "
        f"past the tolerated {_signed(tolerated)}"
    )


def _stage_days(tally: Tally, candidate: str, stage: str | None, days: list[dt.date]) -> int:
    active = [d for d in days if tally.requests[(candidate, d)] or tally.picks[(candidate, d)]]
    if stage is None or not tally.stages:
        return len(active)
    return sum(1 for d in active if tally.stages.get((candidate, d)) == stage)


def _current_stage(tally: Tally, plan: Plan, candidate: str, chosen: str | None) -> str:
    if chosen is not None:
        return plan.stage(chosen).name
    tagged = sorted((day, s) for (version, day), s in tally.stages.items() if version == candidate)
    return plan.stage(tagged[-1][1]).name if tagged else plan.stages[0].name


def _versions(tally: Tally) -> tuple[VersionSignals, ...]:
    found = []
    for version in tally.versions():
        requests = sum(n for (v, _), n in tally.requests.items() if v == version)
        picks = sum(n for (v, _), n in tally.picks.items() if v == version)
        rates = {}
        for signal in SIGNALS:
            hits = sum(n for (v, _), n in tally.events.get(signal, {}).items() if v == version)
            trials = picks if signal == "side_by_side_loss_rate" else requests
            rates[signal] = round(hits / trials, 6) if trials else None
        found.append(VersionSignals(version, requests, picks, rates))
    return tuple(found)


def check_rollout(
    tally: Tally, plan: Plan, baseline: str, candidate: str, stage: str | None = None
) -> RolloutVerdict:
    """The verdict for ``candidate`` against ``baseline`` at ``stage`` (default: the stage the
    exposures give for the candidate's last day, else the plan's first)."""
    if baseline == candidate:
        raise ValidationError("The baseline and the candidate are the same model version.")
    needed = plan.needs_exposures()
    if needed and not tally.has_exposures:
        raise ValidationError(
            f"{plan.name} guards {', '.join(needed)}, which need --exposures (requests per "
            "model version and day: the rates' denominator)."
        )
    present = set(tally.versions())
    for role, version in (("baseline", baseline), ("candidate", candidate)):
        if version not in present:
            raise ValidationError(
                f"The {role} version {version!r} is in neither the events nor the exposures."
            )
    days = tally.days([baseline, candidate])
    current = _current_stage(tally, plan, candidate, stage)
    in_stage = _stage_days(tally, candidate, current, days)
    min_days = plan.stage(current).min_days
    checks = tuple(_guard_check(tally, g, plan, baseline, candidate, days) for g in plan.guards)
    verdict, reasons = _decide(checks, current, in_stage, min_days)
    following = plan.next_stage(current)
    notes = []
    if tally.without_version:
        notes.append(f"{tally.without_version} events without model.version were not counted")
    if tally.unattributed_picks:
        notes.append(
            f"{tally.unattributed_picks} side-by-side picks were not counted: the served "
            "version was not one of the two candidates"
        )
    return RolloutVerdict(
        verdict=verdict, reasons=reasons, baseline=baseline, candidate=candidate,
        stage=current, next_stage=following.name if following else None,
        days_in_stage=in_stage, min_days=min_days, first_day=days[0].isoformat(),
        last_day=days[-1].isoformat(), plan_name=plan.name, plan_sha256=plan.sha256,
        alpha=plan.alpha, signals=checks, versions=_versions(tally), notes=tuple(notes),
        inputs=tuple(tally.inputs),
    )  # fmt: skip


def _decide(
    checks: tuple[SignalCheck, ...], stage: str, in_stage: int, min_days: int
) -> tuple[str, tuple[str, ...]]:
    crossed = [c for c in checks if c.state == "crossed"]
    if crossed:
        return "ROLLBACK", tuple(_reason(c) for c in crossed)
    reasons = [_reason(c) for c in checks if c.state != "within"]
    if in_stage < min_days:
        reasons.insert(0, f"stage {stage} has run {in_stage} of its {min_days} days")
    if reasons:
        return "CONTINUE", tuple(reasons)
    return "PROMOTE", (f"every guard holds after {in_stage} days of stage {stage}",)
