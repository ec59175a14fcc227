"""Triage: build the week's sample bundle from capture events.

One streaming pass keeps only bounded per-stratum candidates (so 1M events fit in little
memory), counts low-intent signals and drops, then PII-scans just the picked items.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labeler import __version__
from labeler.clock import utc_now
from labeler.domain import (
    LOW_INTENT_SIGNALS,
    NORMAL_CASE,
    REASON_CODES,
    UNSPECIFIED_CASE,
    PiiSpan,
    case_type,
)
from labeler.errors import ValidationError
from labeler.jsonio import canonical_json
from labeler.progress import CancelCheck, ProgressCallback, check_cancel, never_cancel, no_progress
from labeler.subjects import subject_hash
from labeler.triage import pii
from labeler.triage.bundle_file import FORMAT_VERSION, content_hash, write_bundle
from labeler.triage.events import DROP_CAUSES, check_event, drop_cause, is_negative, read_events
from labeler.triage.sampling import DEFAULT_HOLDOUT_KEY, CappedSampler, choose_overlap, is_holdout

HOLDOUT_SUFFIX = "|holdout"


@dataclass(frozen=True)
class BuildOptions:
    week: str
    per_reason: int = 20
    normal: int = 10
    overlap: int = 15
    holdout_rate: float = 0.1
    seed: int = 0
    holdout_key: str = DEFAULT_HOLDOUT_KEY

    def as_manifest(self) -> dict[str, Any]:
        values = dataclasses.asdict(self)
        # The key itself stays out of the bundle; a fingerprint shows which one was used.
        values["holdout_key"] = hashlib.sha256(self.holdout_key.encode()).hexdigest()[:16]
        return values


def text_fields(item: dict[str, Any]) -> list[tuple[str, str]]:
    """(field path, text) of every customer text in an item, as PII spans name them."""
    fields = [(name, item[name]) for name in ("input", "intent", "output", "edited_output")]
    for index, step in enumerate(item.get("retries") or []):
        fields += [(f"retries[{index}].change", step["change"])]
        fields += [(f"retries[{index}].output", step["output"])]
    for index, candidate in enumerate(item.get("candidates") or []):
        fields.append((f"candidates[{index}].output", candidate["output"]))
    return [(name, text) for name, text in fields if text]


def scan_pii(item: dict[str, Any]) -> list[PiiSpan]:
    spans: list[PiiSpan] = []
    for name, text in text_fields(item):
        spans += [dataclasses.replace(span, field=name) for span in pii.detect(text)]
    return spans


def _item(event: dict[str, Any], week: str) -> dict[str, Any]:
    item = {
        "id": event["event_id"],
        "week": week,
        "signal": event["signal"],
        "reason_code": event["reason_code"],
        "captured_at": event["captured_at"],
        "input": event["input"],
        "intent": event["intent"],
        "model": event["model"],
        # Only the evidence the signal needs: never the whole conversation.
        "output": event["output"] if event["signal"] != "side_by_side" else None,
        "edited_output": event["edited_output"] if event["signal"] == "edit" else None,
        "retries": event["retries"] if event["signal"] == "retry" else None,
        "candidates": event["candidates"] if event["signal"] == "side_by_side" else None,
        "picked": event["picked"] if event["signal"] == "side_by_side" else None,
        "subject_hash": subject_hash(event["subject"]),
    }
    item["content_hash"] = content_hash(item)
    return item


@dataclass
class _Tally:
    events: int = 0
    by_signal: Counter[str] = dataclasses.field(default_factory=Counter)
    negative: Counter[str] = dataclasses.field(default_factory=Counter)
    dropped: Counter[str] = dataclasses.field(default_factory=Counter)

    def low_intent(self) -> dict[str, Any]:
        return {
            signal: {
                "count": self.by_signal[signal],
                "negative": self.negative[signal],
                "share_negative": round(self.negative[signal] / self.by_signal[signal], 4)
                if self.by_signal[signal]
                else None,
            }
            for signal in LOW_INTENT_SIGNALS
        }


def build_bundle(
    paths: Sequence[Path],
    options: BuildOptions,
    output: Path,
    progress: ProgressCallback = no_progress,
    should_cancel: CancelCheck = never_cancel,
) -> dict[str, Any]:
    """Build the bundle file at ``output`` and return its manifest."""
    if not 0 <= options.holdout_rate <= 1:
        raise ValidationError("--holdout-rate must be between 0 and 1.")
    caps = _caps(options)
    sampler = CappedSampler(caps, f"seed:{options.seed}".encode())
    holdout_key = options.holdout_key.encode("utf-8")
    tally = _Tally()
    seen: set[str] = set()
    for file_index, path in enumerate(paths):
        for where, raw in read_events(path):
            event = check_event(where, raw)
            if event["event_id"] in seen:
                raise ValidationError(f"{where}: duplicate event_id {event['event_id']!r}.")
            seen.add(event["event_id"])
            tally.events += 1
            tally.by_signal[event["signal"]] += 1
            if tally.events % 65536 == 0:
                check_cancel(should_cancel)
                progress(file_index, len(paths), f"{tally.events} events read")
            if event["signal"] in LOW_INTENT_SIGNALS:
                tally.negative[event["signal"]] += is_negative(event)
                continue
            cause = drop_cause(event)
            if cause:
                tally.dropped[cause] += 1
                continue
            stratum = case_type(event["signal"], event["reason_code"])
            if is_holdout(holdout_key, event["event_id"], options.holdout_rate):
                stratum += HOLDOUT_SUFFIX
            sampler.offer(stratum, event["captured_at"][:10], event["event_id"], event)
    picks = _merge_holdout_quota(sampler.picks(), caps, options.holdout_rate)
    items = _route(picks, options)
    eligible: Counter[str] = Counter()
    for stratum, count in sampler.eligible.items():
        eligible[stratum.removesuffix(HOLDOUT_SUFFIX)] += count
    manifest = _manifest(options, tally, eligible, picks, items)
    written = write_bundle(output, manifest, items)
    progress(len(paths), len(paths), "bundle written")
    return written


def _caps(options: BuildOptions) -> dict[str, int]:
    """Per stratum the cap, for its holdout members and for the rest alike."""
    caps: dict[str, int] = {}
    for stratum in (*REASON_CODES, UNSPECIFIED_CASE, NORMAL_CASE):
        cap = options.normal if stratum == NORMAL_CASE else options.per_reason
        caps[stratum] = caps[stratum + HOLDOUT_SUFFIX] = cap
    return caps


def _merge_holdout_quota(
    picks: dict[str, list[dict[str, Any]]], caps: dict[str, int], rate: float
) -> dict[str, list[dict[str, Any]]]:
    """Each stratum's sample: a holdout quota first, then the rest, up to the cap.

    Holdout membership is the event's keyed hash alone; the quota, max(1, round(cap x rate)),
    only makes sure each stratum's sample holds some members, so the holdout always covers
    the top failure modes and a slice of normal traffic. Places left over go to more members.
    """
    merged: dict[str, list[dict[str, Any]]] = {}
    for stratum, cap in caps.items():
        if stratum.endswith(HOLDOUT_SUFFIX):
            continue
        members = picks.get(stratum + HOLDOUT_SUFFIX, [])
        quota = min(cap, max(1, round(cap * rate))) if rate else 0
        chosen = members[:quota]
        chosen += picks.get(stratum, [])[: cap - len(chosen)]
        chosen += members[quota : quota + cap - len(chosen)]
        if chosen:
            merged[stratum] = chosen
    return merged


def _route(picks: dict[str, list[dict[str, Any]]], options: BuildOptions) -> list[dict[str, Any]]:
    """Items with their routing: PII → restricted, holdout by keyed hash, overlap spread."""
    holdout_key = options.holdout_key.encode("utf-8")
    items = []  # holdout is re-derived from the key: the same answer the sampler used
    for stratum in sorted(picks):
        for event in picks[stratum]:
            item = _item(event, options.week)
            spans = scan_pii(item)
            item["pii"] = [span.as_dict() for span in spans]
            item["restricted"] = bool(spans) or item["reason_code"] == "sensitive_data"
            item["holdout"] = is_holdout(holdout_key, item["id"], options.holdout_rate)
            items.append(item)
    # Overlap items are labeled by both labelers, so they must be visible to both.
    open_items = [
        (case_type(i["signal"], i["reason_code"]), i["id"]) for i in items if not i["restricted"]
    ]
    overlap = choose_overlap(open_items, options.overlap, f"seed:{options.seed}".encode())
    for item in items:
        item["overlap"] = item["id"] in overlap
    items.sort(key=lambda i: (i["captured_at"], i["id"]))
    return items


def _manifest(
    options: BuildOptions,
    tally: _Tally,
    eligible: Counter[str],
    picks: dict[str, list[Any]],
    items: list[dict[str, Any]],
) -> dict[str, Any]:
    sampled = {stratum: len(chosen) for stratum, chosen in picks.items()}
    holdout_by_case: dict[str, int] = defaultdict(int)
    for item in items:
        if item["holdout"]:
            holdout_by_case[case_type(item["signal"], item["reason_code"])] += 1
    # The id follows from the items and their routing: the same build gives the same id.
    digest = hashlib.sha256("".join(map(canonical_json, items)).encode()).hexdigest()
    return {
        "format_version": FORMAT_VERSION,
        "kind": "week",
        "bundle_id": f"{options.week}-{digest[:12]}",
        "week": options.week,
        "created_at": utc_now(),
        "builder_version": __version__,
        "options": options.as_manifest(),
        "statistics": {
            "events": tally.events,
            "by_signal": dict(sorted(tally.by_signal.items())),
            "low_intent": tally.low_intent(),
            "dropped": {cause: tally.dropped[cause] for cause in DROP_CAUSES},
            "eligible_per_case": dict(sorted(eligible.items())),
            "sampled_per_case": dict(sorted(sampled.items())),
            "ignored_over_cap": {
                stratum: count - sampled.get(stratum, 0)
                for stratum, count in sorted(eligible.items())
            },
            "restricted": sum(item["restricted"] for item in items),
            "overlap": sum(item["overlap"] for item in items),
            "holdout": {
                "total": sum(item["holdout"] for item in items),
                "failure_modes": sum(v for k, v in holdout_by_case.items() if k != NORMAL_CASE),
                "normal_traffic": holdout_by_case.get(NORMAL_CASE, 0),
                "by_case": dict(sorted(holdout_by_case.items())),
            },
        },
    }
