"""JSON in one place: the canonical form that hashes and signatures are computed over, and
the one reader of JSON-lines files that come from other machines.

Canonical JSON is orjson's with sorted keys: no whitespace, UTF-8, shortest round-trip floats.
orjson, not the stdlib: import must parse and hash 100k items in a budget the stdlib's
escaping (7 us per item to re-encode) and parsing (3.5x slower) did not meet.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from labeler.errors import ValidationError

_SORTED = orjson.OPT_SORT_KEYS


def canonical_bytes(value: Any) -> bytes:
    """The canonical encoding of ``value`` (sorted keys, no whitespace, UTF-8)."""
    return orjson.dumps(value, option=_SORTED)


def canonical_json(value: Any) -> str:
    return orjson.dumps(value, option=_SORTED).decode("utf-8")


def pretty_json(value: Any) -> str:
    """Indented, sorted, ending in a newline: for files people read (manifests, --json)."""
    return orjson.dumps(value, option=_SORTED | orjson.OPT_INDENT_2).decode("utf-8") + "\n"


def read_objects(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, object) for every non-blank line; ``where`` is "name line N" for messages.

    Lines end at ``\\n`` (and ``\\r\\n``) only, as the writers end them: splitting on every
    Unicode line break (U+2028, U+0085) would cut a JSON string that holds one.
    """
    try:
        lines = path.read_bytes().split(b"\n")
    except OSError as err:
        raise ValidationError(f"{path}: cannot be read ({err.strerror}).") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path.name} line {number}"
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError:
            raise ValidationError(f"{where}: not valid JSON.") from None
        if not isinstance(value, dict):
            raise ValidationError(f"{where}: each line must be a JSON object.")
        yield where, value
