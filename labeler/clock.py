"""The one UTC timestamp format: ISO 8601 with milliseconds and a ``Z``.

Every time Labeler writes (labels, resolutions, manifests, audit entries) uses it, so
timestamps sort as text and compare across laptops.
"""

from __future__ import annotations

import datetime as dt


def utc_iso(moment: dt.datetime) -> str:
    """``moment`` (aware) as ``2026-12-01T09:30:00.000Z``."""
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def utc_now() -> str:
    return utc_iso(dt.datetime.now(dt.UTC))
