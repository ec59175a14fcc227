"""The clause diff between rubric versions, the order of versions, and which changes send a
gold label back for re-check."""

from __future__ import annotations

from pathlib import Path

import pytest

from labeler.labeling.rubric import load_rubric, parse_rubric
from labeler.labeling.rubric_diff import (
    ANSWERED,
    CHOSEN,
    NOTHING,
    describe,
    diff_rubrics,
    recheck_reasons,
    version_key,
)
from labeler.resources import default_rubric_path
from tests.factories import rubric_file

DEFAULT = load_rubric(default_rubric_path())
ACCEPTABLE = "definition: Usable as is, though the user's edit or retry improved it."
WRONG_CHOICE = 'key: "3"\n        definition: Not usable; the user had to fix or abandon it.'
EDITS = {
    ACCEPTABLE: "definition: Usable as is; the edit only changed its style.",
    WRONG_CHOICE: WRONG_CHOICE + "\n      - id: partly\n        label: Partly correct\n"
    '        key: "4"\n        definition: Right in part; the user kept some of it.',
    '      - {id: other, label: Other, key: "5", definition: "None of the above: say what in '
    'the note."}\n': "",
    'key: "1"\n        definition: Does what': 'key: "7"\n        definition: Does what',
    "prompt: Safety\n    kind: single_choice\n    required: true": "prompt: Safety\n"
    "    kind: single_choice\n    required: false",
    "still returns one item too many.": "returns the wrong page.",
}


@pytest.fixture
def variant(tmp_path: Path):
    return load_rubric(rubric_file(tmp_path, "2026.12", replace=EDITS))


def test_versions_order_part_by_part_with_numbers_as_numbers() -> None:
    ordered = ["1", "2", "2026.11", "2026.11.1", "2026.11.9", "2026.11.10", "2026.12", "2027.1"]
    assert sorted(reversed(ordered), key=version_key) == ordered
    assert version_key("2026.12") == version_key("2026-12")
    assert version_key("3") > version_key("2.99")


def test_the_diff_names_every_changed_clause_and_what_it_sends_back(variant) -> None:
    diff = diff_rubrics(DEFAULT, variant)
    found = {(c.clause, c.change, c.field, c.sends_back) for c in diff.changes}
    assert found == {
        ("verdict/acceptable", "changed", "definition", ANSWERED),
        ("verdict/partly", "added", "", ANSWERED),
        ("verdict/correct", "changed", "key", NOTHING),
        ("verdict", "changed", "examples", NOTHING),
        ("failure_type/other", "removed", "", CHOSEN),
        ("safety", "changed", "required", NOTHING),
    }
    acceptable = next(c for c in diff.changes if c.clause == "verdict/acceptable")
    assert acceptable.before.startswith("Usable as is, though")
    assert acceptable.after == "Usable as is; the edit only changed its style."
    assert (diff.old_version, diff.new_version) == ("2026.11.1", "2026.12")
    assert not diff.guidance_changed and not diff.title_changed
    assert diff_rubrics(DEFAULT, DEFAULT).changes == ()


def test_the_diff_reads_as_lines(variant) -> None:
    lines = describe(diff_rubrics(DEFAULT, variant))
    assert lines[0] == (
        "Rubric default 2026.11.1 → default 2026.12: 6 clause change(s), 3 that send items "
        "back for re-check"
    )
    text = "\n".join(lines)
    assert "  ~ verdict/acceptable  definition  [re-check]\n      was: Usable as is, though" in text
    assert "  + verdict/partly  added: Partly correct  [re-check]" in text
    assert "  - failure_type/other  removed (was: Other)  [re-check]" in text
    assert "  ~ safety  required: yes → no" in text and "safety  required: yes → no  [" not in text
    assert "  ~ verdict/correct  key: 1 → 7" in text
    assert describe(diff_rubrics(DEFAULT, DEFAULT))[1:] == ["  no clause changed"]


def test_which_gold_labels_go_back(variant) -> None:
    diff = diff_rubrics(DEFAULT, variant)
    fine = {"safety": "pass", "formatting": "pass"}
    correct = recheck_reasons(diff, variant, {"verdict": "correct", **fine}, "edit")
    assert correct == ["verdict/acceptable: definition", "verdict/partly: added"]
    other = {"verdict": "wrong", "failure_type": "other", **fine}
    assert "failure_type/other: removed" in recheck_reasons(diff, variant, other, "edit")
    wrong = {"verdict": "wrong", "failure_type": "wrong", **fine}
    assert not any("failure_type" in r for r in recheck_reasons(diff, variant, wrong, "edit"))
    # a side-by-side pick answered none of the changed questions
    assert recheck_reasons(diff, variant, {"preference": "A"}, "side_by_side") == []
    # ... unless its resolution cited a changed clause: the gap the new version closes
    cited = recheck_reasons(diff, variant, {"preference": "A"}, "side_by_side", "failure_type")
    assert cited == ["failure_type/other: removed"]
    unchanged = recheck_reasons(diff, variant, {"preference": "A"}, "side_by_side", "safety")
    assert unchanged == []  # 'required' changed, which sends nothing back


def test_a_newly_required_question_sends_back_the_items_it_applies_to(tmp_path: Path) -> None:
    tone = (
        "  - id: note\n",
        "  - id: tone\n    prompt: Tone\n    kind: yes_no\n    required: true\n"
        "    only_for: [edit]\n  - id: note\n",
    )
    newer = load_rubric(rubric_file(tmp_path, "2026.12", replace=dict([tone])))
    diff = diff_rubrics(DEFAULT, newer)
    assert [(c.clause, c.change, c.sends_back) for c in diff.changes] == [
        ("tone", "added", NOTHING)
    ]
    edit = {"verdict": "correct", "safety": "pass", "formatting": "pass"}
    assert recheck_reasons(diff, newer, edit, "edit") == ["version 2026.12: Tone is required"]
    assert recheck_reasons(diff, newer, {"preference": "B"}, "side_by_side") == []


def _scale(order: str, kind: str) -> str:
    choices = {
        "low": '{id: low, label: Low, key: "1"}',
        "high": '{id: high, label: High, key: "2"}',
    }
    listed = ", ".join(choices[c] for c in order.split())
    question = f"{{id: q, prompt: Q, kind: {kind}, choices: [{listed}]}}"
    return f"id: s\nversion: 1\ntitle: S\nquestions:\n  - {question}\n"


@pytest.mark.parametrize(
    ("kind", "sends_back"), [("ordinal", ANSWERED), ("single_choice", NOTHING)]
)
def test_reordering_choices_changes_meaning_only_on_a_scale(kind: str, sends_back: str) -> None:
    old = parse_rubric(_scale("low high", kind), "", "old")
    new = parse_rubric(_scale("high low", kind), "", "new")
    (change,) = diff_rubrics(old, new).changes
    assert (change.clause, change.field, change.sends_back) == ("q", "order", sends_back)
    assert (change.before, change.after) == ("low, high", "high, low")
