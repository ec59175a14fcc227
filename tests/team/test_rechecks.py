"""The re-check queue on a real team: two labelers and a lead, resolutions citing clauses, a
new version that changes one, and the queue emptying as items are decided again under it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from labeler.cli import cli
from labeler.clock import utc_now
from labeler.labeling.session import LabelingSession
from labeler.status import week_status
from labeler.store import rechecks as recheck_rows
from labeler.store.queue import RECHECK, QueueFilter
from labeler.team.label_exchange import export_labels, import_labels
from labeler.team.reconcile import resolve
from labeler.team.rubric_release import export_rubric, import_rubric, install_rubric
from tests.conftest import close_session
from tests.factories import rubric_file, week_bundle
from tests.team.test_rubric_versions import seat, trusts

FINE = {"safety": "pass", "formatting": "pass"}
CORRECT = {"verdict": "correct", **FINE}
ACCEPTABLE = {"verdict": "acceptable", **FINE}
MISSING = {"verdict": "wrong", "failure_type": "missing_info", **FINE}
# 2026.12 changes one clause: what "missing info" means
MISSING_INFO = {
    'definition: "Leaves out something the user needed."}': (
        'definition: "Leaves out a step or fact the user asked for."}'
    )
}
# what each labeler answers, by item number; items 5 and 7 disagree and are resolved
ANA = {0: CORRECT, 1: CORRECT, 2: MISSING, 3: MISSING, 4: CORRECT, 5: CORRECT, 6: MISSING,
       7: CORRECT}  # fmt: skip
BEN = {4: CORRECT, 5: ACCEPTABLE, 6: MISSING, 7: ACCEPTABLE, 8: CORRECT, 9: CORRECT}


def item_id(number: int) -> str:
    return f"item-2026-W48-{number:06d}"


def label(session: LabelingSession, answers: dict[int, dict[str, str]]) -> None:
    for number, given in answers.items():
        session.save_label(session.open_item(item_id(number)), given, utc_now(), 3.0)


@pytest.fixture
def team(tmp_path: Path, memory_keyring):
    """Lee has Ana's and Ben's labels, and resolved the two disagreements as guideline gaps:
    item 7 citing failure_type/missing_info (the clause 2026.12 changes), item 5 citing
    verdict/acceptable (which it does not)."""
    bundle = week_bundle(tmp_path / "w48.lbundle", 12)
    lee = seat(tmp_path, "Lee", "lead", bundle)
    ana, ben = seat(tmp_path, "Ana", "labeler", bundle), seat(tmp_path, "Ben", "labeler", bundle)
    label(ana, ANA)
    label(ben, BEN)
    for name, session in (("Ana", ana), ("Ben", ben)):
        trusts(lee, session, name)
        trusts(session, lee, "Lee")
        export_labels(session, tmp_path / f"{name}.llabels")
        import_labels(lee, tmp_path / f"{name}.llabels")
    resolve(lee, lee.open_item(item_id(7)), ACCEPTABLE, "guideline_gap",
            "Missing a step is not 'acceptable'.", "failure_type/missing_info")  # fmt: skip
    resolve(lee, lee.open_item(item_id(5)), ACCEPTABLE, "guideline_gap", "Style only.",
            "verdict/acceptable")  # fmt: skip
    yield lee, ana, ben, tmp_path
    for session in (lee, ana, ben):
        close_session(session)


def release(lee: LabelingSession, tmp_path: Path) -> Path:
    install = install_rubric(lee, rubric_file(tmp_path / "v2", "2026.12", replace=MISSING_INFO))
    assert install.queued == 4
    file = tmp_path / "lee-2026.12.lrubric"
    export_rubric(lee, file)
    return file


def queued(session: LabelingSession) -> dict[str, tuple[str, tuple[str, ...]]]:
    return {r.item_id: (r.decided, r.reasons) for r in recheck_rows.listing(session.store)}


def test_a_changed_clause_queues_the_items_whose_gold_was_decided_under_it(team) -> None:
    lee, _, _, tmp_path = team
    assert queued(lee) == {}
    release(lee, tmp_path)
    reason = ("failure_type/missing_info: definition",)
    assert queued(lee) == {
        item_id(2): ("single", reason),  # Ana alone chose "missing info"
        item_id(3): ("single", reason),
        item_id(6): ("agreed", reason),  # both did
        item_id(7): ("resolved", reason),  # the resolution cited the clause
    }
    # item 5's resolution cited a clause that did not change; correct answers stay
    ids = lee.queue_ids(QueueFilter(status=RECHECK))
    assert ids == sorted(ids) and set(ids) == set(queued(lee))
    rows = lee.queue_rows([item_id(2), item_id(4)])
    assert (rows[item_id(2)].status, rows[item_id(4)].status) == (RECHECK, "unlabeled")
    summary = week_status(lee).rechecks
    assert summary is not None and (summary.open, summary.done) == (4, 0)


def test_the_queue_empties_as_items_are_decided_again_under_the_new_version(team) -> None:
    lee, ana, ben, tmp_path = team
    file = release(lee, tmp_path)
    # the lead decides item 7 again, under 2026.12
    resolve(lee, lee.open_item(item_id(7)), ACCEPTABLE, "guideline_gap", "Still acceptable.",
            "failure_type/missing_info")  # fmt: skip
    assert set(queued(lee)) == {item_id(2), item_id(3), item_id(6)}
    # Ana's laptop takes the release: her own labels of "missing info" go back to her
    import_rubric(ana, file)
    assert set(queued(ana)) == {item_id(2), item_id(3), item_id(6)}
    assert ana.queue_ids(QueueFilter(status=RECHECK)) == [item_id(2), item_id(3), item_id(6)]
    label(ana, {2: MISSING, 3: CORRECT, 6: MISSING})  # re-checked under 2026.12
    assert queued(ana) == {}
    export_labels(ana, tmp_path / "ana-2.llabels")
    # her export mixes versions: the labels she did not touch stay under 2026.11.1
    outcome = import_labels(lee, tmp_path / "ana-2.llabels")
    assert outcome.labels == len(ANA)
    assert set(queued(lee)) == {item_id(6)}  # Ben's label of item 6 is still the old version
    import_rubric(ben, file)
    label(ben, {6: MISSING})
    export_labels(ben, tmp_path / "ben-2.llabels")
    import_labels(lee, tmp_path / "ben-2.llabels")
    assert queued(lee) == {}
    assert week_status(lee).rechecks.done == 4  # type: ignore[union-attr]
    # an undo puts an old-version label back: the item waits again
    ana.undo_last_label()
    assert set(queued(ana)) == {item_id(6)}


def test_labels_arriving_later_under_the_old_version_are_queued_on_import(team) -> None:
    """A labeler who has not taken the release yet sends labels made under the old version
    for items the lead had no label of: what the release changed goes to re-check."""
    lee, _, _, tmp_path = team
    release(lee, tmp_path)
    cal = seat(tmp_path, "Cal", "labeler", tmp_path / "w48.lbundle")
    label(cal, {8: CORRECT, 9: MISSING, 10: MISSING})
    trusts(lee, cal, "Cal")
    export_labels(cal, tmp_path / "cal.llabels")
    import_labels(lee, tmp_path / "cal.llabels")  # no --accept-rubric: a version Lee had
    reason = ("failure_type/missing_info: definition",)
    assert queued(lee)[item_id(10)] == ("single", reason)  # Cal alone chose "missing info"
    assert item_id(8) not in queued(lee)  # agreed "correct": nothing it answered changed
    assert item_id(9) not in queued(lee)  # Ben said "correct": a disagreement, no gold yet
    close_session(cal)


def test_status_shows_the_rubric_and_the_queue(team) -> None:
    lee, _, _, tmp_path = team
    release(lee, tmp_path)
    path = str(lee.store.path)
    out = CliRunner().invoke(cli, ["--workspace", path, "status"])
    assert out.exit_code == 0, out.output
    assert "  rubric: default 2026.12 (installed by Lee" in out.output
    assert "  re-check: 4 item(s) waiting, 0 done" in out.output
    assert (
        f"    {item_id(7)} (since 2026.12, was resolved): failure_type/missing_info" in out.output
    )
    data = CliRunner().invoke(cli, ["--workspace", path, "status", "--json"])
    assert '"open": 4' in data.output
