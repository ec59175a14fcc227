"""Rubric loading: the default ships valid; broken rubrics are refused with a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from labeler.errors import ValidationError
from labeler.labeling.rubric import load_rubric, parse_rubric
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
