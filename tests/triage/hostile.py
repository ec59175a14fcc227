"""Hostile-ish capture events for the engine tests, and writers for every file layout.

Days with far more and far fewer events than the cap, missing reason codes, personal data,
unicode ids, offsets that move an event across the week's edge, events of other weeks,
unchanged edits, side-by-sides without a pick, low-intent signals and every drop cause.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
import zipfile
from pathlib import Path
from typing import Any

REASONS = ["wrong", "unsafe", "missing_info", "formatting", "sensitive_data", None]
WEEK = "2026-W48"
MONDAY = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
PII = ["", "", " for ana@example.org", "", " and call +1 415-555-0132", ""]
MODEL = {"name": "m", "version": "2026.11.2", "settings": {"temperature": 0.2}}


def _stamp(moment: dt.datetime, style: int) -> str:
    """RFC 3339 in the spellings products write: Z, an offset, a fraction, a space."""
    if style == 0:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style == 1:
        return moment.astimezone(dt.timezone(dt.timedelta(hours=5, minutes=30))).isoformat()
    if style == 2:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}123Z"
    return moment.astimezone(dt.timezone(dt.timedelta(hours=-7))).isoformat(sep=" ")


def event(number: int, signal: str, reason: str | None, moment: dt.datetime) -> dict[str, Any]:
    body = f"Output {number}: the quarterly report shows revenue up {number % 9}%."
    item: dict[str, Any] = {
        "event_id": f"ev-{number:05d}",
        "captured_at": _stamp(moment, number % 4),
        "signal": signal,
        "reason_code": reason,
        "input": f"Summarise ticket {number}" + PII[number % len(PII)],
        "intent": "Summarise a ticket",
        "model": MODEL,
        "output": body,
        "subject": f"acct-{number % 17}",
    }
    if signal == "edit":
        item["edited_output"] = body.replace("up", "down")
    elif signal == "retry":
        item["retries"] = [{"change": "shorter", "output": body[:20]}]
    elif signal == "side_by_side":
        item["candidates"] = [
            {"model_version": "a", "output": body},
            {"model_version": "b", "output": body[:30]},
        ]
        item["picked"] = number % 2
        item["output"] = None
    elif signal == "rating":
        item["rating"] = 1 + number % 5
    elif signal == "reaction":
        item["reaction"] = "down" if number % 3 else "up"
    elif signal == "ticket":
        item["ticket_text"] = "It broke"
    return item


def hostile_events(count: int = 900, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    events = []
    # Monday is crowded, Thursday has one event per case at most, Sunday none of some cases.
    day_weights = [40, 6, 4, 1, 6, 5, 2]
    signals = ["edit", "retry", "side_by_side", "sample", "rating", "reaction", "ticket"]
    for number in range(count):
        day = rng.choices(range(7), weights=day_weights)[0]
        moment = MONDAY + dt.timedelta(days=day, seconds=rng.randrange(86400), microseconds=number)
        signal = rng.choice(signals)
        reason = None if signal == "sample" else rng.choice(REASONS)
        events.append(event(number, signal, reason, moment))
    specials = [
        # Offsets across the week's edges: 23:30Z on Sunday 29th is in; the 23rd's is not.
        {"captured_at": "2026-11-30T00:30:00+01:00"},
        {"captured_at": "2026-11-23T00:30:00+01:00"},
        {"captured_at": "2026-11-22T23:59:59.999999999Z"},
        {"captured_at": "2019-03-01T10:00:00Z"},
        {"captured_at": "2026-12-01T10:00:00Z"},
        {"edited_output": None},  # an edit without its after text
        {"input": ""},
        {"intent": None},
        {"model": {"name": "m", "version": None, "settings": {}}},
        {"model": None},
        {"input": "Call me on +44 20 7946 0958 or mail ana@example.org"},
        {"input": "IBAN DE89 3704 0044 0532 0130 00, card 4111 1111 1111 1111"},
        {"event_id": "ünï-çødé-é"},
        {"event_id": "😀-emoji"},
        {"event_id": "z" * 200},
        {"reason_code": "sensitive_data"},
        {"unknown_field": "dropped by every engine"},
        {"output": "same text", "edited_output": "same text"},  # unchanged: not a signal
    ]
    for index, change in enumerate(specials):
        base = event(count + index, "edit", REASONS[index % 5], MONDAY + dt.timedelta(days=3))
        base.update(change)
        events.append(base)
    no_pick = event(count + 99, "side_by_side", "wrong", MONDAY + dt.timedelta(days=2))
    no_pick["picked"] = None
    events.append(no_pick)
    return events


def write_jsonl(path: Path, events: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events))
    return path


def flat(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Nested fields as JSON strings, as CSV carries them."""
    return [
        {k: (json.dumps(v) if isinstance(v, (dict, list)) else v) for k, v in e.items()}
        for e in events
    ]


def write_csv(path: Path, events: list[dict[str, Any]]) -> Path:
    rows = flat(events)
    names = sorted({k for row in rows for k in row})
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=names)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_parquet(path: Path, events: list[dict[str, Any]], native: bool = False) -> Path:
    """Parquet with nested fields as JSON strings, or (``native``) as structs and lists."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = sorted({k for e in events for k in e})
    source = events if native else flat(events)
    table = pa.Table.from_pylist([{name: e.get(name) for name in names} for e in source])
    pq.write_table(table, path)
    return path


def write_hive(folder: Path, events: list[dict[str, Any]]) -> Path:
    """events/day=yyyy-mm-dd/part-0.parquet by each event's local date."""
    by_day: dict[str, list[dict[str, Any]]] = {}
    for e in events:
        by_day.setdefault(str(e["captured_at"])[:10], []).append(e)
    for day, chunk in by_day.items():
        part = folder / f"day={day}"
        part.mkdir(parents=True)
        write_parquet(part / "part-0.parquet", chunk)
    return folder


def bundle_parts(path: Path) -> tuple[dict[str, Any], bytes]:
    """A bundle's manifest without created_at, and its items.jsonl bytes."""
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        items = archive.read("items.jsonl")
    manifest.pop("created_at")
    return manifest, items
