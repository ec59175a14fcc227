"""A JSON line that names a key twice in the event, its ``model``, or an entry of its
``retries`` or ``candidates``: which of the two values is the event's? The Python decoder
keeps the last and DuckDB refuses the line, so every engine refuses it, with this sentence.

Keys in ``model.settings`` may repeat (every engine keeps the last). The check parses the
line once more with the standard library, its objects kept as lists of pairs (all in C):
~3.7 us a 1.5 KB line here, five times msgspec's decode, and only the reference engine and
the rollout check read events in Python.
"""

from __future__ import annotations

import json
from typing import Any

_PAIRS = json.JSONDecoder(object_pairs_hook=list)


def _repeated(pairs: Any) -> str | None:
    if not isinstance(pairs, list) or not all(isinstance(p, tuple) for p in pairs):
        return None  # not an object (an array, or a value)
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            return str(key)
        seen.add(key)
    return None


def repeated_key(raw: bytes) -> str | None:
    """What the sentence says after the line's place, or None: the key named twice."""
    try:
        top = _PAIRS.decode(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        return None  # msgspec decoded it: a difference of parsers is not this check's
    twice = _repeated(top)
    if twice:
        return f"field {twice!r} is given twice"
    fields = dict(top)  # msgspec decoded the line as an event: an object, its keys distinct
    twice = _repeated(fields.get("model"))
    if twice:
        return f"field 'model' names {twice!r} twice"
    for field in ("retries", "candidates"):
        entries = fields.get(field)
        for index, entry in enumerate(entries if isinstance(entries, list) else ()):
            twice = _repeated(entry)
            if twice:
                return f"entry {index} of '{field}' names {twice!r} twice"
    return None
