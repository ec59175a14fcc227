"""Synthetic inputs for the benchmarks, made here, at any scale."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

from labeler.triage.bundle_file import content_hash

REASONS = ["wrong", "unsafe", "missing_info", "formatting", "sensitive_data", None]
SIGNALS = ["edit", "retry", "side_by_side", "sample", "rating", "reaction", "ticket"]


def write_events(path: Path, count: int, seed: int = 1) -> Path:
    """``count`` capture events of ~1 KB each, a week's worth."""
    rng = random.Random(seed)
    start = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
    body = "The quarterly report shows revenue up 4% with churn flat. " * 8
    with path.open("w", encoding="utf-8") as handle:
        for number in range(count):
            signal = SIGNALS[number % len(SIGNALS)]
            event: dict[str, Any] = {
                "event_id": f"ev-{number:08d}",
                "captured_at": (start + dt.timedelta(seconds=number % 604800)).isoformat(),
                "signal": signal,
                "reason_code": None if signal == "sample" else rng.choice(REASONS),
                "input": f"Summarise ticket {number}: " + body[: 200 + number % 200],
                "intent": "Summarise a ticket",
                "model": {"name": "m", "version": "2026.11.2", "settings": {"temperature": 0.2}},
                "output": body,
                "subject": f"acct-{number % 5000}",
            }
            if signal == "edit":
                event["edited_output"] = body.replace("flat", "down 1%")
            elif signal == "retry":
                event["retries"] = [{"change": "shorter", "output": body[:200]}]
            elif signal == "side_by_side":
                event["candidates"] = [
                    {"model_version": "a", "output": body},
                    {"model_version": "b", "output": body[:300]},
                ]
                event["picked"] = 1
            elif signal == "rating":
                event["rating"] = 1 + number % 5
            elif signal == "reaction":
                event["reaction"] = "down" if number % 3 else "up"
            handle.write(json.dumps(event) + "\n")
    return path


_LETTERS = "etaoinshrdlcumwfgypbvk"
_VOCAB_RNG = random.Random(99)
# A 5,000-word pseudo-vocabulary: requests that differ as real ones do, not one template.
WORDS = [
    "".join(_VOCAB_RNG.choice(_LETTERS) for _ in range(_VOCAB_RNG.randint(3, 9)))
    for _ in range(5000)
]


def _input(rng: random.Random, number: int) -> str:
    """A distinct request of ~200 characters, as real inputs are (not one template)."""
    return f"Request {number}: " + " ".join(rng.choice(WORDS) for _ in range(30))


def _answer(rng: random.Random, number: int, size: int) -> str:
    """A distinct answer of ``size`` characters, in lines, as a model's are."""
    words = " ".join(rng.choice(WORDS) for _ in range(size // 5))
    text = f"Answer {number}: " + words
    return "\n".join(text[i : i + 60] for i in range(0, len(text), 60))[:size]


def bundle_items(
    count: int, week: str = "2026-W48", text_size: int = 600, *, distinct_outputs: bool = False
) -> list[dict[str, Any]]:
    """``count`` valid bundle items (edits with a realistic before/after). By default every
    item has the same answer; ``distinct_outputs`` gives each its own, as the leakage guard
    (which compares answers too) needs: otherwise every item copies every holdout answer."""
    body = ("Line of model output with some words in it.\n" * 40)[:text_size]
    rng = random.Random(count)
    items = []
    for number in range(count):
        if distinct_outputs:
            body = _answer(rng, number, text_size)
        item: dict[str, Any] = {
            "id": f"it-{number:08d}",
            "week": week,
            "signal": "edit",
            "reason_code": REASONS[number % 5],
            "captured_at": "2026-11-24T10:00:00Z",
            "input": _input(rng, number),
            "intent": "Draft a reply",
            "model": {"name": "m", "version": "1", "settings": {"temperature": 0.2}},
            "output": body,
            "edited_output": body.replace("some", "many") + "\nChecked.",
            "retries": None,
            "candidates": None,
            "picked": None,
            "subject_hash": None,
        }
        item["content_hash"] = content_hash(item)
        item.update(restricted=False, pii=[], overlap=number < 15, holdout=number % 10 == 0)
        items.append(item)
    return items
