"""The re-check queue: which items a new rubric version sends back, and the queue as status
and the app show it.

An item is sent back when its gold label (``reconcile.gold_labels``: resolved, agreed or
single) was decided under a version whose clauses the new one changed in a way that touches
it (the rules: ``labeling/rubric_diff.py``). The version a gold was decided under is its
resolution's, or its labels' (each label says which it was made under); a version this
workspace never had (labels taken with ``--accept-rubric``) is compared as the current one.
An item stays queued until it is decided again under the new version
(``store/rechecks.py``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from labeler.labeling import rubric_versions
from labeler.labeling.rubric import Rubric
from labeler.labeling.rubric_diff import RubricDiff, diff_rubrics, recheck_reasons
from labeler.labeling.session import LabelingSession
from labeler.store import rechecks as recheck_rows
from labeler.store import resolutions
from labeler.store.rechecks import Recheck
from labeler.team.reconcile import gold_labels

Entry = tuple[str, str, list[str]]  # (item id, how its gold was decided, reasons)


def pending(
    session: LabelingSession, new: Rubric, item_ids: Collection[str] | None = None
) -> list[Entry]:
    """The items ``new`` sends back for re-check (among ``item_ids`` when given), with why.
    Gold labels are taken as ``session.rubric`` (the version before ``new``) reads them."""
    store = session.store
    current = session.rubric
    golds = gold_labels(session)
    under_labels = recheck_rows.label_hashes(store)
    decided = resolutions.latest(store)
    signals = recheck_rows.item_signals(store)
    diffs: dict[str, RubricDiff] = {}
    # Gold labels repeat a few answer sets: the reasons are worked out once per distinct
    # (versions, signal, cited clause, answers), then looked up (100,000 golds: a dict hit each).
    known: dict[tuple[object, ...], list[str]] = {}

    def diff_from(content_hash: str) -> RubricDiff:
        if content_hash not in diffs:
            old = rubric_versions.by_hash(store, content_hash)
            diffs[content_hash] = diff_rubrics(old.rubric if old else current, new)
        return diffs[content_hash]

    def reasons_for(under: tuple[str, ...], answers: dict[str, Any], signal: str,
                    cited: str | None) -> list[str]:  # fmt: skip
        reasons: list[str] = []
        for content_hash in sorted(set(under) - {new.content_hash}):
            reasons += recheck_reasons(diff_from(content_hash), new, answers, signal, cited)
        return list(dict.fromkeys(reasons))

    found = []
    for item_id, gold in golds.items():
        if gold.excluded or (item_ids is not None and item_id not in item_ids):
            continue
        resolution = decided.get(item_id)
        if resolution is not None:
            under: tuple[str, ...] = (resolution.rubric_hash or current.content_hash,)
            cited = resolution.clause
        else:
            under, cited = under_labels.get(item_id, ()), None
        signal = signals.get(item_id, "")
        # answers come in one key order (stored with sorted keys): a different order would
        # only miss this cache, never give other reasons
        key = (under, signal, cited, *gold.answers.items())
        why = known.get(key)
        if why is None:
            why = known[key] = reasons_for(under, gold.answers, signal, cited)
        if why:
            found.append((item_id, gold.decided, why))
    return found

    found = []
    for item_id, gold in golds.items():
        if gold.excluded or (item_ids is not None and item_id not in item_ids):
            continue
        resolution = decided.get(item_id)
        if resolution is not None:
            under = {resolution.rubric_hash or current.content_hash}
            cited = resolution.clause
        else:
            under, cited = under_labels.get(item_id, set()), None
        reasons: list[str] = []
        for content_hash in sorted(under - {new.content_hash}):
            reasons += reasons_for(content_hash, gold.answers, signals.get(item_id, ""), cited)
        if reasons:
            found.append((item_id, gold.decided, list(dict.fromkeys(reasons))))
    return found


@dataclass(frozen=True)
class RecheckSummary:
    """The queue at a glance: waiting, done, and the version that queued the latest."""

    open: int
    done: int
    items: tuple[Recheck, ...]


def summary(session: LabelingSession, *, limit: int = 20) -> RecheckSummary:
    waiting, done = recheck_rows.counts(session.store)
    items = tuple(recheck_rows.listing(session.store)[:limit]) if waiting else ()
    return RecheckSummary(waiting, done, items)
