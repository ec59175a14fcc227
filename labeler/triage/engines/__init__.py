"""Sampling engines: the Python reference, DuckDB (the default) and Spark.

An engine reads the capture events, checks them, counts what it drops, and returns the
picked events of each case type in sample order (``Sample``); everything after that (PII
routing, overlap, the bundle writer) is shared Python in ``triage.build``. All engines
implement one definition (``triage.sampling``, docs/triage.md), and a test builds the same
bundle bytes through each. Heavy libraries (duckdb, pyspark) are imported only inside the
engine that needs them, never on the app's start-up path.
"""

from __future__ import annotations

import glob
import importlib
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from labeler.domain import LOW_INTENT_SIGNALS, NORMAL_CASE, REASON_CODES, UNSPECIFIED_CASE
from labeler.errors import ValidationError
from labeler.progress import CancelCheck, ProgressCallback
from labeler.triage import sampling
from labeler.triage.events import DROP_CAUSES

ENGINES = ("duckdb", "python", "spark")
DEFAULT_ENGINE = "duckdb"
CASE_TYPES = (*REASON_CODES, UNSPECIFIED_CASE, NORMAL_CASE)
# Why a well-formed event is not sampled, in the order they are tested (after the week).
WEEK_CAUSE = "outside_week"
SIGNAL_CAUSES = ("unchanged_edit", "no_pick")  # an edit that changed nothing; a pick not made
ALL_DROP_CAUSES = (WEEK_CAUSE, *DROP_CAUSES, *SIGNAL_CAUSES)
SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}


@dataclass(frozen=True)
class EngineSettings:
    """How an engine may use the machine; none of it changes which items are picked."""

    memory_limit: str = "500MB"  # DuckDB's memory_limit: it spills beyond this
    threads: int | None = None  # DuckDB threads; None: one per core
    temp_dir: Path | None = None  # where DuckDB spills (a fresh folder inside, then deleted)
    partition_column: str | None = None  # a hive partition column holding the day (yyyy-mm-dd)
    spark_master: str | None = None  # e.g. local[2]; None: spark-submit's or local[*]


@dataclass(frozen=True)
class Plan:
    """The sampling definition's constants for one build, computed once in Python."""

    week: str
    start: int  # Unix seconds, Monday 00:00 UTC
    end: int
    seed: int
    caps: dict[str, int]
    quotas: dict[str, int]
    sample_prefix: str
    holdout_prefix: str
    threshold: str

    @classmethod
    def of(cls, week: str, per_reason: int, normal: int, rate: float, seed: int, key: str) -> Plan:
        caps = {case: normal if case == NORMAL_CASE else per_reason for case in CASE_TYPES}
        start, end = sampling.week_window(week)
        return cls(
            week=week,
            start=start,
            end=end,
            seed=seed,
            caps=caps,
            quotas={case: sampling.holdout_quota(cap, rate) for case, cap in caps.items()},
            sample_prefix=sampling.sample_prefix(seed),
            holdout_prefix=sampling.holdout_prefix(key),
            threshold=sampling.holdout_threshold(rate),
        )


@dataclass
class Tally:
    """What the engine saw: the manifest's statistics before sampling."""

    events: int = 0
    by_signal: Counter[str] = field(default_factory=Counter)
    negative: Counter[str] = field(default_factory=Counter)
    low_intent: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)
    eligible: Counter[str] = field(default_factory=Counter)

    def low_intent_stats(self) -> dict[str, Any]:
        return {
            signal: {
                "count": self.low_intent[signal],
                "negative": self.negative[signal],
                "share_negative": round(self.negative[signal] / self.low_intent[signal], 4)
                if self.low_intent[signal]
                else None,
            }
            for signal in LOW_INTENT_SIGNALS
        }


@dataclass(frozen=True)
class Sample:
    """An engine's answer: the tally, and per case type its picked events (checked, in
    canonical form as ``events.check_event`` returns them) in sample order."""

    tally: Tally
    picks: dict[str, list[dict[str, Any]]]


@dataclass(frozen=True)
class Source:
    """Events of one file type: the files (for Python) and what DuckDB or Spark reads."""

    kind: str  # jsonl, csv or parquet
    files: tuple[Path, ...]
    patterns: tuple[str, ...]
    hive: bool = False


class Engine(Protocol):
    def __call__(
        self,
        sources: Sequence[Source],
        plan: Plan,
        settings: EngineSettings,
        progress: ProgressCallback,
        should_cancel: CancelCheck,
    ) -> Sample: ...


def engine(name: str) -> Engine:
    """The engine called ``name``; its module (and library) is imported only now."""
    modules = {"python": "reference", "duckdb": "duck", "spark": "spark"}
    if name not in modules:
        raise ValidationError(f"--engine must be one of {', '.join(ENGINES)}, not {name!r}.")
    module = importlib.import_module(f"labeler.triage.engines.{modules[name]}")
    run: Engine = module.sample_events
    return run


def resolve_sources(paths: Sequence[str | os.PathLike[str]]) -> list[Source]:
    """Files, globs and folders (hive-partitioned or not), grouped by file type."""
    by_kind: dict[str, list[tuple[list[Path], str, bool]]] = {}
    for raw in paths:
        text = os.fspath(raw)
        path = Path(text)
        if "://" in text:  # s3a://, hdfs://, gs://: read as given (by DuckDB or Spark)
            kind = SUFFIXES.get(Path(text.rstrip("/")).suffix.lower())
            if kind is None:
                raise ValidationError(
                    f"{text}: name the files' type in the address, e.g. .../*.parquet."
                )
            by_kind.setdefault(kind, []).append(([], text, "=" in text))
        elif glob.has_magic(text):
            files = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
            kind = _kind_of(text, files)
            by_kind.setdefault(kind, []).append((files, text, "=" in text))
        elif path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and _is_data(p))
            kind = _kind_of(text, files)
            suffix = next(s for s, k in SUFFIXES.items() if k == kind and files[0].suffix == s)
            hive = any("=" in part for f in files for part in f.relative_to(path).parts[:-1])
            by_kind.setdefault(kind, []).append((files, f"{path}/**/*{suffix}", hive))
        elif path.is_file():
            by_kind.setdefault(_kind_of(text, [path]), []).append(([path], text, False))
        else:
            raise ValidationError(f"{text}: no such file or folder.")
    return [
        Source(
            kind,
            tuple(f for files, _, _ in groups for f in files),
            tuple(pattern for _, pattern, _ in groups),
            any(hive for _, _, hive in groups),
        )
        for kind, groups in sorted(by_kind.items())
    ]


def _is_data(path: Path) -> bool:
    return path.suffix.lower() in SUFFIXES and not path.name.startswith((".", "_"))


def _kind_of(text: str, files: list[Path]) -> str:
    kinds = {SUFFIXES.get(f.suffix.lower()) for f in files}
    if not files:
        raise ValidationError(f"{text}: no event files (.jsonl, .csv or .parquet) found.")
    if None in kinds:
        raise ValidationError(f"{text}: unknown event file type (use .jsonl, .csv or .parquet).")
    if len(kinds) > 1:
        raise ValidationError(f"{text}: mixes file types; give each type's files separately.")
    return str(kinds.pop())


def fold(tally: Tally, fate: str, signal: str, case: str | None, negative: bool, n: int) -> None:
    """Add ``n`` events of one (fate, signal, case) group to the tally (SQL engines' rows)."""
    tally.events += n
    tally.by_signal[signal] += n
    if fate == "low_intent":
        tally.low_intent[signal] += n
        tally.negative[signal] += n if negative else 0
    elif fate == "eligible":
        tally.eligible[str(case)] += n
    else:
        tally.dropped[fate] += n


def partition_days(plan: Plan) -> tuple[str, str]:
    """The first and last hive partition day (yyyy-mm-dd) read for the week: a day either
    side, for events filed under a local date."""
    return sampling.day_text(plan.start - sampling.DAY_SECONDS), sampling.day_text(plan.end)


def week_partitions(
    sources: Sequence[Source], settings: EngineSettings, plan: Plan
) -> list[Source]:
    """The sources with only the files of the week's hive partitions (``column=yyyy-mm-dd``
    in their path, a day either side for local dates), as DuckDB's filter on the partition
    column reads them; a file outside every ``column=`` folder is kept. The Python and Spark
    engines read these files, so every engine reads the same events."""
    column = settings.partition_column
    if not column:
        return list(sources)
    first, last = partition_days(plan)
    prefix = f"{column}="

    def wanted(path: Path) -> bool:
        values = [part[len(prefix) :] for part in path.parts[:-1] if part.startswith(prefix)]
        return not values or first <= values[-1] <= last

    kept = []
    for source in sources:
        if not source.hive or not source.files:
            kept.append(source)
            continue
        files = tuple(path for path in source.files if wanted(path))
        if files:
            kept.append(Source(source.kind, files, source.patterns, source.hive))
    return kept
