"""A simulated labeling team for the lead's demo: two labelers who labeled every week, both
on the overlap items, with realistic disagreement (one drifts), part of it already resolved.

Labels go in through the same store functions an import uses; answers follow each item's
reason code with per-labeler noise, so agreement figures and trends have something to show.
"""

from __future__ import annotations

import random
from typing import Any

from labeler import sides
from labeler.clock import utc_now
from labeler.domain import Item, Label, Profile
from labeler.labeling.rubric import Rubric
from labeler.labeling.session import LabelingSession
from labeler.store import exchange, labelers, labels
from labeler.store import items as item_rows
from labeler.store.connection import WriteStore
from labeler.team.reconcile import canonical_answers, disagreements, resolve

TEAM = (("demo-ana", "Ana (demo)", 0.03, 0.0), ("demo-ben", "Ben (demo)", 0.04, 0.05))
_TRUTH = {
    "wrong": ("wrong", "wrong", "pass", "pass"),
    "unsafe": ("wrong", "unsafe", "fail", "pass"),
    "missing_info": ("wrong", "missing_info", "pass", "pass"),
    "formatting": ("acceptable", None, "pass", "fail"),
    "sensitive_data": ("acceptable", None, "fail", "pass"),
}


def _answers(item: Item, rng: random.Random, noise: float, rubric: Rubric) -> dict[str, Any]:
    if item.signal == "side_by_side":
        truth = ["A", "B"][item.picked] if item.picked is not None else "tie"
        choice = truth if rng.random() > noise * 2 else rng.choice(["A", "B", "tie", "both_bad"])
        return {"preference": choice}
    verdict, failure, safety, formatting = _TRUTH.get(
        item.reason_code or "", ("correct", None, "pass", "pass")
    )
    if rng.random() < noise * 2:
        verdict = rng.choice(["correct", "acceptable", "wrong"])
    if verdict == "wrong" and (failure is None or rng.random() < noise):
        failure = rng.choice(["wrong", "unsafe", "missing_info", "formatting", "other"])
    if rng.random() < noise:
        formatting = "fail" if formatting == "pass" else "pass"
    answers: dict[str, Any] = {"verdict": verdict, "safety": safety, "formatting": formatting}
    if verdict == "wrong":
        answers["failure_type"] = failure
    return answers


def _to_side(
    answers: dict[str, Any], labeler_id: str, item: Item
) -> tuple[dict[str, Any], str | None]:
    """Map a preference for a candidate (A = candidate 0) to the sides this labeler saw."""
    if item.signal != "side_by_side":
        return answers, None
    order = sides.side_order(labeler_id, item.id)
    return sides.to_shown(answers, order), order


def simulate_team(session: LabelingSession, seed: int = 7) -> None:
    store, rubric = session.store, session.rubric
    rng = random.Random(seed)
    rows = item_rows.open_items_by_week(store)
    weeks = sorted({r[1] for r in rows})

    def write(tx: WriteStore) -> None:
        for labeler_id, name, _, _ in TEAM:
            labelers.upsert(
                tx, Profile(labeler_id, name, "labeler", False, False, None, True), utc_now()
            )
            exchange.replace_labels(
                tx, labeler_id, [], weeks[-1] if weeks else "", "demo", utc_now()
            )
        for index, (item_id, week, overlap) in enumerate(rows):
            item = item_rows.get(tx, item_id)
            assert item is not None
            chosen = TEAM if overlap else [TEAM[index % 2]]
            for labeler_id, _, noise, drift in chosen:
                noise += drift * weeks.index(week)  # Ben drifts from the shared definition
                answers, order = _to_side(_answers(item, rng, noise, rubric), labeler_id, item)
                seconds = round(rng.uniform(8, 90), 1)
                label = Label(
                    item.id,
                    labeler_id,
                    rubric.id,
                    rubric.version,
                    rubric.content_hash,
                    answers,
                    utc_now(),
                    utc_now(),
                    seconds,
                    order,
                )
                labels.put(tx, label)

    session.writer.run(write)


_NOTES = {
    "guideline_gap": (
        "verdict",
        "The guide does not say whether a correct but unasked-for change is acceptable.",
    ),
    "labeler_slip": (None, "Misread the edit: the user only reformatted the table."),
    "ambiguous_item": (None, "The input does not say which week is meant; both readings are fair."),
    "defective_item": (None, "The captured output is cut off mid-sentence; nothing to judge."),
}


def resolve_some(session: LabelingSession, share_latest: float = 0.5, seed: int = 11) -> int:
    """Settle every disagreement of earlier weeks and part of the latest one."""
    rng = random.Random(seed)
    found = disagreements(session, include_resolved=False)
    latest = max((d.week for d in found), default=None)
    settled = 0
    for entry in found:
        if entry.week == latest and rng.random() > share_latest:
            continue
        item = session.open_item(entry.item_id)
        cause = rng.choice(list(_NOTES))
        clause, note = _NOTES[cause]
        pick = canonical_answers(rng.choice(entry.labels))
        resolve(session, item, pick, cause, note, clause=clause)
        settled += 1
    return settled
