"""From the SQL engines' per-(case, holdout, day) candidates to each case's picks.

The candidates are each group's lowest sort keys (at most the cap); the rest of the
definition (round-robin over the days, the holdout quota) is ``triage.sampling``'s own code,
so the SQL engines and the reference engine cannot drift apart here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from labeler.triage import sampling
from labeler.triage.engines import Plan


def choose(
    candidates: Iterable[tuple[str, bool, int, list[str]]], plan: Plan
) -> dict[str, list[str]]:
    """Per case type, the picked sort keys in sample order; ``candidates`` are (case,
    holdout, day, lowest keys) rows, several rows of one group allowed."""
    days: dict[tuple[str, bool], dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for case, holdout, day, keys in candidates:  # a group may come in parts (per signal)
        days[(case, holdout)][day].extend(keys)
    picks: dict[str, list[str]] = {}
    for case, cap in plan.caps.items():
        pools = []
        for holdout in (True, False):
            by_day = days.get((case, holdout), {})
            queues = [sorted(by_day[d])[:cap] for d in sorted(by_day)]
            pools.append(sampling.round_robin(queues, cap))
        merged = sampling.merge_quota(pools[0], pools[1], cap, plan.quotas[case])
        if merged:
            picks[case] = merged
    return picks
