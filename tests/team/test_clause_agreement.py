"""Agreement per clause before and after a rubric release, on data built for it: two
labelers split on "missing info" under 2026.11.1, the lead cites the clause as a guideline
gap and releases a clearer definition, and they mostly agree under 2026.12."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from labeler.cli import cli
from labeler.team.agreement_report import report
from labeler.team.clause_agreement import by_clause, iso_week, marker_position
from labeler.team.label_exchange import export_labels, import_labels
from labeler.team.reconcile import resolve
from labeler.team.rubric_release import export_rubric, import_rubric, install_rubric
from tests.conftest import close_session
from tests.factories import rubric_file, week_bundle
from tests.team.test_rechecks import MISSING, MISSING_INFO, item_id, label
from tests.team.test_rubric_versions import seat, trusts

WRONG = {**MISSING, "failure_type": "wrong"}


@pytest.fixture
def released(tmp_path: Path, memory_keyring):
    bundle = week_bundle(tmp_path / "w48.lbundle", 21)
    lee = seat(tmp_path, "Lee", "lead", bundle)
    ana, ben = seat(tmp_path, "Ana", "labeler", bundle), seat(tmp_path, "Ben", "labeler", bundle)
    for name, session in (("Ana", ana), ("Ben", ben)):
        trusts(lee, session, name)
        trusts(session, lee, "Lee")
    # under 2026.11.1: Ana says "missing info" throughout, Ben only on items 0-4
    label(ana, {n: MISSING for n in [*range(10), 20]})
    label(ben, {n: MISSING if n < 5 else WRONG for n in range(10)})

    def send(session, name: str) -> None:
        export_labels(session, tmp_path / f"{name}.llabels")
        import_labels(lee, tmp_path / f"{name}.llabels")

    send(ana, "ana")
    send(ben, "ben")
    resolve(lee, lee.open_item(item_id(5)), MISSING, "guideline_gap", "Both fit.",
            "failure_type/missing_info")  # fmt: skip
    install_rubric(lee, rubric_file(tmp_path / "v2", "2026.12", replace=MISSING_INFO))
    export_rubric(lee, tmp_path / "v2.lrubric")
    for session in (ana, ben):
        import_rubric(session, tmp_path / "v2.lrubric")
    # under 2026.12: they disagree on item 19 only; item 20 has a label under each version
    label(ana, {n: MISSING for n in range(10, 20)})
    label(ben, {n: MISSING if n < 19 else WRONG for n in range(10, 21)})
    send(ana, "ana-2")
    send(ben, "ben-2")
    yield lee
    for session in (lee, ana, ben):
        close_session(session)


def test_agreement_per_changed_clause_before_and_after_the_release(released) -> None:
    (release,) = by_clause(released)
    assert (release.from_version, release.to_version) == ("2026.11.1", "2026.12")
    assert (release.before_items, release.after_items, release.mixed) == (10, 10, 1)
    rows = {row.clause: row for row in release.rows}
    assert list(rows) == ["failure_type", "failure_type/missing_info"]
    question, choice = rows["failure_type"], rows["failure_type/missing_info"]
    assert (question.change, question.sends_back) == ("its question", False)
    assert (choice.change, choice.sends_back) == ("definition", True)
    # the question: all agreed on 5 of 10 items before, 9 of 10 after
    assert (question.before.n, question.before.agreement) == (10, 0.5)
    assert (question.after.n, question.after.agreement) == (10, 0.9)
    assert question.before.alpha is not None and question.after.alpha is not None
    assert question.after.alpha > question.before.alpha
    # the choice: specific agreement 10/15 before (5 items both chose it, 5 only Ana did),
    # 18/19 after; the guideline gap cited it under the old version only
    assert (choice.before.n, choice.before.agreement, choice.before.alpha) == (10, 0.6667, None)
    assert (choice.after.n, choice.after.agreement) == (10, 0.9474)
    assert (choice.before.gaps, choice.after.gaps) == (1, 0)
    assert question.before.gaps == 1  # a question counts the gaps citing any of its choices


def test_the_trend_marks_the_release(released) -> None:
    data = report(released)
    (marker,) = data.releases
    assert (marker.version, marker.week) == ("2026.12", iso_week(marker.installed_at))
    # released after 2026-W48, the only week with paired labels: after it on the axis
    assert data.weeks == ("2026-W48",) and marker.position == 0.5
    assert data.to_json()["releases"][0]["version"] == "2026.12"


def test_a_marker_sits_on_its_week_or_between_its_neighbours() -> None:
    weeks = ["2026-W40", "2026-W42", "2026-W44"]
    assert marker_position(weeks, "2026-W42") == 1.0
    assert marker_position(weeks, "2026-W43") == 1.5
    assert marker_position(weeks, "2026-W39") == -0.5
    assert marker_position(weeks, "2026-W50") == 2.5
    assert iso_week("2026-12-01T21:31:16.644Z") == "2026-W49"


def test_cli_by_clause(released) -> None:
    path = str(released.store.path)
    out = CliRunner().invoke(cli, ["--workspace", path, "agreement", "--by-clause"])
    assert out.exit_code == 0, out.output
    assert "Rubric default 2026.11.1 → 2026.12" in out.output
    assert "10 paired items labeled under 2026.11.1, 10 under 2026.12, 1 under both" in out.output
    line = next(x for x in out.output.splitlines() if "failure_type/missing_info" in x)
    assert "specific 0.67 (10)" in line and "specific 0.95 (10)" in line and "1 → 0" in line
    data = json.loads(
        CliRunner().invoke(cli, ["--workspace", path, "agreement", "--by-clause", "--json"]).output
    )
    assert data["releases"][0]["clauses"][1]["after"]["agreement"] == 0.9474
    plain = CliRunner().invoke(cli, ["--workspace", path, "agreement"])
    assert "Rubric release: default 2026.12 in" in plain.output


def test_by_clause_without_a_release(tmp_path: Path, memory_keyring) -> None:
    lee = seat(tmp_path, "Lee", "lead")
    assert by_clause(lee) == ()
    path = str(lee.store.path)
    _ = lee.rubric
    close_session(lee)
    out = CliRunner().invoke(cli, ["--workspace", path, "agreement", "--by-clause"])
    assert out.exit_code == 0 and "No rubric release yet" in out.output
