"""Capture events: read ``.jsonl``, ``.csv`` and ``.parquet`` files and check each event.

``read_events`` yields (where, event) pairs decoded into ``formats.CaptureEvent`` (the one
declaration of an event), its texts held to the bundle's text rule unless the caller checks
only the picked events' (``check_picked_texts``); ``check_event`` adds what
a schema cannot say (a timestamp that parses, with an offset; names and model settings a
bundle may hold) and returns the event in canonical form, or raises
``ValidationError`` naming the file, line and field. Unknown fields are dropped here: capture
only what you can defend.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import msgspec

from labeler.domain import LOW_INTENT_SIGNALS
from labeler.errors import ValidationError
from labeler.jsonio import convert, name_problem, problem, text_problem
from labeler.triage.bundle_file import settings_problem
from labeler.triage.duplicate_keys import repeated_key
from labeler.triage.formats import CaptureEvent

JSON_FIELDS_IN_CSV = ("model", "retries", "candidates")
BOM = "\ufeff".encode()
MAX_CSV_CELL = 16 << 20  # as a JSON line (engines.duck.MAX_OBJECT_BYTES)

# Causes an otherwise well-formed event is not sampled for, counted in the manifest.
DROP_CAUSES = ("missing_input", "missing_model_version", "missing_intent", "missing_evidence")


def read_events(path: Path, *, texts: bool = True) -> Iterator[tuple[str, CaptureEvent]]:
    """Every event of the file, decoded and checked against the format; ``texts``: each
    event's texts held to the bundle's text rule too (a build holds only the events it picks
    to that rule: ``check_picked_texts``)."""
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        yield from _read_jsonl(path, texts)
    elif suffix == ".csv":
        yield from _read_csv(path, texts)
    elif suffix == ".parquet":
        yield from _read_parquet(path, texts)
    else:
        raise ValidationError(f"{path}: unknown event file type (use .jsonl, .csv or .parquet).")


def shown_path(path: Path) -> str:
    """A file as messages name it: its name, after its hive partition folders if it has
    any (``day=2026-11-23/part-0.parquet``: every partition may hold a ``part-0``)."""
    partitions = [part for part in path.parts[:-1] if "=" in part]
    return "/".join([*partitions, path.name])


def _read_jsonl(path: Path, texts: bool) -> Iterator[tuple[str, CaptureEvent]]:
    decode = msgspec.json.Decoder(CaptureEvent).decode
    name = shown_path(path)
    # Iterating a binary file splits at b"\n" only, never inside a string holding U+2028.
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            where = f"{name} line {number}"
            if number == 1:
                raw = raw.removeprefix(BOM)  # as DuckDB and Spark read it
            if not raw.strip():
                continue
            try:
                event = decode(raw)
            except msgspec.DecodeError as err:
                found = problem(err, CaptureEvent, raw, "the line")
                raise ValidationError(f"{where}: {found}.") from None
            except RecursionError:
                raise ValidationError(f"{where}: nested too deeply.") from None
            twice = repeated_key(raw)
            if twice:
                raise ValidationError(f"{where}: {twice}.")
            # A control character can only be escaped in JSON: no escape, no scan.
            if texts and (b"\\u00" in raw or b"\\b" in raw):
                check_texts(where, event)
            yield where, event


def _read_csv(path: Path, texts: bool) -> Iterator[tuple[str, CaptureEvent]]:
    name = shown_path(path)
    try:
        # utf-8-sig: a byte-order mark is no part of the first column's name. strict: an
        # unterminated quote is an error, not a cell that runs to the end of the file.
        # A text may be 1 MiB, escaped and quoted: csv's default cap is 128 KiB a cell.
        csv.field_size_limit(max(csv.field_size_limit(), MAX_CSV_CELL))
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle, strict=True)
            header = next(reader, None)
            if header is None:
                return
            _check_header(name, header)
            for number, cells in enumerate(reader, start=2):
                if not cells:
                    continue  # a blank line, as csv.DictReader skips it
                where = f"{name} line {number}"
                if len(cells) != len(header):
                    raise ValidationError(
                        f"{where}: {len(cells)} cells where the header names {len(header)}."
                    )
                row = dict(zip(header, cells, strict=True))
                flat = from_flat(where, {k: v for k, v in row.items() if v != ""})
                event = convert(flat, CaptureEvent, where)
                if texts:
                    check_texts(where, event)
                yield where, event
    except UnicodeDecodeError:
        raise ValidationError(f"{name}: not valid UTF-8.") from None
    except csv.Error as err:
        raise ValidationError(f"{name} line {reader.line_num}: not valid CSV ({err}).") from None


def _check_header(name: str, header: list[str]) -> None:
    """Every column named once: a repeated name would be read as either of its cells."""
    repeated = sorted({column for column in header if header.count(column) > 1})
    if repeated:
        raise ValidationError(f"{name}: column {repeated[0]!r} is named twice in the header.")


def csv_header_problem(path: Path) -> ValidationError | None:
    """The reference reader's sentence for a CSV header that names a column twice (DuckDB
    renames the second one, so its engine asks here first)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle), None)
    except (UnicodeDecodeError, csv.Error):
        return None  # the reader names that problem
    try:
        _check_header(shown_path(path), header or [])
    except ValidationError as err:
        return err
    return None


def _read_parquet(path: Path, texts: bool) -> Iterator[tuple[str, CaptureEvent]]:
    import pyarrow.parquet as pq  # only here: pyarrow is heavy

    try:
        parquet = pq.ParquetFile(path)
    except Exception as err:
        reason = (str(err).splitlines() or [type(err).__name__])[0]
        raise ValidationError(
            f"{shown_path(path)}: not a readable Parquet file ({reason})."
        ) from None
    number = 0
    for batch in parquet.iter_batches(batch_size=8192):
        for row in batch.to_pylist():
            number += 1
            where = f"{shown_path(path)} row {number}"
            flat = from_flat(where, {k: v for k, v in row.items() if v is not None})
            event = convert(flat, CaptureEvent, where)
            if texts:
                check_texts(where, event)
            yield where, event


def from_flat(where: str, row: dict[str, Any]) -> dict[str, Any]:
    """CSV and Parquet carry nested fields as JSON strings; CSV carries numbers as text, and
    a Parquet integer column with gaps comes back as floats."""
    for name in JSON_FIELDS_IN_CSV:
        if isinstance(row.get(name), str):
            try:
                row[name] = json.loads(row[name])
            except json.JSONDecodeError:
                raise ValidationError(f"{where}: field '{name}' is not valid JSON.") from None
    for name in ("picked", "rating"):
        value = row.get(name)
        if isinstance(value, str):
            # ASCII digits with spaces around, as every engine reads them (int() would take
            # '+1', '1_0' and other scripts' digits, which SQL casts do not).
            if not WHOLE_NUMBER_TEXT.fullmatch(value):
                raise ValidationError(f"{where}: field '{name}' must be a whole number.")
            row[name] = int(value)
        elif isinstance(value, float) and value.is_integer():
            row[name] = int(value)
    if isinstance(row.get("redaction_confirmed"), str):
        row["redaction_confirmed"] = row["redaction_confirmed"].strip().lower() in ("true", "1")
    model = row.get("model")
    if isinstance(model, dict) and isinstance(model.get("settings"), dict):
        model["settings"] = _without_decimals(model["settings"])
    return row


def _without_decimals(value: Any) -> Any:
    """A Parquet decimal in the settings (a 0.2 written by SQL is DECIMAL(2,1)) as the
    number JSON holds, as DuckDB turns it: a float. It was refused as "a number
    out of range": canonical JSON has no decimals."""
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dict):
        return {key: _without_decimals(child) for key, child in value.items()}
    if isinstance(value, list):
        return [_without_decimals(child) for child in value]
    return value


WHOLE_NUMBER_TEXT = re.compile(" *[0-9]+ *")


def _fail(where: str, name: str, what: str) -> ValidationError:
    return ValidationError(f"{where}: field '{name}' {what}.")


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


def check_texts(where: str, event: CaptureEvent) -> None:
    """The bundle's text rule at capture (labeler.jsonio.text_problem), so a build never
    writes a bundle the import refuses."""
    texts = {"input": event.input, "intent": event.intent, "output": event.output,
             "edited_output": event.edited_output, "ticket_text": event.ticket_text}  # fmt: skip
    for index, step in enumerate(event.retries or ()):
        texts[f"retries[{index}].change"], texts[f"retries[{index}].output"] = (
            step.change,
            step.output,
        )
    for index, candidate in enumerate(event.candidates or ()):
        texts[f"candidates[{index}].output"] = candidate.output
    for name, text in texts.items():
        found = None if text is None else text_problem(text)
        if found:
            raise _fail(where, name, found)


def check_picked_texts(files: Iterable[Path], picked: Iterable[dict[str, Any]]) -> None:
    """The bundle's text rule on the events a build picked, in every engine: their texts are
    what the bundle carries. The other events' texts never leave their files and are not
    scanned (a control character in one of a billion unsampled events does not stop the
    week's build; scanning every text cost DuckDB most of a Parquet build). The first that
    breaks it is named by its file and line."""
    for event in picked:
        where = f"event {event['event_id']!r}"
        carried = dict(event, ticket_text=None)  # a ticket's text is no part of an item
        try:
            check_texts(where, convert(carried, CaptureEvent, where))
        except ValidationError as err:
            raise _located_text_problem(files, event["event_id"]) or err from None


def _located_text_problem(files: Iterable[Path], event_id: str) -> ValidationError | None:
    for path in files:
        for where, event in read_events(path, texts=False):
            if event.event_id == event_id:
                try:
                    check_texts(where, msgspec.structs.replace(event, ticket_text=None))
                except ValidationError as err:
                    return err
    return None


def _check_names(where: str, event: CaptureEvent) -> None:
    names: dict[str, str | None] = {"event_id": event.event_id}
    if event.model is not None:
        names.update({"model.name": event.model.name, "model.version": event.model.version})
    for index, candidate in enumerate(event.candidates or ()):
        names[f"candidates[{index}].model_version"] = candidate.model_version
    for name, value in names.items():
        found = None if value is None else name_problem(value)
        if found:
            raise _fail(where, name, found)
    if event.model is not None and event.model.settings:
        found = settings_problem(event.model.settings)
        if found:
            raise ValidationError(f"{where}: {found}.")


def check_event(where: str, event: CaptureEvent) -> dict[str, Any]:
    """The event in canonical form (known fields only); raises on what decoding let through."""
    if not event.event_id.strip():
        raise _fail(where, "event_id", "must be a non-empty string of at most 200 characters")
    _check_names(where, event)
    model = event.model
    return {
        "event_id": event.event_id,
        "captured_at": parse_timestamp(where, event.captured_at),
        "signal": event.signal,
        "reason_code": event.reason_code,
        "model": None
        if model is None
        else {"name": model.name, "version": model.version, "settings": model.settings or {}},
        "retries": None
        if event.retries is None
        else [{"change": step.change, "output": step.output} for step in event.retries],
        "candidates": None
        if event.candidates is None
        else [{"model_version": c.model_version, "output": c.output} for c in event.candidates],
        "picked": event.picked,
        "rating": event.rating,
        "reaction": event.reaction,
        "input": event.input,
        "intent": event.intent,
        "output": event.output,
        "edited_output": event.edited_output,
        "ticket_text": event.ticket_text,
        "subject": event.subject,
        "redaction_confirmed": bool(event.redaction_confirmed),
    }


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
