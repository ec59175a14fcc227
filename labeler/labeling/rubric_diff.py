"""What changed between two rubric versions, clause by clause, and which changes send a gold
label back for re-check.

A clause is a question (``verdict``) or one of its choices (``verdict/acceptable``): the
names a guideline-gap resolution cites. The re-check rules, in one place (docs/rubrics.md
says the same):

- an answer is chosen against its alternatives, so a gold label that answered a question is
  re-checked when that question's prompt or kind changed, a choice was added to it, or the
  label or definition of any of its choices changed (for an ordinal scale, also its order);
- a gold label whose answer was a removed choice, or that answered a removed question, is
  re-checked;
- a gold label the new version would not accept (a question newly required for its signal,
  or one that no longer applies to it) is re-checked;
- a resolution that cited a clause which changed in meaning is re-checked, whatever it
  answered: the gap it found is what the new version is meant to close;
- examples, keys, the order of nominal choices, roles, the title and the guidance text are
  shown in the diff but send nothing back: they do not change what an answer means (a lead
  who means to change a definition changes the definition).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from labeler.labeling.rubric import Question, Rubric

ADDED, REMOVED, CHANGED = "added", "removed", "changed"
# What a change sends back: every gold label answering its question, only those whose answer
# was its choice, or nothing.
ANSWERED, CHOSEN, NOTHING = "answered", "chosen", "nothing"
_QUESTION_FIELDS = ("prompt", "kind", "required", "required_when", "only_for", "role",
                    "pass_choice", "examples")  # fmt: skip
_MEANING_FIELDS = {"prompt", "kind", "label", "definition", "choices", "order"}


def version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """Order of versions: part by part, numbers as numbers (2026.11.10 after 2026.11.9), a
    version after its own prefix (2026.11.1 after 2026.11), numbers before words."""
    parts = re.findall(r"\d+|[^\W\d_]+", version)
    return tuple((0, int(p)) if p.isdigit() else (1, p.lower()) for p in parts)


@dataclass(frozen=True)
class ClauseChange:
    """One change to one clause; ``field`` names what changed when ``change`` is 'changed'."""

    clause: str
    change: str
    field: str = ""
    before: str = ""
    after: str = ""
    sends_back: str = NOTHING

    @property
    def question(self) -> str:
        return self.clause.split("/", 1)[0]

    @property
    def choice(self) -> str | None:
        parts = self.clause.split("/", 1)
        return parts[1] if len(parts) == 2 else None

    def to_json(self) -> dict[str, Any]:
        return {
            "clause": self.clause,
            "change": self.change,
            "field": self.field,
            "before": self.before,
            "after": self.after,
            "sends_back": self.sends_back,
        }


@dataclass(frozen=True)
class RubricDiff:
    old_id: str
    old_version: str
    new_id: str
    new_version: str
    changes: tuple[ClauseChange, ...]
    title_changed: bool
    guidance_changed: bool

    @property
    def meaningful(self) -> tuple[ClauseChange, ...]:
        """The changes that can send a gold label back for re-check."""
        return tuple(c for c in self.changes if c.sends_back != NOTHING)

    def to_json(self) -> dict[str, Any]:
        return {
            "from": {"id": self.old_id, "version": self.old_version},
            "to": {"id": self.new_id, "version": self.new_version},
            "changes": [c.to_json() for c in self.changes],
            "title_changed": self.title_changed,
            "guidance_changed": self.guidance_changed,
        }


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {', '.join(v)}" for k, v in sorted(value.items())) or "—"
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value) or "—"
    return "—" if value in (None, "") else str(value)


def _question_changes(old: Question, new: Question) -> list[ClauseChange]:
    found = []
    for name in _QUESTION_FIELDS:
        before, after = getattr(old, name), getattr(new, name)
        if before != after:
            back = ANSWERED if name in _MEANING_FIELDS else NOTHING
            if name == "examples":  # sentences with commas of their own
                before, after = " | ".join(before) or "—", " | ".join(after) or "—"
            found.append(ClauseChange(new.id, CHANGED, name, _text(before), _text(after), back))
    old_ids, new_ids = [c.id for c in old.choices], [c.id for c in new.choices]
    for choice in old.choices:
        if new.choice(choice.id) is None:
            found.append(
                ClauseChange(f"{old.id}/{choice.id}", REMOVED, "", choice.label, "", CHOSEN)
            )
    for choice in new.choices:
        before_choice = old.choice(choice.id)
        clause = f"{new.id}/{choice.id}"
        if before_choice is None:
            found.append(ClauseChange(clause, ADDED, "", "", choice.label, ANSWERED))
            continue
        for name in ("label", "definition", "key"):
            before, after = getattr(before_choice, name), getattr(choice, name)
            if before != after:
                back = ANSWERED if name in _MEANING_FIELDS else NOTHING
                found.append(ClauseChange(clause, CHANGED, name, before, after, back))
    kept_old = [c for c in old_ids if c in new_ids]
    kept_new = [c for c in new_ids if c in old_ids]
    if kept_old != kept_new:
        back = ANSWERED if new.kind == "ordinal" else NOTHING
        found.append(
            ClauseChange(
                new.id, CHANGED, "order", _text(tuple(kept_old)), _text(tuple(kept_new)), back
            )
        )
    return found


def diff_rubrics(old: Rubric, new: Rubric) -> RubricDiff:
    """Clause-level differences from ``old`` to ``new``, in the new version's question order
    (removed questions last)."""
    changes: list[ClauseChange] = []
    for question in new.questions:
        before = old.question(question.id)
        if before is None:
            changes.append(ClauseChange(question.id, ADDED, "", "", question.prompt, NOTHING))
        else:
            changes.extend(_question_changes(before, question))
    for question in old.questions:
        if new.question(question.id) is None:
            changes.append(ClauseChange(question.id, REMOVED, "", question.prompt, "", ANSWERED))
    return RubricDiff(
        old.id, old.version, new.id, new.version, tuple(changes),
        title_changed=old.title != new.title, guidance_changed=old.guidance != new.guidance,
    )  # fmt: skip


def _cites(cited: str, change: ClauseChange) -> bool:
    """Does a resolution citing ``cited`` (a question or question/choice) hit ``change``?"""
    if change.choice is None:  # a question-level change covers every choice of it
        return cited.split("/", 1)[0] == change.question
    return cited in (change.clause, change.question)


def recheck_reasons(
    diff: RubricDiff,
    new: Rubric,
    answers: dict[str, Any],
    signal: str,
    cited: str | None = None,
) -> list[str]:
    """Why a gold label with ``answers`` (of an item of ``signal``) decided under the diff's
    old version needs a re-check under ``new``; empty when it does not."""
    reasons = []
    for change in diff.meaningful:
        answered = change.question in answers
        hit = (change.sends_back == ANSWERED and answered) or (
            change.sends_back == CHOSEN and answered and answers[change.question] == change.choice
        )
        if hit or (cited and _cites(cited, change)):
            what = change.field or change.change
            reasons.append(f"{change.clause}: {what}" if change.change == CHANGED else
                           f"{change.clause}: {change.change}")  # fmt: skip
    if not reasons:
        reasons.extend(f"version {new.version}: {p}" for p in new.problems(answers, signal))
    return list(dict.fromkeys(reasons))


_LONG_FIELDS = {"prompt", "definition", "label", "examples"}
_SIGNS = {ADDED: "+", REMOVED: "-", CHANGED: "~"}


def _change_lines(change: ClauseChange) -> list[str]:
    mark = "  [re-check]" if change.sends_back != NOTHING else ""
    sign = _SIGNS[change.change]
    if change.change == ADDED:
        return [f"{sign} {change.clause}  added: {change.after}{mark}"]
    if change.change == REMOVED:
        return [f"{sign} {change.clause}  removed (was: {change.before}){mark}"]
    if change.field in _LONG_FIELDS:
        return [f"{sign} {change.clause}  {change.field}{mark}", f"    was: {change.before}",
                f"    now: {change.after}"]  # fmt: skip
    return [f"{sign} {change.clause}  {change.field}: {change.before} → {change.after}{mark}"]


def describe(diff: RubricDiff) -> list[str]:
    """The diff as lines a person reads (the CLI prints them, the app shows them)."""
    back = len(diff.meaningful)
    lines = [
        f"Rubric {diff.old_id} {diff.old_version} → {diff.new_id} {diff.new_version}: "
        f"{len(diff.changes)} clause change(s), {back} that send items back for re-check"
    ]
    for change in diff.changes:
        lines.extend("  " + line for line in _change_lines(change))
    if diff.title_changed:
        lines.append("  ~ the title changed")
    if diff.guidance_changed:
        lines.append("  ~ the guidance text changed (sends nothing back: it names no clause)")
    if not diff.changes and not diff.title_changed and not diff.guidance_changed:
        lines.append("  no clause changed")
    return lines
