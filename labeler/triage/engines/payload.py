"""Picked events back from a SQL engine, and the sentence for a malformed one.

A SQL engine hands back each picked event as JSON (the dict a reader yields); it goes
through ``events.check_event``, as every event does in the reference engine. When a SQL
engine finds a malformed event, the reference reader re-reads that one file to give the
very sentence (file, line, field) the reference engine gives.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from labeler.errors import ValidationError
from labeler.jsonio import convert
from labeler.triage.engines.reference import strict_seconds
from labeler.triage.events import check_event, check_picked_texts, read_events, shown_path
from labeler.triage.formats import CaptureEvent


def checked_event(raw: dict[str, Any]) -> dict[str, Any]:
    """An event (as a reader yields it) in canonical form, checked as the reference engine
    checks every event (the text rule is the picked events', ``check_picked_texts``)."""
    where = f"event {raw.get('event_id')!r}"
    event = convert(raw, CaptureEvent, where)  # what read_events decodes each line into
    checked = check_event(where, event)
    strict_seconds(where, event)
    return checked


def checked_picks(
    chosen: dict[str, list[str]], payloads: dict[str, dict[str, Any]], files: list[Path]
) -> dict[str, list[dict[str, Any]]]:
    """The picked events, checked; a malformed one is named as the reference engine names it
    (file and line), by re-reading the files that hold it."""
    try:
        picks = {
            case: [checked_event(payloads[key]) for key in keys] for case, keys in chosen.items()
        }
    except ValidationError as err:
        for path in files:
            problem = reference_problem(path)
            if problem is not None:
                raise problem from None
        raise err from None
    check_picked_texts(files, (event for events in picks.values() for event in events))
    return picks


def check_suspects(events: Iterable[tuple[Path | None, dict[str, Any]]]) -> None:
    """Events a SQL engine flagged (``sql`` module: ``suspect``), each with its file (None
    if not local) and its fields as a reader yields them: each is checked as the reference
    checks every event, and the first that fails stops the build with the reference
    engine's sentence (its file and line), or with the check's own."""
    for path, raw in events:
        try:
            checked_event(raw)
        except ValidationError as err:
            raise (reference_problem(path) if path else None) or err from None


def first_problem(path: Path, event_id: str | None, field: str | None) -> ValidationError:
    """The reference engine's sentence for the first malformed event in ``path``; if it
    finds none (the file changed, or an engine disagrees), a sentence naming the field."""
    problem = reference_problem(path)
    if problem is not None:
        return problem
    return ValidationError(
        f"{shown_path(path)}: event {event_id!r}: field '{field}' is malformed "
        "(see docs/formats/capture-events.md)."
    )


def reference_problem(path: Path) -> ValidationError | None:
    try:
        for where, raw in read_events(path, texts=False):
            check_event(where, raw)
            strict_seconds(where, raw)
    except ValidationError as err:
        return err
    return None


def duplicate_problem(files: list[Path], event_id: str) -> ValidationError:
    """The sentence for an id seen twice, naming the line of its second occurrence."""
    seen = 0
    for path in files:
        for where, raw in read_events(path, texts=False):
            found = raw.get("event_id") if isinstance(raw, dict) else getattr(raw, "event_id", None)
            if found == event_id:
                seen += 1
                if seen == 2:
                    return ValidationError(f"{where}: duplicate event_id {event_id!r}.")
    return ValidationError(f"{shown_path(files[-1])}: duplicate event_id {event_id!r}.")
