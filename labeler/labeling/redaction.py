"""Redaction of restricted items: replace PII spans with typed placeholders, per field.

Pure functions over an ``Item``; the store writes the result and destroys the original.
"""

from __future__ import annotations

import re
from typing import Any

from labeler.domain import Item, PiiSpan
from labeler.triage.pii import PLACEHOLDERS

_INDEXED = re.compile(r"^(retries|candidates)\[(\d+)\]\.(change|output)$")


def field_text(item: Item, field: str) -> str | None:
    """The text a span's ``field`` names, e.g. ``input`` or ``retries[1].output``."""
    match = _INDEXED.match(field)
    if match:
        entries = item.retries if match.group(1) == "retries" else item.candidates
        index = int(match.group(2))
        if entries is None or index >= len(entries):
            return None
        value = entries[index].get(match.group(3))
        return value if isinstance(value, str) else None
    value = (
        getattr(item, field, None)
        if field in ("input", "intent", "output", "edited_output")
        else None
    )
    return value if isinstance(value, str) else None


# Kinds a person marks (labeling/pii_marks.py) -> the placeholder that replaces them.
MANUAL_KINDS = {
    "name": "[NAME]",
    "address": "[ADDRESS]",
    "date_of_birth": "[DATE OF BIRTH]",
    "passport_number": "[PASSPORT NUMBER]",
    "account_number": "[ACCOUNT NUMBER]",
    "other": "[PERSONAL DATA]",
}


def _placeholder(kind: str) -> str:
    return PLACEHOLDERS.get(kind) or MANUAL_KINDS.get(kind) or "[REDACTED]"


def redact(text: str, spans: list[PiiSpan]) -> str:
    """Replace each span with its typed placeholder, e.g. ``[EMAIL]`` or ``[NAME]``."""
    pieces: list[str] = []
    cursor = 0
    for span in sorted(spans, key=lambda s: s.start):
        if span.start < cursor:
            continue  # overlapping spans: the first one already covers it
        pieces.append(text[cursor : span.start])
        pieces.append(_placeholder(span.kind))
        cursor = span.end
    pieces.append(text[cursor:])
    return "".join(pieces)


def redacted_fields(item: Item, spans: list[PiiSpan]) -> dict[str, Any]:
    """New values of the item's text columns with ``spans`` replaced by placeholders."""
    by_field: dict[str, list[PiiSpan]] = {}
    for span in spans:
        by_field.setdefault(span.field, []).append(span)
    values: dict[str, Any] = {
        "input": item.input,
        "intent": item.intent,
        "output": item.output,
        "edited_output": item.edited_output,
        "retries": [dict(step) for step in item.retries] if item.retries else item.retries,
        "candidates": [dict(c) for c in item.candidates] if item.candidates else item.candidates,
    }
    for field, field_spans in by_field.items():
        text = field_text(item, field)
        if text is None:
            continue
        new = redact(text, field_spans)
        match = _INDEXED.match(field)
        if match:
            values[match.group(1)][int(match.group(2))][match.group(3)] = new
        else:
            values[field] = new
    return values
