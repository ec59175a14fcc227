"""Sample-and-cap, holdout and overlap: properties that must hold for any events."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labeler.domain import case_type
from labeler.triage.build import BuildOptions, build_bundle
from labeler.triage.bundle_file import read_bundle
from labeler.triage.sampling import CappedSampler, is_holdout, round_robin

REASONS = ["wrong", "unsafe", "missing_info", "formatting", "sensitive_data", None]


def make_events(specs: list[tuple[int, int, int]], week: str = "2026-W48") -> list[dict]:
    """Events of ``week`` from (reason index, day, minute) triples; ids unique by position."""
    monday = dt.date.fromisocalendar(int(week[:4]), int(week[6:]), 1)
    start = dt.datetime.combine(monday, dt.time(), dt.UTC)
    events = []
    for number, (reason, day, minute) in enumerate(specs):
        moment = start + dt.timedelta(days=day, minutes=minute)
        code = REASONS[reason]
        events.append(
            {
                "event_id": f"e{number}",
                "captured_at": moment.isoformat(),
                "signal": "sample" if code is None else "edit",
                "reason_code": code,
                "input": f"input {number}",
                "intent": "do a thing",
                "model": {"name": "m", "version": "1", "settings": {}},
                "output": "before",
                "edited_output": "after",
            }
        )
    return events


def write(path: Path, events: list[dict]) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    return path


event_specs = st.lists(
    st.tuples(st.integers(0, 5), st.integers(0, 6), st.integers(0, 1439)), max_size=300
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    specs=event_specs,
    per_reason=st.integers(0, 12),
    normal=st.integers(0, 6),
    seed=st.integers(0, 3),
)
def test_caps_and_determinism(
    tmp_path: Path, specs: list, per_reason: int, normal: int, seed: int
) -> None:
    events = write(tmp_path / "events.jsonl", make_events(specs))
    options = BuildOptions(week="2026-W48", per_reason=per_reason, normal=normal, seed=seed)
    first = build_bundle([events], options, tmp_path / "a.lbundle")
    build_bundle([events], options, tmp_path / "b.lbundle")
    a, b = read_bundle(tmp_path / "a.lbundle"), read_bundle(tmp_path / "b.lbundle")
    assert a.items == b.items and a.id == b.id
    per_case = Counter(case_type(i["signal"], i["reason_code"]) for i in a.items)
    available = Counter(case_type(e["signal"], e["reason_code"]) for e in make_events(specs))
    for case, count in available.items():
        cap = normal if case == "normal" else per_reason
        assert per_case[case] == min(cap, count)
    stats = first["statistics"]
    assert sum(stats["ignored_over_cap"].values()) == len(specs) - len(a.items)


@settings(max_examples=60, deadline=None)
@given(
    ids=st.lists(st.text(min_size=1, max_size=20), unique=True, max_size=50), rate=st.floats(0, 1)
)
def test_holdout_is_a_function_of_the_id_and_grows_with_rate(ids: list[str], rate: float) -> None:
    key = "k"
    members = {i for i in ids if is_holdout(key, i, rate)}
    assert members == {i for i in ids if is_holdout(key, i, rate)}
    assert members <= {i for i in ids if is_holdout(key, i, min(1.0, rate + 0.1))}


def test_holdout_stable_across_weeks_and_bundles(tmp_path: Path) -> None:
    events = make_events([(0, d % 7, d) for d in range(200)])
    week_a = build_bundle(
        [write(tmp_path / "a.jsonl", events)],
        BuildOptions(week="2026-W48", per_reason=200, seed=1),
        tmp_path / "a.lbundle",
    )
    # The same events coming back a week later (captured then: a week holds only its own).
    week = dt.timedelta(days=7)
    later = [
        dict(e, captured_at=(dt.datetime.fromisoformat(e["captured_at"]) + week).isoformat())
        for e in events
    ]
    week_b = build_bundle(
        [write(tmp_path / "b.jsonl", later[50:])],
        BuildOptions(week="2026-W49", per_reason=200, seed=9),
        tmp_path / "b.lbundle",
    )
    assert week_a["item_count"] == 200 and week_b["item_count"] == 150
    a = {i["id"]: i["holdout"] for i in read_bundle(tmp_path / "a.lbundle").items}
    b = {i["id"]: i["holdout"] for i in read_bundle(tmp_path / "b.lbundle").items}
    assert all(a[item_id] == flag for item_id, flag in b.items())
    assert 5 < sum(a.values()) < 40  # about a tenth


def test_pick_is_spread_over_the_week(tmp_path: Path) -> None:
    # 100 events a day for seven days, cap 14: every day gets two, not the first 14 events.
    events = make_events([(0, day, minute) for day in range(7) for minute in range(100)])
    build_bundle(
        [write(tmp_path / "e.jsonl", events)],
        BuildOptions(week="2026-W48", per_reason=14, holdout_rate=0),
        tmp_path / "w.lbundle",
    )
    days = Counter(i["captured_at"][:10] for i in read_bundle(tmp_path / "w.lbundle").items)
    assert sorted(days.values()) == [2] * 7


def test_holdout_covers_failure_modes_and_normal_traffic(tmp_path: Path) -> None:
    events = make_events([(r, n % 7, n) for r in (0, 1, 5) for n in range(300)])
    manifest = build_bundle(
        [write(tmp_path / "e.jsonl", events)], BuildOptions(week="2026-W48"), tmp_path / "w.lbundle"
    )
    holdout = manifest["statistics"]["holdout"]
    assert holdout["normal_traffic"] >= 1 and holdout["failure_modes"] >= 2


def test_overlap_spread_across_reasons_and_never_restricted(tmp_path: Path) -> None:
    events = make_events([(r, n % 7, n) for r in range(6) for n in range(40)])
    build_bundle(
        [write(tmp_path / "e.jsonl", events)],
        BuildOptions(week="2026-W48", overlap=12),
        tmp_path / "w.lbundle",
    )
    items = read_bundle(tmp_path / "w.lbundle").items
    overlap = [i for i in items if i["overlap"]]
    assert len(overlap) == 12
    assert not any(i["restricted"] for i in overlap)
    assert len({i["reason_code"] for i in overlap}) == 5  # all open strata


def test_sampler_memory_is_bounded() -> None:
    sampler = CappedSampler({"wrong": 3})
    for n in range(10_000):
        sampler.offer("wrong", n % 2, f"key{n}", n)
    assert sum(len(heap) for heap in sampler._heaps.values()) == 6
    assert len(sampler.picks()["wrong"]) == 3


def test_round_robin() -> None:
    assert round_robin([[1, 2, 3], [4], [5, 6]], 5) == [1, 4, 5, 2, 6]
