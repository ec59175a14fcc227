"""Reading JSON-lines files that come from other machines: one object a line, errors that
name the file and line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from labeler.errors import ValidationError


def read_objects(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, object) for every non-blank line; ``where`` is "name line N" for messages."""
    try:
        lines = path.read_bytes().splitlines()
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
