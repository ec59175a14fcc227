"""Capture events: read ``.jsonl``, ``.csv`` and ``.parquet`` files and check each event.

``read_events`` yields (where, event) pairs; ``check_event`` returns the event in canonical
form, or the cause it cannot be sampled for, or raises ``ValidationError`` naming the file,
line and field of a malformed event. Unknown fields are dropped here: capture only what you
can defend.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from labeler.domain import ALL_SIGNALS, LOW_INTENT_SIGNALS, REASON_CODES
from labeler.errors import ValidationError

TEXT_FIELDS = ("input", "intent", "output", "edited_output", "ticket_text", "subject")
JSON_FIELDS_IN_CSV = ("model", "retries", "candidates")
MAX_EVENT_TEXT = 1_048_576  # characters per text field, as for bundle items

# Causes an otherwise well-formed event is not sampled for, counted in the manifest.
DROP_CAUSES = ("missing_input", "missing_model_version", "missing_intent", "missing_evidence")


def read_events(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        yield from _read_jsonl(path)
    elif suffix == ".csv":
        yield from _read_csv(path)
    elif suffix == ".parquet":
        yield from _read_parquet(path)
    else:
        raise ValidationError(f"{path}: unknown event file type (use .jsonl, .csv or .parquet).")


def _read_jsonl(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            where = f"{path.name} line {number}"
            if not raw.strip():
                continue
            try:
                event = orjson.loads(raw)
            except orjson.JSONDecodeError as err:
                raise ValidationError(f"{where}: not valid JSON or UTF-8 ({err.msg}).") from None
            if not isinstance(event, dict):
                raise ValidationError(f"{where}: each line must be a JSON object.")
            yield where, event


def _read_csv(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            for number, row in enumerate(csv.DictReader(handle), start=2):
                where = f"{path.name} line {number}"
                yield where, _from_flat(where, {k: v for k, v in row.items() if v != ""})
    except UnicodeDecodeError:
        raise ValidationError(f"{path.name}: not valid UTF-8.") from None


def _read_parquet(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    import pyarrow.parquet as pq  # only here: pyarrow is heavy

    try:
        parquet = pq.ParquetFile(path)
    except Exception as err:
        raise ValidationError(f"{path.name}: not a readable Parquet file ({err}).") from None
    number = 0
    for batch in parquet.iter_batches(batch_size=8192):
        for row in batch.to_pylist():
            number += 1
            where = f"{path.name} row {number}"
            yield where, _from_flat(where, {k: v for k, v in row.items() if v is not None})


def _from_flat(where: str, row: dict[str, Any]) -> dict[str, Any]:
    """CSV and Parquet carry nested fields as JSON strings; CSV carries numbers as text."""
    for name in JSON_FIELDS_IN_CSV:
        if isinstance(row.get(name), str):
            try:
                row[name] = json.loads(row[name])
            except json.JSONDecodeError:
                raise ValidationError(f"{where}: field '{name}' is not valid JSON.") from None
    for name in ("picked", "rating"):
        if isinstance(row.get(name), str):
            try:
                row[name] = int(row[name])
            except ValueError:
                raise ValidationError(f"{where}: field '{name}' must be a whole number.") from None
    if isinstance(row.get("redaction_confirmed"), str):
        row["redaction_confirmed"] = row["redaction_confirmed"].strip().lower() in ("true", "1")
    return row


def _fail(where: str, name: str, problem: str) -> ValidationError:
    return ValidationError(f"{where}: field '{name}' {problem}.")


def _text(where: str, event: dict[str, Any], name: str) -> str | None:
    value = event.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _fail(where, name, "must be a string")
    if len(value) > MAX_EVENT_TEXT:
        raise _fail(where, name, f"is longer than {MAX_EVENT_TEXT} characters")
    return value


def parse_timestamp(where: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _fail(where, "captured_at", "must be an RFC 3339 timestamp string")
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise _fail(where, "captured_at", f"is not an RFC 3339 timestamp: {value[:40]!r}") from None
    if moment.tzinfo is None:
        raise _fail(where, "captured_at", "needs a time zone offset (RFC 3339)")
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _model(where: str, value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _fail(where, "model", "must be an object with name, version and settings")
    settings = value.get("settings") or {}
    if not isinstance(settings, dict):
        raise _fail(where, "model.settings", "must be an object")
    for part in ("name", "version"):
        if value.get(part) is not None and not isinstance(value[part], str):
            raise _fail(where, f"model.{part}", "must be a string")
    return {"name": value.get("name"), "version": value.get("version"), "settings": settings}


def _retries(where: str, value: Any) -> list[dict[str, str]] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise _fail(where, "retries", "must be a list of {change, output}")
    path = []
    for index, step in enumerate(value):
        if not isinstance(step, dict):
            raise _fail(where, f"retries[{index}]", "must be an object")
        for part in ("change", "output"):
            if not isinstance(step.get(part), str):
                raise _fail(where, f"retries[{index}].{part}", "must be a string")
        path.append({"change": step["change"], "output": step["output"]})
    return path


def _candidates(where: str, value: Any) -> list[dict[str, str]] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != 2:
        raise _fail(where, "candidates", "must be a list of exactly two {model_version, output}")
    pair = []
    for index, candidate in enumerate(value):
        if not isinstance(candidate, dict):
            raise _fail(where, f"candidates[{index}]", "must be an object")
        for part in ("model_version", "output"):
            if not isinstance(candidate.get(part), str):
                raise _fail(where, f"candidates[{index}].{part}", "must be a string")
        pair.append({"model_version": candidate["model_version"], "output": candidate["output"]})
    return pair


def _choice(where: str, event: dict[str, Any], name: str, allowed: tuple[Any, ...]) -> Any:
    value = event.get(name)
    if value is not None and (value not in allowed or isinstance(value, bool)):
        raise _fail(where, name, f"must be one of {', '.join(map(str, allowed))} or null")
    return value


def check_event(where: str, event: dict[str, Any]) -> dict[str, Any]:
    """The event in canonical form (known fields only); raises on malformed fields."""
    event_id = event.get("event_id")
    if not isinstance(event_id, str) or not event_id.strip() or len(event_id) > 200:
        raise _fail(where, "event_id", "must be a non-empty string of at most 200 characters")
    signal = event.get("signal")
    if signal not in ALL_SIGNALS:
        raise _fail(where, "signal", f"must be one of {', '.join(ALL_SIGNALS)}")
    clean: dict[str, Any] = {
        "event_id": event_id,
        "captured_at": parse_timestamp(where, event.get("captured_at")),
        "signal": signal,
        "reason_code": _choice(where, event, "reason_code", REASON_CODES),
        "model": _model(where, event.get("model")),
        "retries": _retries(where, event.get("retries")),
        "candidates": _candidates(where, event.get("candidates")),
        "picked": _choice(where, event, "picked", (0, 1)),
        "rating": _choice(where, event, "rating", (1, 2, 3, 4, 5)),
        "reaction": _choice(where, event, "reaction", ("up", "down")),
    }
    for name in TEXT_FIELDS:
        clean[name] = _text(where, event, name)
    confirmed = event.get("redaction_confirmed")
    if confirmed is not None and not isinstance(confirmed, bool):
        raise _fail(where, "redaction_confirmed", "must be true, false or absent")
    clean["redaction_confirmed"] = bool(confirmed)
    return clean


def drop_cause(event: dict[str, Any]) -> str | None:
    """Why a checked high-intent or sample event cannot become an item, or None."""
    if event["signal"] in LOW_INTENT_SIGNALS:
        return None
    if not event["input"]:
        return "missing_input"
    if not (event["model"] and event["model"]["version"]):
        return "missing_model_version"
    if not event["intent"]:
        return "missing_intent"
    signal = event["signal"]
    complete = {
        "edit": event["output"] is not None and event["edited_output"] is not None,
        "retry": bool(event["retries"]),
        "side_by_side": event["candidates"] is not None,
        "sample": event["output"] is not None,
    }[signal]
    return None if complete else "missing_evidence"


def is_negative(event: dict[str, Any]) -> bool:
    """A low-intent signal that reads as a complaint: 1-2 stars, thumbs down, any ticket."""
    signal = event["signal"]
    if signal == "rating":
        return event["rating"] is not None and event["rating"] <= 2
    if signal == "reaction":
        return event["reaction"] == "down"
    return signal == "ticket"
