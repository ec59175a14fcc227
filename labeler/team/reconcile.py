"""Gold labels and the lead's reconciliation of disagreements.

Gold label of an item: the lead's latest resolution; else, if one labeler labeled it, that
label; else, if every labeler gave the same answers, those. A disagreement left unresolved
has no gold label and is never exported. Free-text questions (the note) never count as a
disagreement and are not part of a gold label.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from labeler import sides
from labeler.changes import Changes
from labeler.clock import utc_now
from labeler.domain import Item, Label
from labeler.errors import LabelerError, ValidationError
from labeler.labeling.rubric import Rubric
from labeler.labeling.session import LabelingSession
from labeler.store import items as item_rows
from labeler.store import resolutions
from labeler.store.resolutions import Resolution

CAUSES = {
    "guideline_gap": "Guideline gap (the rubric was unclear)",
    "labeler_slip": "Labeler slip",
    "ambiguous_item": "Ambiguous item",
    "defective_item": "Defective item (excluded from training)",
}
DECIDED_AGREED, DECIDED_SINGLE, DECIDED_RESOLVED = "agreed", "single", "resolved"


def canonical_answers(label: Label) -> dict[str, Any]:
    """A label's answers with sides named as the lead sees them (A = the first candidate).

    In a blind side-by-side each labeler saw the candidates in their own shuffled order
    (``side_order``); choices named "A" and "B" name sides, so "BA" labels are flipped.
    """
    return sides.to_canonical(label.answers, label.side_order)


_CHOICE_QUESTIONS: dict[str, frozenset[str]] = {}  # by rubric content hash


def _choice_questions(rubric: Rubric) -> frozenset[str]:
    found = _CHOICE_QUESTIONS.get(rubric.content_hash)
    if found is None:
        found = frozenset(q.id for q in rubric.questions if q.kind != "free_text")
        _CHOICE_QUESTIONS[rubric.content_hash] = found
    return found


def choice_answers(answers: dict[str, Any], rubric: Rubric) -> dict[str, Any]:
    """The answers that can disagree: every question but free text."""
    wanted = _choice_questions(rubric)
    return {k: v for k, v in answers.items() if k in wanted}


def differing_questions(labels: list[Label], rubric: Rubric) -> list[str]:
    """Questions on which the labelers' answers are not all the same."""
    answer_sets = [choice_answers(canonical_answers(label), rubric) for label in labels]
    names = sorted({name for answers in answer_sets for name in answers})
    return [n for n in names if len({repr(a.get(n)) for a in answer_sets}) > 1]


@dataclass(frozen=True)
class Gold:
    item_id: str
    answers: dict[str, Any]
    decided: str  # agreed | single | resolved
    resolution_id: int | None = None
    excluded: bool = False  # a defective item: never trained on


def gold_label(labels: list[Label], resolution: Resolution | None, rubric: Rubric) -> Gold | None:
    if not labels and resolution is None:
        return None
    item_id = resolution.item_id if resolution else labels[0].item_id
    if resolution is not None:
        return Gold(
            item_id,
            choice_answers(resolution.answers, rubric),
            DECIDED_RESOLVED,
            resolution.id,
            excluded=resolution.cause == "defective_item",
        )
    if len(labels) == 1:
        return Gold(item_id, choice_answers(canonical_answers(labels[0]), rubric), DECIDED_SINGLE)
    if differing_questions(labels, rubric):
        return None
    return Gold(item_id, choice_answers(canonical_answers(labels[0]), rubric), DECIDED_AGREED)


def gold_labels(session: LabelingSession) -> dict[str, Gold]:
    """The gold label of every item that has one (same rules as ``gold_label``).

    Items with one label — most of them — take a fast path on raw rows: building a Label for
    each of 100,000 rows cost more than the rest of a pack export's selection.
    """
    rubric = session.rubric
    decided = resolutions.latest(session.store)
    single, several = resolutions.answers_by_item(session.store)
    result = {}
    for item_id, (answers, side_order) in single.items():
        if item_id not in decided:
            flipped = sides.to_canonical(answers, side_order)
            result[item_id] = Gold(item_id, choice_answers(flipped, rubric), DECIDED_SINGLE)
    grouped = (
        resolutions.labels_by_item(session.store, list(several), which="gold") if several else {}
    )
    for item_id in set(grouped) | set(decided):
        gold = gold_label(grouped.get(item_id, []), decided.get(item_id), rubric)
        if gold is not None:
            result[item_id] = gold
    return result


@dataclass(frozen=True)
class Disagreement:
    item_id: str
    week: str
    reason_code: str | None
    signal: str
    kind: str  # the item's kind: a week's item, or an eval pair (its gold is its judgment)
    labels: list[Label]
    questions: list[str]  # the questions that differ
    agreement: float  # share of the item's compared questions that agree
    resolution: Resolution | None


def disagreements(
    session: LabelingSession,
    *,
    question: str | None = None,
    reason_code: str | None = None,
    include_resolved: bool = True,
) -> list[Disagreement]:
    """Items labeled by two or more people whose answers differ: lowest agreement first.

    Eval pairs are among them: an eval judges a pair by its gold label, so the lead settles
    its raters' disagreement here as for a week's item."""
    rubric = session.rubric
    decided = resolutions.latest(session.store)
    found = []
    # A label outside its item's assignment is kept but is no pair: it never disagrees.
    for item_id, labels in resolutions.labels_by_item(session.store, which="pairs").items():
        if len(labels) < 2:
            continue
        differing = differing_questions(labels, rubric)
        if not differing or (question and question not in differing):
            continue
        row = item_rows.get(session.store, item_id)
        if row is None or (reason_code and (row.reason_code or "none") != reason_code):
            continue
        if item_id in decided and not include_resolved:
            continue
        compared = {n for label in labels for n in choice_answers(canonical_answers(label), rubric)}
        score = 1 - len(differing) / max(len(compared), 1)
        found.append(
            Disagreement(
                item_id,
                row.week,
                row.reason_code,
                row.signal,
                row.kind,
                labels,
                differing,
                score,
                decided.get(item_id),
            )
        )
    found.sort(key=lambda d: (d.resolution is not None, d.agreement, d.week, d.item_id))
    return found


def disagreement_counts(session: LabelingSession, kind: str) -> tuple[int, int]:
    """(open, resolved) of the items of ``kind`` that ``disagreements`` lists, reading no
    item row (the agreement report never reads an item's texts)."""
    decided = resolutions.latest(session.store)
    only = item_rows.ids_of_kind(session.store, kind)
    open_ = resolved = 0
    for item_id, labels in resolutions.labels_by_item(session.store, only, which="pairs").items():
        if len(labels) < 2 or not differing_questions(labels, session.rubric):
            continue
        if item_id in decided:
            resolved += 1
        else:
            open_ += 1
    return open_, resolved


def resolve(
    session: LabelingSession,
    item: Item,
    answers: dict[str, Any],
    cause: str,
    note: str,
    clause: str | None = None,
) -> Changes:
    """Record the lead's decision. A note is required; a guideline gap cites its clause."""
    me = session.profile
    if me is None or me.role != "lead":
        raise LabelerError("Only a lead can resolve disagreements.")
    if not note.strip():
        raise ValidationError("Write a resolution note: why this is the answer.")
    if cause not in CAUSES:
        raise ValidationError(f"Pick a cause: {', '.join(CAUSES)}.")
    if cause == "guideline_gap" and not clause:
        raise ValidationError("A guideline gap must cite the rubric clause (question or option).")
    clean = choice_answers(
        {k: v for k, v in answers.items() if v not in (None, "")}, session.rubric
    )
    problems = session.rubric.problems(clean, item.signal)
    if problems:
        raise ValidationError("; ".join(problems) + ".")
    text = note.strip()
    under = session.rubric.content_hash  # the version it is decided under (re-check queue)
    session.writer.run(
        lambda tx: resolutions.add(tx, item.id, clean, cause, clause, text, me.id, utc_now(), under)
    )
    return Changes(labels=frozenset({item.id}))
