"""The Python reference engine: one streaming pass over the events, in plain Python.

It is the definition in code (``triage.sampling``) that the DuckDB and Spark engines are
tested against; it keeps every event id in a set to find duplicates, so it is for small data
and tests (about 126 bytes per event), not for the lake.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from labeler.domain import LOW_INTENT_SIGNALS, case_type
from labeler.errors import ValidationError
from labeler.progress import CancelCheck, ProgressCallback, check_cancel
from labeler.triage import sampling
from labeler.triage.engines import (
    WEEK_CAUSE,
    EngineSettings,
    Plan,
    Sample,
    Source,
    Tally,
    week_partitions,
)
from labeler.triage.events import (
    check_event,
    check_picked_texts,
    drop_cause,
    is_negative,
    read_events,
)

HOLDOUT = "|holdout"


def raw_timestamp(raw: Any) -> Any:
    """The captured_at a reader yielded, before check_event normalised it."""
    return raw.get("captured_at") if isinstance(raw, dict) else getattr(raw, "captured_at", None)


def strict_seconds(where: str, raw: Any) -> int:
    """Unix seconds of the event's RFC 3339 timestamp, or the sentence every engine gives."""
    value = raw_timestamp(raw)
    seconds = sampling.unix_seconds(value) if isinstance(value, str) else None
    if seconds is None:
        shown = value[:40] if isinstance(value, str) else value
        raise ValidationError(
            f"{where}: field 'captured_at' is not an RFC 3339 timestamp with seconds and an "
            f"offset, like 2026-11-23T10:00:00Z: {shown!r}."
        )
    return seconds


def signal_cause(event: dict[str, Any]) -> str | None:
    """An edit that changed nothing, or a side-by-side without a pick: no signal at all."""
    if event["signal"] == "edit" and event["edited_output"] == event["output"]:
        return "unchanged_edit"
    if event["signal"] == "side_by_side" and event["picked"] is None:
        return "no_pick"
    return None


def sample_events(
    sources: Sequence[Source],
    plan: Plan,
    settings: EngineSettings,
    progress: ProgressCallback,
    should_cancel: CancelCheck,
) -> Sample:
    caps = {case + suffix: cap for case, cap in plan.caps.items() for suffix in ("", HOLDOUT)}
    sampler = sampling.CappedSampler(caps)
    tally = Tally()
    seen: set[str] = set()
    remote = [pattern for source in sources if not source.files for pattern in source.patterns]
    if remote:
        raise ValidationError(f"{remote[0]}: the python engine reads local files only.")
    sources = week_partitions(sources, settings, plan)
    files = [path for source in sources for path in source.files]
    for file_index, path in enumerate(files):
        for where, raw in read_events(path, texts=False):  # the picked ones', below
            event = check_event(where, raw)
            seconds = strict_seconds(where, raw)
            if event["event_id"] in seen:
                raise ValidationError(f"{where}: duplicate event_id {event['event_id']!r}.")
            seen.add(event["event_id"])
            tally.events += 1
            tally.by_signal[event["signal"]] += 1
            if tally.events % 65536 == 0:
                check_cancel(should_cancel)
                progress(file_index, len(files), f"{tally.events} events read")
            _offer(plan, sampler, tally, event, seconds)
    picks = {}
    chosen = sampler.picks()
    for case, cap in plan.caps.items():
        members, others = chosen.get(case + HOLDOUT, []), chosen.get(case, [])
        merged = sampling.merge_quota(members, others, cap, plan.quotas[case])
        if merged:
            picks[case] = merged
    check_picked_texts(files, (event for events in picks.values() for event in events))
    for stratum, count in sampler.eligible.items():
        tally.eligible[stratum.removesuffix(HOLDOUT)] += count
    return Sample(tally, picks)


def _offer(
    plan: Plan,
    sampler: sampling.CappedSampler,
    tally: Tally,
    event: dict[str, Any],
    seconds: int,
) -> None:
    if not plan.start <= seconds < plan.end:
        tally.dropped[WEEK_CAUSE] += 1
        return
    signal = event["signal"]
    if signal in LOW_INTENT_SIGNALS:
        tally.low_intent[signal] += 1
        tally.negative[signal] += is_negative(event)
        return
    cause = drop_cause(event) or signal_cause(event)
    if cause:
        tally.dropped[cause] += 1
        return
    event_id = event["event_id"]
    stratum = case_type(signal, event["reason_code"])
    if sampling.digest(plan.holdout_prefix, event_id) < plan.threshold:
        stratum += HOLDOUT
    key = sampling.sort_key(plan.sample_prefix, event_id)
    sampler.offer(stratum, seconds // sampling.DAY_SECONDS, key, event)
