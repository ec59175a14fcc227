"""Rubric loading: the default ships valid; broken rubrics are refused with a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from labeler.errors import ValidationError
from labeler.evals.roles import eval_questions
from labeler.labeling.rubric import (
    ROLE_PREFERENCE,
    ROLE_SIDE_FORMATTING,
    ROLE_SIDE_SAFETY,
    SidePair,
    load_rubric,
    parse_rubric,
)
from labeler.resources import default_rubric_path


def test_default_rubric_has_the_promised_questions() -> None:
    rubric = load_rubric(default_rubric_path())
    ids = [q.id for q in rubric.questions]
    assert ids[:5] == ["verdict", "failure_type", "safety", "formatting", "preference"]
    assert ids[-1] == "note"
    eval_ids = [q.id for q in rubric.questions_for("eval")]
    assert eval_ids == [
        "preference",
        "safety_a",
        "safety_b",
        "formatting_a",
        "formatting_b",
        "note",
    ]
    assert [c.id for c in rubric.question("preference").choices] == ["A", "B", "tie", "both_bad"]  # type: ignore[union-attr]
    assert rubric.guidance.startswith("# Labeling guide")
    assert [q.id for q in rubric.questions_for("side_by_side")] == ["preference", "note"]


def test_hash_changes_with_the_guidance(tmp_path: Path) -> None:
    text = default_rubric_path().read_text()
    one = parse_rubric(text, "guide A", "r.yaml")
    two = parse_rubric(text, "guide B", "r.yaml")
    assert one.content_hash != two.content_hash


GOOD = """
id: t
version: 1
title: T
questions:
  - id: q
    prompt: Q?
    kind: single_choice
    choices: [{id: a, label: A, key: "1"}, {id: b, label: B, key: "2"}]
"""


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t + "  - id: q\n    prompt: again\n    kind: free_text\n", "same id"),
        (lambda t: t.replace("single_choice", "slider"), "kind 'slider'"),
        (lambda t: t.replace("    kind: single_choice\n", ""), "needs a 'kind', one of"),
        (lambda t: t.replace('key: "2"', 'key: "1"'), "same key"),
        (lambda t: t.replace('key: "2"', 'key: "22"'), "one-character"),
        (lambda t: t.replace("title: T", "title: T\ncolour: red"), "unknown key 'colour'"),
        (
            lambda t: (
                t + "  - id: r\n    prompt: R\n    kind: free_text\n    required_when: {q: [zz]}\n"
            ),
            "unknown question or choice",
        ),
        (lambda t: t.replace("questions:", "questions: [\n"), "not valid YAML"),
        (lambda t: t.replace("prompt: Q?", "prompt: Q?\n    only_for: [tweet]"), "only_for"),
    ],
)
def test_broken_rubrics_are_refused(change, message: str) -> None:
    parse_rubric(GOOD, "", "t.yaml")
    with pytest.raises(ValidationError, match=message):
        parse_rubric(change(GOOD), "", "t.yaml")


def test_missing_guidance_file(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(GOOD + "guidance: nowhere.md\n")
    with pytest.raises(ValidationError, match="guidance file"):
        load_rubric(path)


DEFAULT_TEXT = default_rubric_path().read_text()


def without_roles(text: str) -> str:
    """The rubric text as workspaces stored it before roles existed."""
    kept = [line for line in text.splitlines(keepends=True)
            if not line.strip().startswith(("role:", "pass_choice:"))]  # fmt: skip
    return "".join(kept)


def test_default_rubric_declares_the_eval_roles() -> None:
    rubric = load_rubric(default_rubric_path())
    assert rubric.with_role(ROLE_PREFERENCE) == rubric.question("preference")
    assert rubric.side_pair(ROLE_SIDE_SAFETY) == SidePair(
        ROLE_SIDE_SAFETY, "safety_a", "safety_b", "pass"
    )
    found = eval_questions(rubric)
    assert found.preference == "preference"
    assert found.checks["formatting"] == SidePair(
        ROLE_SIDE_FORMATTING, "formatting_a", "formatting_b", "pass"
    )
    canonical = {"preference": "B", "safety_a": "pass", "safety_b": "fail"}
    assert found.winner(canonical) == "candidate" and found.winner({"preference": "tie"}) == "tie"
    assert found.passes(canonical, "safety") == {"current": True, "candidate": False}


def test_a_stored_default_rubric_without_roles_gets_the_default_roles() -> None:
    old = without_roles(DEFAULT_TEXT)
    assert "role:" not in old
    stored = parse_rubric(old, "", "workspace rubric")
    shipped = parse_rubric(DEFAULT_TEXT, "", "default.yaml")
    assert eval_questions(stored) == eval_questions(shipped)
    assert stored.content_hash != shipped.content_hash  # the stored text is what it was
    # Only the shipped default's ids: another rubric must declare its roles.
    renamed = old.replace("id: default", "id: team", 1)
    with pytest.raises(ValidationError, match="no question with the role 'preference'"):
        eval_questions(parse_rubric(renamed, "", "team.yaml"))


def test_a_rubric_missing_one_role_is_refused_naming_it() -> None:
    two_safety = DEFAULT_TEXT.replace("role: side_formatting", "role: side_safety")
    with pytest.raises(ValidationError, match="side_safety needs exactly two questions"):
        parse_rubric(two_safety, "", "r.yaml")
    no_formatting = DEFAULT_TEXT.replace("    role: side_formatting\n    pass_choice: pass\n", "")
    rubric = parse_rubric(no_formatting, "", "r.yaml")  # a valid rubric, just not for evals
    assert rubric.side_pair(ROLE_SIDE_SAFETY) is not None
    assert rubric.side_pair(ROLE_SIDE_FORMATTING) is None
    with pytest.raises(ValidationError, match="role 'side_formatting', which an eval needs"):
        eval_questions(rubric)


ROLED = (
    GOOD
    + """  - id: pref
    prompt: Which?
    kind: single_choice
    role: preference
    choices: [{id: A, label: A, key: "1"}, {id: B, label: B, key: "2"}]
  - id: ok_a
    prompt: OK A
    kind: yes_no
    role: side_safety
    pass_choice: "yes"
  - id: ok_b
    prompt: OK B
    kind: yes_no
    role: side_safety
    pass_choice: "yes"
"""
)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.replace("role: preference", "role: favourite"), "role 'favourite'"),
        (lambda t: t.replace("{id: B, label: B", "{id: C, label: C"), "needs the choices A and B"),
        (lambda t: t.replace('    pass_choice: "yes"\n', "", 1), "needs a 'pass_choice'"),
        (
            lambda t: t.replace('pass_choice: "yes"', "pass_choice: maybe", 1),
            "needs a 'pass_choice'",
        ),
        (lambda t: t.replace("id: ok_b", "id: ok_c"), "exactly two questions"),
        (lambda t: t.replace("    role: side_safety\n", "", 1), "but no side role"),
        (lambda t: t.replace("id: q\n", "id: q\n    role: preference\n"), "needs the choices A"),
    ],
)
def test_broken_role_declarations_are_refused(change, message: str) -> None:
    parse_rubric(ROLED, "", "t.yaml")
    with pytest.raises(ValidationError, match=message):
        parse_rubric(change(ROLED), "", "t.yaml")
