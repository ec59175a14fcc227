"""Sample-and-cap, holdout membership and overlap choice: pure, deterministic functions.

Every random choice is a keyed hash of the event id, so the same events, key and options give
the same bundle on any machine, and holdout membership never changes once decided.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

DEFAULT_HOLDOUT_KEY = "labeler-holdout-v1"


def keyed_rank(key: bytes, event_id: str) -> int:
    """A 64-bit pseudo-random rank of the event under ``key``."""
    digest = hmac.new(key, event_id.encode("utf-8"), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big")


def is_holdout(holdout_key: bytes, event_id: str, rate: float) -> bool:
    """Holdout forever or never: the event's keyed hash falls under ``rate``.

    Raising the rate only adds members; no item ever leaves the holdout.
    """
    return keyed_rank(holdout_key, event_id) < rate * 2**64


@dataclass
class CappedSampler:
    """Keeps, per stratum and day, the ``cap`` lowest-ranked candidates while streaming.

    Memory stays bounded by strata x days x cap whatever the number of events.
    """

    caps: dict[str, int]
    key: bytes
    _heaps: dict[tuple[str, str], list[tuple[int, int, Any]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    eligible: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    _counter: int = 0

    def offer(self, stratum: str, day: str, event_id: str, payload: Any) -> None:
        cap = self.caps.get(stratum, 0)
        self.eligible[stratum] += 1
        if cap <= 0:
            return
        # heapq is a min-heap: store the negated rank so the worst kept candidate is on top.
        rank = keyed_rank(self.key, event_id)
        heap = self._heaps[(stratum, day)]
        self._counter += 1
        entry = (-rank, self._counter, payload)
        if len(heap) < cap:
            heapq.heappush(heap, entry)
        elif -heap[0][0] > rank:
            heapq.heapreplace(heap, entry)

    def picks(self) -> dict[str, list[Any]]:
        """Per stratum, up to ``cap`` payloads taken round-robin across days, best rank first."""
        by_stratum: dict[str, dict[str, list[Any]]] = defaultdict(dict)
        for (stratum, day), heap in self._heaps.items():
            ordered = sorted(heap, key=lambda entry: (-entry[0], entry[1]))
            by_stratum[stratum][day] = [entry[2] for entry in ordered]
        return {
            stratum: round_robin([days[d] for d in sorted(days)], self.caps[stratum])
            for stratum, days in sorted(by_stratum.items())
        }


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


def choose_overlap(candidates: Iterable[tuple[str, str]], count: int, key: bytes) -> set[str]:
    """``count`` ids spread across strata; ``candidates`` are (stratum, id) pairs."""
    by_stratum: dict[str, list[str]] = defaultdict(list)
    for stratum, item_id in candidates:
        by_stratum[stratum].append(item_id)
    queues = [
        sorted(ids, key=lambda item_id: keyed_rank(key + b"/overlap", item_id))
        for _, ids in sorted(by_stratum.items())
    ]
    return set(round_robin(queues, count))
