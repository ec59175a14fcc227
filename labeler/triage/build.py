"""Triage: build the week's sample bundle from capture events.

An engine (``triage.engines``: DuckDB by default, the Python reference, or Spark) reads,
checks, counts and samples the events; only the picked events come back here, where they are
PII-scanned, routed (restricted, holdout, overlap) and written by ``write_bundle``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labeler import __version__
from labeler.clock import utc_now
from labeler.domain import NORMAL_CASE, PiiSpan, case_type
from labeler.errors import ValidationError
from labeler.jsonio import canonical_json
from labeler.progress import CancelCheck, ProgressCallback, check_cancel, never_cancel, no_progress
from labeler.subjects import subject_hash
from labeler.triage import engines, pii, sampling
from labeler.triage.assignment import AssignedLabeler, ItemFlags, assign
from labeler.triage.bundle_file import FORMAT_VERSION, WEEK_PATTERN, content_hash, write_bundle
from labeler.triage.engines import ALL_DROP_CAUSES, DEFAULT_ENGINE, EngineSettings, Plan, Sample
from labeler.triage.sampling import DEFAULT_HOLDOUT_KEY, is_holdout, week_overlap
from labeler.triage.sealed_bundle import SealTo, write_sealed_bundle


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
        values["sampling"] = sampling.SAMPLING_VERSION
        return values

    def plan(self) -> Plan:
        return Plan.of(
            self.week, self.per_reason, self.normal, self.holdout_rate, self.seed, self.holdout_key
        )


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


def build_bundle(
    paths: Sequence[str | os.PathLike[str]],
    options: BuildOptions,
    output: Path,
    progress: ProgressCallback = no_progress,
    should_cancel: CancelCheck = never_cancel,
    engine: str = DEFAULT_ENGINE,
    settings: EngineSettings | None = None,
    seal: SealTo | None = None,
    labelers: Sequence[AssignedLabeler] = (),
    assignment_key: str | None = None,
) -> dict[str, Any]:
    """Build the bundle file at ``output`` with ``engine`` and return its manifest.

    ``paths`` are files, globs or folders of .jsonl, .csv or .parquet events. Every engine
    picks the same items; only the picked events come back here to be routed and written.
    ``seal``: the team it is sealed to (what the CLI and the app always give); None writes
    the plain inner format, which only a workspace on no team imports (tests, benchmarks).
    ``labelers`` (the roster's, once there is one) share the non-overlap items
    (``triage.assignment``) under ``assignment_key`` (random when None); none: no assignment.
    """
    if not 0 <= options.holdout_rate <= 1:
        raise ValidationError("--holdout-rate must be between 0 and 1.")
    if not WEEK_PATTERN.match(options.week):
        raise ValidationError(f"--week must look like 2026-W48, not {options.week!r}.")
    try:
        sampling.week_window(options.week)
    except ValueError:  # 2027-W53: the pattern fits, the year has 52 weeks
        raise ValidationError(
            f"--week {options.week}: {options.week[:4]} has no week {options.week[6:]}."
        ) from None
    run = engines.engine(engine)
    sources = engines.resolve_sources(paths)
    _refuse_overwriting_events(sources, output)
    sample = run(sources, options.plan(), settings or EngineSettings(), progress, should_cancel)
    check_cancel(should_cancel)
    items = _route(sample.picks, options)
    manifest = _manifest(options, sample, items)
    if labelers:
        flags = (ItemFlags(i["id"], i["overlap"], i["restricted"]) for i in items)
        manifest["assignment"] = assign(flags, labelers, assignment_key).as_manifest()
    if seal is None:
        written = write_bundle(output, manifest, items)
    else:
        written = write_sealed_bundle(output, manifest, items, seal)
    progress(1, 1, "bundle written")
    return written


def _refuse_overwriting_events(sources: Sequence[engines.Source], output: Path) -> None:
    """``-o`` naming one of the events files would replace the events with the bundle."""
    target = output.resolve()
    for source in sources:
        for path in source.files:
            if path.resolve() == target:
                raise ValidationError(
                    f"-o {output}: that is one of the events files; write the bundle elsewhere."
                )


def _route(picks: dict[str, list[dict[str, Any]]], options: BuildOptions) -> list[dict[str, Any]]:
    """Items with their routing: PII → restricted, holdout by keyed hash, overlap spread."""
    items = []  # holdout is re-derived from the key: the same answer the sampler used
    for stratum in sorted(picks):
        for event in picks[stratum]:
            item = _item(event, options.week)
            spans = scan_pii(item)
            item["pii"] = [span.as_dict() for span in spans]
            item["restricted"] = bool(spans) or item["reason_code"] == "sensitive_data"
            item["holdout"] = is_holdout(options.holdout_key, item["id"], options.holdout_rate)
            items.append(item)
    # Overlap items are labeled by both labelers, so they must be visible to both.
    open_items = [
        (case_type(i["signal"], i["reason_code"]), i["id"]) for i in items if not i["restricted"]
    ]
    overlap = week_overlap(open_items, options.overlap, options.seed)
    for item in items:
        item["overlap"] = item["id"] in overlap
    items.sort(key=lambda i: (i["captured_at"], i["id"]))
    return items


def _manifest(options: BuildOptions, sample: Sample, items: list[dict[str, Any]]) -> dict[str, Any]:
    tally, eligible = sample.tally, sample.tally.eligible
    sampled = {stratum: len(chosen) for stratum, chosen in sample.picks.items()}
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
            "low_intent": tally.low_intent_stats(),
            "dropped": {cause: tally.dropped[cause] for cause in ALL_DROP_CAUSES},
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
