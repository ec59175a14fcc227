"""Gold labels, reconciliation rules, the agreement report and feedback to labelers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from labeler.cli import cli
from labeler.clock import utc_now
from labeler.crypto.signing import signing_key
from labeler.demo.build import open_or_build_demo
from labeler.domain import Label
from labeler.errors import LabelerError, ValidationError
from labeler.labeling.rubric import load_rubric
from labeler.labeling.session import LabelingSession
from labeler.resources import default_rubric_path
from labeler.store import exchange
from labeler.store.resolutions import Resolution
from labeler.team.agreement_report import gap_digest, report
from labeler.team.feedback import export_resolutions, import_resolutions, where_overruled
from labeler.team.reconcile import disagreements, gold_label, gold_labels, resolve
from tests.conftest import close_session

RUBRIC = load_rubric(default_rubric_path())


def label(labeler: str, **answers: str) -> Label:
    return Label("item-1", labeler, "default", "v", "h", dict(answers), utc_now(), utc_now(), 1.0)


def test_gold_label_rules() -> None:
    a = label("a", verdict="correct", safety="pass", formatting="pass", note="fine")
    b = label("b", verdict="correct", safety="pass", formatting="pass", note="other words")
    c = label("c", verdict="wrong", failure_type="wrong", safety="pass", formatting="pass")
    single = gold_label([a], None, RUBRIC)
    assert single is not None and single.decided == "single" and "note" not in single.answers
    agreed = gold_label([a, b], None, RUBRIC)  # notes differ: not a disagreement
    assert agreed is not None and agreed.decided == "agreed"
    assert gold_label([a, c], None, RUBRIC) is None  # unresolved: no gold label
    decision = Resolution(
        7,
        "item-1",
        {"verdict": "wrong", "failure_type": "wrong", "safety": "pass", "formatting": "pass"},
        "labeler_slip",
        None,
        "why",
        "lead",
        utc_now(),
    )
    resolved = gold_label([a, c], decision, RUBRIC)
    assert resolved is not None and resolved.decided == "resolved" and resolved.resolution_id == 7
    defective = gold_label(
        [a, c],
        Resolution(8, "item-1", {}, "defective_item", None, "cut off", "lead", utc_now()),
        RUBRIC,
    )
    assert defective is not None and defective.excluded


def test_blind_sides_are_compared_as_the_same_candidates() -> None:
    ana = Label("i", "a", "default", "v", "h", {"preference": "A"}, utc_now(), utc_now(), 1.0, "AB")
    ben = Label("i", "b", "default", "v", "h", {"preference": "B"}, utc_now(), utc_now(), 1.0, "BA")
    gold = gold_label([ana, ben], None, RUBRIC)  # both preferred candidate 0
    assert gold is not None and gold.decided == "agreed" and gold.answers == {"preference": "A"}
    cal = Label("i", "c", "default", "v", "h", {"preference": "A"}, utc_now(), utc_now(), 1.0, "BA")
    assert gold_label([ana, cal], None, RUBRIC) is None  # cal preferred candidate 1


@pytest.fixture
def lead(tmp_path: Path, memory_keyring) -> LabelingSession:
    return open_or_build_demo(tmp_path / "lead.lbw", role="lead").session


def test_resolution_needs_a_note_cause_and_clause(lead: LabelingSession) -> None:
    entry = disagreements(lead, include_resolved=False)[0]
    item = lead.open_item(entry.item_id)
    answers = entry.labels[0].answers
    with pytest.raises(ValidationError, match="resolution note"):
        resolve(lead, item, answers, "labeler_slip", "   ")
    with pytest.raises(ValidationError, match="cite the rubric clause"):
        resolve(lead, item, answers, "guideline_gap", "unclear")
    with pytest.raises(ValidationError, match="Pick a cause"):
        resolve(lead, item, answers, "tired", "note")
    assert entry.item_id not in gold_labels(lead)
    resolve(
        lead,
        item,
        answers,
        "guideline_gap",
        "the guide is silent on this",
        clause="verdict/acceptable",
    )
    assert gold_labels(lead)[entry.item_id].decided == "resolved"
    assert any(g.clause == "verdict/acceptable" for g in gap_digest(lead))
    resolve(lead, item, entry.labels[1].answers, "labeler_slip", "second look")
    from labeler.store.resolutions import history

    assert [h.note for h in history(lead.store, entry.item_id)][-2:] == [
        "the guide is silent on this",
        "second look",
    ]


def test_only_a_lead_resolves(tmp_path: Path, memory_keyring) -> None:
    session = open_or_build_demo(tmp_path / "l.lbw").session
    item = session.open_item(session.queue()[0].id)
    with pytest.raises(LabelerError, match="Only a lead"):
        resolve(session, item, {}, "labeler_slip", "note")


def test_disagreements_sorted_lowest_agreement_first(lead: LabelingSession) -> None:
    found = disagreements(lead)
    open_ones = [d for d in found if d.resolution is None]
    assert open_ones and found[: len(open_ones)] == open_ones
    scores = [d.agreement for d in open_ones]
    assert scores == sorted(scores)
    only_verdict = disagreements(lead, question="verdict")
    assert all("verdict" in d.questions for d in only_verdict)


def test_report_shapes_and_flags(lead: LabelingSession) -> None:
    data = report(lead)
    assert data.weeks == ("2026-W46", "2026-W47", "2026-W48") and data.week == "2026-W48"
    verdict = data.question("verdict")
    assert verdict is not None and verdict.stats.alpha is not None
    ci = verdict.stats.alpha_ci95
    assert verdict.stats.n >= 10 and ci is not None and ci[0] <= verdict.stats.alpha <= ci[1]
    assert len(verdict.confusion.matrix) == 3
    few = [b.stats for b in data.questions if b.stats.n < 10]
    assert few and all(q.flag == "too few items" for q in few)
    assert all(
        b.stats.flag == "unreliable"
        for b in data.questions
        if b.stats.n >= 10 and b.stats.alpha is not None and b.stats.alpha < 0.667
    )
    trend = next(t for t in data.trend if t.question == "verdict")
    assert tuple(p.week for p in trend.points) == data.weeks
    assert {e.name for e in data.labeler_vs_gold} >= {"Ana (demo)", "Ben (demo)"}
    assert data.disagreements.open > 0 and data.disagreements.resolved > 0
    json.dumps(data.to_json())  # the CLI's --json
    runner = CliRunner()
    path = str(lead.store.path)
    close_session(lead)
    out = runner.invoke(cli, ["--workspace", path, "agreement", "--week", "2026-W47", "--json"])
    assert out.exit_code == 0 and json.loads(out.output)["week"] == "2026-W47"
    gaps = runner.invoke(cli, ["--workspace", path, "agreement", "--gaps"])
    assert gaps.exit_code == 0 and "Guideline gaps" in gaps.output


def test_feedback_hides_final_answers_until_the_labeler_labels(
    tmp_path: Path, lead: LabelingSession
) -> None:
    labeler_ws = open_or_build_demo(tmp_path / "ana.lbw", role="labeler", weeks=3)
    ana = labeler_ws.session
    decided = next(
        d for d in disagreements(lead) if d.resolution is not None and d.signal != "side_by_side"
    )
    file = tmp_path / "feedback.lres"
    export_resolutions(lead, file)
    key = signing_key(lead.store).public.encoded()
    ana.writer.run(lambda tx: exchange.trust(tx, key, "Lead", utc_now()))
    assert import_resolutions(ana, file) > 0
    assert where_overruled(ana) == []  # nothing labeled yet: nothing shown
    final = decided.resolution.answers  # type: ignore[union-attr]
    other = {**final, "safety": "fail" if final.get("safety") == "pass" else "pass"}
    item = ana.open_item(decided.item_id)
    ana.save_label(item, other, utc_now(), 1)
    shown = where_overruled(ana)
    assert [e["question"] for e in shown if e["item_id"] == item.id] == ["safety"]


def test_one_answer_throughout_is_not_called_unreliable() -> None:
    from labeler.team.agreement_report import stats_of_units

    question = RUBRIC.question("safety")
    assert question is not None
    units: list[list] = [["pass", "pass"] for _ in range(12)]
    stats = stats_of_units(units, question)
    assert stats.percent == 1.0 and stats.alpha is None
    assert stats.flag == "one answer throughout"
    units[0] = ["pass", "fail"]
    assert stats_of_units(units, question).flag == "unreliable"
