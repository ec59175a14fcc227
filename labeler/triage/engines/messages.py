"""An engine's error in a sentence: the first line of what DuckDB or Spark said, without the
record it may quote (customer text never reaches a message)."""

from __future__ import annotations

MAX_REASON = 300


def safe_reason(err: Exception) -> str:
    """The error's first line, cut where it starts quoting a record ('Object {"input": ...',
    'MALFORMED_RECORD_IN_PARSING: [k2, ...')."""
    line = (str(err).strip().splitlines() or [type(err).__name__])[0]
    cut = min((i for i in (line.find("{"), line.find("[")) if i >= 0), default=len(line))
    reason = line[:cut].rstrip(" :").removesuffix(" Object").rstrip(" :")
    return reason[:MAX_REASON] or type(err).__name__
