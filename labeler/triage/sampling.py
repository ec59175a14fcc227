"""The sampling definition (v2): ranks, holdout membership, caps, round-robin, quota, overlap.

Every choice is a sha256 of a fixed prefix and the event id, compared as lowercase hex text,
so a SQL engine computes exactly what this module does (DuckDB ``sha256(p || id)``, Spark
``sha2(concat(p, id), 256)``): the Python reference engine, DuckDB and Spark pick the same
items (docs/triage.md states the definition; tests hold the engines to it). Thresholds and
quotas are computed here once, in exact arithmetic, and handed to the engines as constants.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import heapq
import hmac
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

DEFAULT_HOLDOUT_KEY = "labeler-holdout-v1"
SAMPLING_VERSION = "v2"  # recorded in the manifest's options; v1 used HMAC and arrival order
HOLDOUT_ALL = "g"  # sorts after every hex digest: the threshold of a holdout rate of 1
DAY_SECONDS = 86_400

# RFC 3339 date-time as every engine parses it: seconds required, up to 9 fraction digits, Z
# or +hh:mm. [0-9], not \d: Python's \d also matches other scripts' digits.
RFC3339 = (
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[T ]([01][0-9]|2[0-3]):[0-5][0-9]"
    r":[0-5][0-9](\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)
_RFC3339 = re.compile(RFC3339)


def sample_prefix(seed: int) -> str:
    return f"labeler-sample-v2:{seed}:"


def holdout_prefix(holdout_key: str) -> str:
    return f"labeler-holdout-v2:{holdout_key}:"


def overlap_prefix(seed: int) -> str:
    return f"labeler-overlap-v2:{seed}:"


def digest(prefix: str, event_id: str) -> str:
    """Lowercase hex sha256 of the UTF-8 bytes of ``prefix + event_id``."""
    return hashlib.sha256((prefix + event_id).encode("utf-8")).hexdigest()


RANK_HEX = 16  # the rank is the digest's first 64 bits; shorter keys compare faster in SQL


def sort_key(prefix: str, event_id: str) -> str:
    """The sample order of an event: its rank (16 hex digits of the digest under the seed's
    prefix), ties broken by the id itself, so the order is total in every engine."""
    return digest(prefix, event_id)[:RANK_HEX] + event_id


def holdout_threshold(rate: float) -> str:
    """16 hex digits of floor(rate x 2^64): a digest below it is a holdout member."""
    if rate >= 1:
        return HOLDOUT_ALL
    return format(int(Fraction(max(rate, 0.0)) * 2**64), "016x")


def is_holdout(holdout_key: str, event_id: str, rate: float) -> bool:
    """Holdout forever or never: the keyed digest falls under the rate's threshold.

    Raising the rate only adds members; no item ever leaves the holdout.
    """
    return digest(holdout_prefix(holdout_key), event_id) < holdout_threshold(rate)


def holdout_quota(cap: int, rate: float) -> int:
    """Places each case keeps for holdout members first: max(1, round half up(cap x rate))."""
    if rate <= 0 or cap <= 0:
        return 0
    return min(cap, max(1, int(Fraction(rate) * cap + Fraction(1, 2))))


def week_window(week: str) -> tuple[int, int]:
    """[start, end) of an ISO week ('2026-W48') in Unix seconds, Monday 00:00 UTC."""
    year, number = int(week[:4]), int(week[6:])
    monday = dt.datetime.combine(dt.date.fromisocalendar(year, number, 1), dt.time(), dt.UTC)
    start = int(monday.timestamp())
    return start, start + 7 * DAY_SECONDS


def unix_seconds(captured_at: str) -> int | None:
    """Whole Unix seconds of an RFC 3339 timestamp (fraction dropped), None if not RFC 3339.

    Engines compute it the same way: the date's day number x 86400 + the clock's seconds,
    minus the offset; so the day and the week of an event never depend on a float.
    """
    if not _RFC3339.match(captured_at):
        return None
    try:
        date = dt.date.fromisoformat(captured_at[:10])
    except ValueError:
        return None  # 2026-02-30: the shape is right, the day does not exist
    clock = int(captured_at[11:13]) * 3600 + int(captured_at[14:16]) * 60 + int(captured_at[17:19])
    offset = 0
    if not captured_at.endswith("Z"):
        sign = -1 if captured_at[-6] == "-" else 1
        offset = sign * (int(captured_at[-5:-3]) * 3600 + int(captured_at[-2:]) * 60)
    return (date - dt.date(1970, 1, 1)).days * DAY_SECONDS + clock - offset


def keyed_rank(key: bytes, event_id: str) -> int:
    """A 64-bit HMAC rank of the event under ``key`` (the eval build's order; not portable)."""
    mac = hmac.new(key, event_id.encode("utf-8"), hashlib.sha256).digest()
    return int.from_bytes(mac[:8], "big")


@dataclass
class CappedSampler:
    """Keeps, per stratum and day, the ``cap`` lowest sort keys while streaming.

    Memory stays bounded by strata x days x cap whatever the number of events.
    """

    caps: dict[str, int]
    _heaps: dict[tuple[str, int], list[tuple[Any, ...]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    eligible: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def offer(self, stratum: str, day: int, key: str, payload: Any) -> None:
        cap = self.caps.get(stratum, 0)
        self.eligible[stratum] += 1
        if cap <= 0:
            return
        # heapq is a min-heap: keep (negated key) so the worst kept candidate is on top.
        # Keys are unique (they end with the event id), so payloads are never compared.
        heap = self._heaps[(stratum, day)]
        entry = (_Reverse(key), payload)
        if len(heap) < cap:
            heapq.heappush(heap, entry)
        elif key < heap[0][0].key:
            heapq.heapreplace(heap, entry)

    def picks(self) -> dict[str, list[Any]]:
        """Per stratum, up to ``cap`` payloads taken round-robin across days, best first."""
        by_stratum: dict[str, dict[int, list[Any]]] = defaultdict(dict)
        for (stratum, day), heap in self._heaps.items():
            ordered = sorted(heap, key=lambda entry: entry[0].key)
            by_stratum[stratum][day] = [entry[1] for entry in ordered]
        return {
            stratum: round_robin([days[d] for d in sorted(days)], self.caps[stratum])
            for stratum, days in sorted(by_stratum.items())
        }


@dataclass(frozen=True, order=False)
class _Reverse:
    """Orders by ``key`` descending, so heapq's min-heap keeps the largest on top."""

    key: str

    def __lt__(self, other: _Reverse) -> bool:
        return self.key > other.key


def round_robin(queues: Sequence[Sequence[Any]], limit: int) -> list[Any]:
    """Take one from each queue in turn until ``limit`` or all are empty."""
    taken: list[Any] = []
    depth = 0
    while len(taken) < limit:
        layer = [queue[depth] for queue in queues if depth < len(queue)]
        if not layer:
            break
        taken.extend(layer[: limit - len(taken)])
        depth += 1
    return taken


def merge_quota(members: list[Any], others: list[Any], cap: int, quota: int) -> list[Any]:
    """A case's sample: ``quota`` holdout members first, then the rest, then more members."""
    chosen = members[:quota]
    chosen += others[: cap - len(chosen)]
    chosen += members[quota : quota + cap - len(chosen)]
    return chosen


def spread(
    candidates: Iterable[tuple[str, str]], count: int, order: Callable[[str], Any]
) -> set[str]:
    """``count`` ids spread round-robin across strata, each stratum in ``order`` of its ids."""
    by_stratum: dict[str, list[str]] = defaultdict(list)
    for stratum, item_id in candidates:
        by_stratum[stratum].append(item_id)
    queues = [sorted(ids, key=order) for _, ids in sorted(by_stratum.items())]
    return set(round_robin(queues, count))


def choose_overlap(candidates: Iterable[tuple[str, str]], count: int, key: bytes) -> set[str]:
    """The eval build's overlap: ``count`` ids across strata, by HMAC rank under ``key``."""
    return spread(candidates, count, lambda item_id: keyed_rank(key + b"/overlap", item_id))


def week_overlap(candidates: Iterable[tuple[str, str]], count: int, seed: int) -> set[str]:
    """A week bundle's overlap items: across case types, each by its overlap digest."""
    prefix = overlap_prefix(seed)
    return spread(candidates, count, lambda item_id: sort_key(prefix, item_id))


def day_text(seconds: int) -> str:
    """The UTC date of Unix ``seconds`` as yyyy-mm-dd (hive partition values)."""
    return dt.datetime.fromtimestamp(seconds, dt.UTC).date().isoformat()
