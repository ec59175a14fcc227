"""Rubrics: load and validate a YAML rubric with its markdown guidance; check answers.

A rubric is ``id``, ``version``, ``title``, ``guidance`` (a markdown file beside it) and
``questions``. Each question has an ``id``, a ``prompt``, a ``kind`` (single_choice, ordinal,
yes_no, free_text), ``choices`` (id, label, one-key ``key``, ``definition``), optional
``examples``, and rules: ``required``, ``required_when: {question: [choice ids]}`` and
``only_for: [signals]``. The content hash covers the YAML and the guidance, so a changed
definition of "good" shows in every label made under it.

A question may declare the ``role`` it plays for evals and reconciliation, so they look it up
by role and never by id: ``preference`` (the A/B/tie question: its choices include ``A`` and
``B``, naming the sides), and ``side_safety`` / ``side_formatting`` (a pass/fail pair asked of
each side: two questions ``<stem>_a`` and ``<stem>_b``, each naming its ``pass_choice``). A
rubric text without any role (workspaces store theirs, and older ones predate roles) gets the
shipped default rubric's roles inferred when its id is ``default`` and its questions have the
default ids; any other rubric has the roles it declares, and nothing more.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labeler import yamlio
from labeler.domain import LABELED_SIGNALS
from labeler.errors import ValidationError

KINDS = ("single_choice", "ordinal", "yes_no", "free_text")
_QUESTION_KEYS = {
    "id", "prompt", "kind", "choices", "examples", "required", "required_when", "only_for",
    "role", "pass_choice",
}  # fmt: skip
ROLE_PREFERENCE = "preference"
ROLE_SIDE_SAFETY = "side_safety"
ROLE_SIDE_FORMATTING = "side_formatting"
SIDE_ROLES = (ROLE_SIDE_SAFETY, ROLE_SIDE_FORMATTING)
ROLES = (ROLE_PREFERENCE, *SIDE_ROLES)
SIDE_CHOICES = ("A", "B")  # the preference choices that name a side (see labeler/sides.py)
# Roles of the shipped default rubric's question ids, for stored rubric texts without roles.
_DEFAULT_RUBRIC_ID = "default"
_DEFAULT_ROLES = {
    "preference": (ROLE_PREFERENCE, None),
    "safety_a": (ROLE_SIDE_SAFETY, "pass"),
    "safety_b": (ROLE_SIDE_SAFETY, "pass"),
    "formatting_a": (ROLE_SIDE_FORMATTING, "pass"),
    "formatting_b": (ROLE_SIDE_FORMATTING, "pass"),
}
_CHOICE_KEYS = {"id", "label", "key", "definition"}
_RUBRIC_KEYS = {"id", "version", "title", "guidance", "questions"}
MAX_NOTE_CHARS = 10_000


@dataclass(frozen=True)
class Choice:
    id: str
    label: str
    key: str
    definition: str = ""


@dataclass(frozen=True)
class Question:
    id: str
    prompt: str
    kind: str
    choices: tuple[Choice, ...] = ()
    examples: tuple[str, ...] = ()
    required: bool = False
    required_when: dict[str, tuple[str, ...]] = field(default_factory=dict)
    only_for: tuple[str, ...] = ()
    role: str | None = None
    pass_choice: str | None = None  # side roles: the choice id that means "pass"

    def applies_to(self, signal: str) -> bool:
        return not self.only_for or signal in self.only_for

    def choice(self, choice_id: str) -> Choice | None:
        return next((c for c in self.choices if c.id == choice_id), None)

    def is_required(self, answers: dict[str, Any]) -> bool:
        if self.required:
            return True
        return any(answers.get(other) in values for other, values in self.required_when.items())


@dataclass(frozen=True)
class SidePair:
    """A pass/fail question asked of each side: ``a`` of side A, ``b`` of side B."""

    role: str
    a: str
    b: str
    pass_choice: str


@dataclass(frozen=True)
class Rubric:
    id: str
    version: str
    title: str
    questions: tuple[Question, ...]
    guidance: str
    content_hash: str

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def with_role(self, role: str) -> Question | None:
        """The question playing ``role`` (for a side role: its side-A question)."""
        return next((q for q in self.questions if q.role == role), None)

    def side_pair(self, role: str) -> SidePair | None:
        """The two questions playing the side role ``role``, or None."""
        pair = [q for q in self.questions if q.role == role]
        if len(pair) != 2 or pair[0].pass_choice is None:
            return None
        a, b = sorted(pair, key=lambda q: q.id)  # "<stem>_a" before "<stem>_b"
        return SidePair(role, a.id, b.id, pair[0].pass_choice)

    def questions_for(self, signal: str) -> list[Question]:
        return [q for q in self.questions if q.applies_to(signal)]

    def problems(self, answers: dict[str, Any], signal: str) -> list[str]:
        """What stops these answers from being saved for an item of ``signal``."""
        found = []
        for name in answers:
            if self.question(name) is None:
                found.append(f"'{name}' is not a question of rubric {self.id}")
        for question in self.questions:
            value = answers.get(question.id)
            if not question.applies_to(signal):
                if value not in (None, ""):
                    found.append(f"{question.prompt} does not apply to {signal} items")
                continue
            if value in (None, ""):
                if question.is_required(answers):
                    found.append(f"{question.prompt} is required")
                continue
            if question.kind == "free_text":
                if not isinstance(value, str) or len(value) > MAX_NOTE_CHARS:
                    found.append(f"{question.prompt} must be text of at most {MAX_NOTE_CHARS}")
            elif question.choice(value) is None:
                found.append(f"{value!r} is not an answer to {question.prompt}")
        return found


def _fail(source: str, where: str, problem: str) -> ValidationError:
    return ValidationError(f"{source}: {where} {problem}.")


def _choices(source: str, where: str, raw: Any, kind: str) -> tuple[Choice, ...]:
    if kind == "yes_no" and raw is None:
        raw = [{"id": "yes", "label": "Yes", "key": "1"}, {"id": "no", "label": "No", "key": "2"}]
    if kind == "free_text":
        if raw:
            raise _fail(source, where, "is free text and takes no choices")
        return ()
    if not isinstance(raw, list) or len(raw) < 2:
        raise _fail(source, where, "needs a list of at least two choices")
    choices = []
    for index, entry in enumerate(raw):
        at = f"{where} choice {index + 1}"
        if not isinstance(entry, dict) or set(entry) - _CHOICE_KEYS:
            raise _fail(source, at, f"must be a mapping of {sorted(_CHOICE_KEYS)}")
        for name in ("id", "label", "key"):
            if not isinstance(entry.get(name), str) or not entry[name]:
                raise _fail(source, at, f"needs a text '{name}'")
        if len(entry["key"]) != 1:
            raise _fail(source, at, "needs a one-character 'key'")
        choices.append(
            Choice(entry["id"], entry["label"], entry["key"], entry.get("definition") or "")
        )
    for attribute in ("id", "key"):
        values = [getattr(c, attribute) for c in choices]
        if len(values) != len(set(values)):
            raise _fail(source, where, f"has two choices with the same {attribute}")
    return tuple(choices)


def _question(source: str, index: int, raw: Any) -> Question:
    where = f"question {index + 1}"
    if not isinstance(raw, dict):
        raise _fail(source, where, "must be a mapping")
    unknown = set(raw) - _QUESTION_KEYS
    if unknown:
        raise _fail(source, where, f"has an unknown key '{sorted(unknown)[0]}'")
    for name in ("id", "prompt"):
        if not isinstance(raw.get(name), str) or not raw[name]:
            raise _fail(source, where, f"needs a text '{name}'")
    where = f"question '{raw['id']}'"
    kind = raw.get("kind")
    if kind not in KINDS:
        if kind is None:
            raise _fail(source, where, f"needs a 'kind', one of {', '.join(KINDS)}")
        raise _fail(source, where, f"has kind {kind!r}; use one of {', '.join(KINDS)}")
    only_for = raw.get("only_for") or []
    if not isinstance(only_for, list) or any(s not in LABELED_SIGNALS for s in only_for):
        signals = ", ".join(LABELED_SIGNALS)
        raise _fail(source, where, f"'only_for' must list signals from {signals}")
    when = raw.get("required_when") or {}
    if not isinstance(when, dict) or not all(isinstance(v, list) for v in when.values()):
        raise _fail(source, where, "'required_when' must map a question id to a list of choices")
    examples = raw.get("examples") or []
    if not isinstance(examples, list) or not all(isinstance(e, str) for e in examples):
        raise _fail(source, where, "'examples' must be a list of texts")
    role, pass_choice = raw.get("role"), raw.get("pass_choice")
    if role is not None and role not in ROLES:
        raise _fail(source, where, f"has role {role!r}; use one of {', '.join(ROLES)}")
    if pass_choice is not None and not isinstance(pass_choice, str):
        raise _fail(source, where, "'pass_choice' must be a choice id")
    return Question(
        id=raw["id"],
        prompt=raw["prompt"],
        kind=kind,
        choices=_choices(source, where, raw.get("choices"), kind),
        examples=tuple(examples),
        required=bool(raw.get("required", False)),
        required_when={k: tuple(v) for k, v in when.items()},
        only_for=tuple(only_for),
        role=role,
        pass_choice=pass_choice,
    )


def _check_role(source: str, question: Question) -> None:
    where = f"question '{question.id}'"
    if question.role in SIDE_ROLES:
        if question.pass_choice is None or question.choice(question.pass_choice) is None:
            raise _fail(source, where, f"has role {question.role} and needs a 'pass_choice' "
                        "naming one of its choices")  # fmt: skip
    elif question.pass_choice is not None:
        raise _fail(source, where, "has a 'pass_choice' but no side role")
    if question.role == ROLE_PREFERENCE and any(question.choice(c) is None for c in SIDE_CHOICES):
        raise _fail(source, where, "has role preference and needs the choices A and B")


def _check_roles(source: str, questions: tuple[Question, ...]) -> None:
    """One question per role; a side role is one pair ``<stem>_a``, ``<stem>_b``."""
    for question in questions:
        _check_role(source, question)
    for role in ROLES:
        holders = sorted(q.id for q in questions if q.role == role)
        if role == ROLE_PREFERENCE and len(holders) > 1:
            raise ValidationError(f"{source}: two questions have the role {role}.")
        if role in SIDE_ROLES and holders:
            stems = {h[:-2] for h in holders}
            if len(holders) != 2 or len(stems) != 1 or [h[-2:] for h in holders] != ["_a", "_b"]:
                raise ValidationError(
                    f"{source}: the role {role} needs exactly two questions, <stem>_a and "
                    f"<stem>_b (found {', '.join(holders)})."
                )
            a, b = (q for q in questions if q.id in holders)
            if a.pass_choice != b.pass_choice:
                raise ValidationError(f"{source}: the two {role} questions differ in pass_choice.")


def _inferred_roles(rubric_id: str, questions: tuple[Question, ...]) -> tuple[Question, ...]:
    """The shipped default rubric's roles, for a stored default rubric text from before roles.

    Only for id ``default`` with none declared: guessing roles for another team's rubric from
    question ids could judge an eval on the wrong question, so those must declare them.
    """
    if rubric_id != _DEFAULT_RUBRIC_ID or any(q.role for q in questions):
        return questions
    fitting = {}
    for question in questions:
        role, pass_choice = _DEFAULT_ROLES.get(question.id, (None, None))
        wanted = SIDE_CHOICES if role == ROLE_PREFERENCE else (pass_choice,)
        if role is not None and all(question.choice(str(c)) for c in wanted):
            fitting[question.id] = (role, pass_choice)
    for role in SIDE_ROLES:  # a side role only with both of its sides
        if sum(r == role for r, _ in fitting.values()) != 2:
            fitting = {k: v for k, v in fitting.items() if v[0] != role}
    inferred = []
    for question in questions:
        role, pass_choice = fitting.get(question.id, (None, None))
        inferred.append(dataclasses.replace(question, role=role, pass_choice=pass_choice))
    return tuple(inferred)


def parse_rubric(text: str, guidance: str, source: str) -> Rubric:
    """Validate a rubric's YAML text; ``source`` names it in errors."""
    try:
        raw = yamlio.safe_load(text)
    except yamlio.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark else ""
        raise ValidationError(f"{source}: not valid YAML{line}.") from None
    if not isinstance(raw, dict):
        raise ValidationError(f"{source}: a rubric must be a YAML mapping.")
    unknown = set(raw) - _RUBRIC_KEYS
    if unknown:
        raise ValidationError(f"{source}: unknown key '{sorted(unknown)[0]}'.")
    for name in ("id", "version", "title"):
        if not isinstance(raw.get(name), (str, int, float)) or raw.get(name) in ("", None):
            raise ValidationError(f"{source}: needs '{name}'.")
    if not isinstance(raw.get("questions"), list) or not raw["questions"]:
        raise ValidationError(f"{source}: needs a list of questions.")
    questions = tuple(_question(source, i, q) for i, q in enumerate(raw["questions"]))
    ids = [q.id for q in questions]
    if len(ids) != len(set(ids)):
        raise ValidationError(f"{source}: two questions have the same id.")
    for question in questions:
        for other, values in question.required_when.items():
            target = next((q for q in questions if q.id == other), None)
            if target is None or any(target.choice(v) is None for v in values):
                raise ValidationError(
                    f"{source}: question '{question.id}' 'required_when' names an unknown "
                    f"question or choice ({other})."
                )
    questions = _inferred_roles(str(raw["id"]), questions)
    _check_roles(source, questions)
    digest = hashlib.sha256(text.encode("utf-8") + b"\0" + guidance.encode("utf-8")).hexdigest()
    return Rubric(
        str(raw["id"]), str(raw["version"]), str(raw["title"]), questions, guidance, digest
    )


def load_rubric(path: Path) -> Rubric:
    """Load ``path`` and the guidance file it names (beside it)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ValidationError(f"{path.name}: cannot be read ({err}).") from None
    try:
        raw = yamlio.safe_load(text)
    except yamlio.YAMLError:
        raw = None  # parse_rubric reports it with its line
    guidance = ""
    name = raw.get("guidance") if isinstance(raw, dict) else None
    if name:
        guide = path.parent / str(name)
        if guide.parent != path.parent or not guide.is_file():
            raise ValidationError(f"{path.name}: guidance file {name!r} is missing.")
        guidance = guide.read_text(encoding="utf-8")
    return parse_rubric(text, guidance, path.name)
