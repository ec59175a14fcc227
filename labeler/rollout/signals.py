"""The rollout's signals counted per model version and day, from capture events (each carries
``model.version``) and the exposures file (requests per version and day: the denominator).

What counts (docs/formats/rollout.md):
- ``edit_rate``: ``edit`` events / requests;
- ``retry_rate``: ``retry`` events (a retry after a failed answer) / requests;
- ``side_by_side_loss_rate``: ``side_by_side`` picks whose served version (``model.version``,
  found among the two candidates) lost / such picks — its own denominator, no exposures;
- ``sensitive_data_rate``: events with reason code ``sensitive_data``, or with personal data
  found (labeler/triage/pii.py) in what the model wrote (its output, the retry outputs, its
  side-by-side candidate) / requests. What a user typed is not counted: the model's version
  does not change it, and counting it would only add noise to the difference.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labeler.errors import ValidationError
from labeler.jsonio import convert, read_lines
from labeler.rollout.formats import ExposureLine
from labeler.rollout.plan import PER_REQUEST
from labeler.triage import pii
from labeler.triage.events import check_event, read_events

Key = tuple[str, dt.date]  # (model version, day)


@dataclass
class Tally:
    """Events per signal, side-by-side picks, and requests, each per (version, day)."""

    events: dict[str, Counter[Key]] = field(default_factory=dict)
    picks: Counter[Key] = field(default_factory=Counter)
    requests: Counter[Key] = field(default_factory=Counter)
    stages: dict[Key, str] = field(default_factory=dict)
    inputs: list[tuple[str, str]] = field(default_factory=list)  # (file name, sha256)
    without_version: int = 0
    unattributed_picks: int = 0
    has_exposures: bool = False

    def count(self, signal: str, key: Key) -> None:
        self.events.setdefault(signal, Counter())[key] += 1

    def versions(self) -> list[str]:
        keys: set[Key] = set(self.requests) | set(self.picks)
        for counter in self.events.values():
            keys |= set(counter)
        return sorted({version for version, _ in keys})

    def days(self, versions: Iterable[str]) -> list[dt.date]:
        wanted = set(versions)
        keys: set[Key] = set(self.requests) | set(self.picks)
        for counter in self.events.values():
            keys |= set(counter)
        return sorted({day for version, day in keys if version in wanted})

    def trials(self, signal: str, key: Key) -> int:
        return self.picks[key] if signal == "side_by_side_loss_rate" else self.requests[key]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _model_wrote_pii(event: dict[str, Any], served: str) -> bool:
    texts = [event["output"]]
    texts += [step["output"] for step in event["retries"] or ()]
    texts += [c["output"] for c in event["candidates"] or () if c["model_version"] == served]
    return any(text and pii.detect(text) for text in texts)


def _count_event(tally: Tally, event: dict[str, Any]) -> None:
    model = event["model"] or {}
    served = model.get("version")
    if not served:
        tally.without_version += 1
        return
    key = (served, dt.date.fromisoformat(event["captured_at"][:10]))
    signal = event["signal"]
    if signal == "edit":
        tally.count("edit_rate", key)
    elif signal == "retry":
        tally.count("retry_rate", key)
    elif signal == "side_by_side" and event["picked"] is not None and event["candidates"]:
        shown = [c["model_version"] for c in event["candidates"]]
        if served in shown and shown[0] != shown[1]:
            tally.picks[key] += 1
            if event["picked"] != shown.index(served):
                tally.count("side_by_side_loss_rate", key)
        else:
            tally.unattributed_picks += 1
    if event["reason_code"] == "sensitive_data" or _model_wrote_pii(event, served):
        tally.count("sensitive_data_rate", key)


def read_tally(events: list[Path], exposures: Path | None) -> Tally:
    """Count every events file (JSON lines, CSV or Parquet, as ``bundle build`` reads them)
    and the exposures; a malformed event or exposure is a ``ValidationError``."""
    tally = Tally()
    seen: set[str] = set()
    for path in events:
        for where, raw in read_events(path):
            event = check_event(where, raw)
            if event["event_id"] in seen:
                raise ValidationError(f"{where}: event_id {event['event_id']!r} appears twice.")
            seen.add(event["event_id"])
            _count_event(tally, event)
        tally.inputs.append((path.name, file_sha256(path)))
    if exposures is not None:
        for where, line in _exposure_lines(exposures):
            key = (line.model_version, line.date)
            tally.requests[key] += line.requests
            if line.stage is not None and tally.stages.setdefault(key, line.stage) != line.stage:
                raise ValidationError(f"{where}: a second stage for {key[0]} on {key[1]}.")
        tally.inputs.append((exposures.name, file_sha256(exposures)))
        tally.has_exposures = True
        _check_denominators(tally, exposures.name)
    return tally


def _exposure_lines(path: Path) -> Iterable[tuple[str, ExposureLine]]:
    if path.suffix.lower() == ".csv":
        try:
            with path.open(newline="", encoding="utf-8") as handle:
                for number, row in enumerate(csv.DictReader(handle), start=2):
                    where = f"{path.name} line {number}"
                    clean: dict[str, Any] = {k: v for k, v in row.items() if v not in ("", None)}
                    if "requests" in clean:
                        try:
                            clean["requests"] = int(clean["requests"])
                        except ValueError:
                            raise ValidationError(
                                f"{where}: field 'requests' must be a whole number."
                            ) from None
                    yield where, convert(clean, ExposureLine, where, "the row")
        except OSError as err:
            raise ValidationError(f"{path}: cannot be read ({err.strerror}).") from None
        except UnicodeDecodeError:
            raise ValidationError(f"{path.name}: not valid UTF-8.") from None
        return
    yield from read_lines(path, ExposureLine)


def _check_denominators(tally: Tally, name: str) -> None:
    """Every per-request event has its day's requests, and never more events than them."""
    for signal in PER_REQUEST:
        for key, count in sorted(tally.events.get(signal, Counter()).items()):
            if count > tally.requests.get(key, 0):
                version, day = key
                raise ValidationError(
                    f"{name}: version {version} has {count} {signal.removesuffix('_rate')} "
                    f"events on {day} but {tally.requests.get(key, 0)} requests; the exposures "
                    "must count every request of every version and day that has events."
                )
