"""A simulated staged rollout: capture events tagged with the model version that served them,
and the exposures (requests per version and day), for the lead demo, the tests and the docs.

``simulate`` draws each day's requests per version from the stage's traffic share and each
signal's events from its rate (a binomial per version and day), then writes real capture
events — so ``labeler rollout check`` reads them through the same path as a team's.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from labeler.demo.events import MODEL

# Shares of requests that end in each signal (the side-by-side loss rate is per pick).
BASE_RATES = {
    "edit_rate": 0.05,
    "retry_rate": 0.03,
    "side_by_side_loss_rate": 0.5,
    "sensitive_data_rate": 0.002,
}
PICK_RATE = 0.02  # side-by-side picks per request


@dataclass(frozen=True)
class Day:
    """One day of the rollout: the stage, the candidate's requests, the baseline's."""

    stage: str
    candidate_requests: int
    baseline_requests: int


def schedule(
    total: int, stages: Sequence[tuple[str, float | None, int]], internal: int = 400
) -> list[Day]:
    """Days of ``stages`` ((name, share or None for internal users, days)) at ``total``
    requests a day; internal users send ``internal`` requests a day to the candidate."""
    days = []
    for name, share, count in stages:
        candidate = internal if share is None else round(total * share)
        days += [Day(name, candidate, total - candidate)] * count
    return days


def _event(number: int, version: str, day: dt.date, signal: str, **extra: Any) -> dict[str, Any]:
    moment = dt.datetime.combine(day, dt.time(9), dt.UTC) + dt.timedelta(seconds=number % 36_000)
    event: dict[str, Any] = {
        "event_id": f"ro-{day.isoformat()}-{version}-{number:06d}",
        "captured_at": moment.isoformat().replace("+00:00", "Z"),
        "signal": signal,
        "reason_code": extra.pop("reason_code", "wrong"),
        "input": f"Request {number} of {day.isoformat()}",
        "intent": "Answer a support question",
        "model": {"name": MODEL, "version": version, "settings": {}},
        "output": "Here is the answer to your question.",
    }
    event.update(extra)
    return event


def _events_of(
    rng: np.random.Generator, version: str, other: str, day: dt.date, requests: int,
    rates: Mapping[str, float], start: int,
) -> list[dict[str, Any]]:  # fmt: skip
    found: list[dict[str, Any]] = []
    number = start

    def add(signal: str, **extra: Any) -> None:
        nonlocal number
        found.append(_event(number, version, day, signal, **extra))
        number += 1

    for _ in range(rng.binomial(requests, rates["edit_rate"])):
        add("edit", edited_output="Here is the corrected answer to your question.")
    for _ in range(rng.binomial(requests, rates["retry_rate"])):
        add("retry", retries=[{"change": "Said it was wrong", "output": "A second answer."}])
    picks = rng.binomial(requests, PICK_RATE)
    for lost in rng.random(picks) < rates["side_by_side_loss_rate"]:
        pair = [{"model_version": version, "output": "Ours."}, {"model_version": other,
                "output": "Theirs."}]  # fmt: skip
        add("side_by_side", candidates=pair, picked=1 if lost else 0, output=None)
    for _ in range(rng.binomial(requests, rates["sensitive_data_rate"])):
        add("rating", reason_code="sensitive_data", rating=1)
    return found


def simulate(
    folder: Path,
    days: Sequence[Day],
    baseline: str,
    candidate: str,
    candidate_rates: Mapping[str, float],
    *,
    start: dt.date,
    seed: int = 0,
    baseline_rates: Mapping[str, float] = BASE_RATES,
) -> tuple[Path, Path]:
    """Write ``events.jsonl`` and ``exposures.jsonl`` into ``folder``; return both paths."""
    rng = np.random.default_rng(seed)
    events, exposures = folder / "events.jsonl", folder / "exposures.jsonl"
    with events.open("w", encoding="utf-8") as out, exposures.open("w", encoding="utf-8") as exp:
        for offset, plan in enumerate(days):
            day = start + dt.timedelta(days=offset)
            for version, other, requests, rates, stage in (
                (baseline, candidate, plan.baseline_requests, baseline_rates, None),
                (candidate, baseline, plan.candidate_requests, candidate_rates, plan.stage),
            ):
                line = {"date": day.isoformat(), "model_version": version, "requests": requests}
                exp.write(json.dumps(line | ({"stage": stage} if stage else {})) + "\n")
                for event in _events_of(rng, version, other, day, requests, rates, 0):
                    out.write(json.dumps(event) + "\n")
    return events, exposures


DEMO_BASELINE, DEMO_CANDIDATE = "2026.11.2", "2026.11.3"
DEMO_START = dt.date(2026, 11, 30)  # the Monday after the demo's last week


def add_demo_rollout(session: Any, scratch: Path, seed: int = 1) -> int:
    """The lead demo's rollout: a hotfix through internal users and a 5% canary whose
    retry rate came out worse, checked through the real path (``rollout check``) and recorded
    with the shipped plan; returns the check's id."""
    from labeler.resources import shipped_path
    from labeler.rollout.check import check_rollout
    from labeler.rollout.plan import read_plan
    from labeler.rollout.record import record_check
    from labeler.rollout.signals import read_tally

    days = schedule(10_000, [("internal", None, 2), ("canary", 0.05, 4)])
    rates = dict(BASE_RATES, retry_rate=0.062)
    events, exposures = simulate(
        scratch, days, DEMO_BASELINE, DEMO_CANDIDATE, rates, start=DEMO_START, seed=seed
    )
    plan = read_plan(shipped_path("rubrics", "rollout.yaml"))
    verdict = check_rollout(read_tally([events], exposures), plan, DEMO_BASELINE, DEMO_CANDIDATE)
    return record_check(session, plan, verdict).id
