"""How `labeler resolutions import` words each place the lead decided otherwise."""

from __future__ import annotations

from labeler.cli.agreement_cmds import overruled_line


def test_a_blank_answer_is_said_to_be_blank_not_none() -> None:
    entry = {"item_id": "it-1", "question": "safety", "final": "fail", "note": "unsafe"}
    assert overruled_line(entry | {"yours": None}) == (
        "  it-1 safety: you no answer, lead 'fail' — unsafe"
    )
    assert overruled_line(entry | {"yours": "pass"}) == (
        "  it-1 safety: you 'pass', lead 'fail' — unsafe"
    )
