"""Help → Rubric… on two real laptops: the lead installs a version in the app (off the GUI
thread) and the window asks its questions, the queue shows the re-checks and the heading
names the version an item was labeled under; the labeler imports the signed file, and a
tampered one is refused with nothing written."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from labeler.clock import utc_now
from labeler.crypto.signing import signing_key
from labeler.gui.dialogs.rubric_dialog import RubricDialog
from labeler.gui.main_window import MainWindow
from labeler.labeling import rubric_versions
from labeler.store import exchange
from labeler.workspace import Workspace
from tests.factories import rubric_file, week_bundle
from tests.gui.test_two_laptops import laptop, open_window
from tests.team.test_rechecks import CORRECT, MISSING, MISSING_INFO, item_id
from tests.team.test_rubric_versions import fingerprint


@pytest.fixture
def laptops(tmp_path: Path, memory_keyring) -> Iterator[tuple[Workspace, Workspace]]:
    bundle = week_bundle(tmp_path / "week.lbundle", 6)
    ana, lee = laptop(tmp_path, "Ana", "labeler", bundle), laptop(tmp_path, "Lee", "lead", bundle)
    for number, answers in ((0, MISSING), (1, CORRECT)):
        lee.session.save_label(lee.session.open_item(item_id(number)), answers, utc_now(), 2.0)
    key = signing_key(lee.store).public.encoded()
    ana.writer.run(lambda tx: exchange.trust(tx, key, "Lee", utc_now()))
    yield ana, lee
    ana.close()
    lee.close()


def open_dialog(qtbot, window: MainWindow) -> RubricDialog:
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    next(a for a in menu.actions() if a.text() == "&Rubric…").trigger()
    dialog = window.findChild(RubricDialog)
    assert dialog is not None
    qtbot.waitExposed(dialog)
    return dialog


def test_the_lead_installs_a_version_in_the_app(qtbot, tmp_path: Path, laptops) -> None:
    _, lee = laptops
    window = open_window(qtbot, lee)
    dialog = open_dialog(qtbot, window)
    assert "version <b>2026.11.1</b> (current)" in dialog.heading.text()
    assert dialog.history.count() == 1 and dialog.install_button.isEnabled()
    assert dialog.diff.toPlainText().startswith("The first version here")
    v2 = rubric_file(tmp_path / "v2", "2026.12", replace=MISSING_INFO)
    with qtbot.waitSignal(dialog.released, timeout=10_000) as released:
        dialog.install_from(v2)
    assert released.args[0].queued == 1  # item 0 chose "missing info"
    assert window.rubric_panel.rubric.version == "2026.12"
    assert dialog.history.count() == 2 and "2026.12 (current)" in dialog.history.item(0).text()
    assert "~ failure_type/missing_info  definition  [re-check]" in dialog.diff.toPlainText()
    dialog.history.setCurrentRow(1)
    assert dialog.diff.toPlainText().startswith("The first version here")
    # the queue shows the re-check, and the heading the version the label was made under
    window.queue.status.setCurrentText("re-check")
    qtbot.waitUntil(lambda: window.queue.model.rowCount() == 1)
    assert window.current is not None and window.current.id == item_id(0)
    assert "labeled under v2026.11.1" in window.rubric_panel.heading.text()
    window.queue.status.setCurrentText("unlabeled")
    qtbot.waitUntil(lambda: window.current is not None and window.current.id == item_id(2))
    assert "labeled under" not in window.rubric_panel.heading.text()
    assert "v2026.12" in window.rubric_panel.heading.text()
    # installing it again is refused with its sentence, and nothing changes
    before = fingerprint(lee.session)
    with qtbot.waitSignal(dialog.failed, timeout=10_000) as failed:
        dialog.install_from(v2)
    assert "already installed" in failed.args[0]
    assert fingerprint(lee.session) == before and dialog.history.count() == 2
    dialog.close()


def test_the_labeler_imports_the_signed_file_and_refuses_a_tampered_one(
    qtbot, tmp_path: Path, laptops
) -> None:
    ana, lee = laptops
    from labeler.team.rubric_release import install_rubric

    install_rubric(lee.session, rubric_file(tmp_path / "v2", "2026.12", replace=MISSING_INFO))
    lead_window = open_window(qtbot, lee)
    lead_dialog = open_dialog(qtbot, lead_window)
    file = tmp_path / "lee.lrubric"
    lead_dialog.export_to(file)
    assert json.loads(file.read_text())["format"] == "labeler-rubric"
    lead_dialog.close()
    window = open_window(qtbot, ana)
    dialog = open_dialog(qtbot, window)
    assert not dialog.install_button.isEnabled() and not dialog.export_button.isEnabled()
    document = json.loads(file.read_text())
    tampered = tmp_path / "tampered.lrubric"
    tampered.write_text(json.dumps({**document, "payload": document["payload"].replace("a", "e")}))
    before = fingerprint(ana.session)
    with qtbot.waitSignal(dialog.failed, timeout=10_000) as failed:
        dialog.import_from(tampered)
    assert "signature does not match" in failed.args[0] and fingerprint(ana.session) == before
    with qtbot.waitSignal(dialog.released, timeout=10_000):
        dialog.import_from(file)
    assert window.rubric_panel.rubric.version == "2026.12"
    row = rubric_versions.versions(ana.store)[-1].row
    assert (row.source, row.signed_by_name) == ("import", "Lee")
    dialog.close()
    QApplication.processEvents()


def test_the_agreement_trend_draws_a_marker_at_each_release(qtbot, tmp_path: Path, laptops) -> None:
    from labeler.gui.views.agreement_view import trend_chart
    from labeler.team.agreement_report import report
    from labeler.team.rubric_release import install_rubric

    _, lee = laptops
    install_rubric(lee.session, rubric_file(tmp_path / "v2", "2026.12", replace=MISSING_INFO))
    data = report(lee.session)
    (marker,) = data.releases
    chart = trend_chart(data)
    (series,) = [s for s in chart.series() if s.name() == "rubric 2026.12"]
    points = [(p.x(), p.y()) for p in series.points()]  # type: ignore[attr-defined]
    assert points == [(marker.position, -0.2), (marker.position, 1.0)]
