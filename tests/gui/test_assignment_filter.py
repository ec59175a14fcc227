"""The queue's "Mine and pairs" filter: offered (and chosen) once a bundle has an assignment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from labeler.crypto.signing import signing_key
from labeler.gui.main_window import MainWindow
from labeler.gui.widgets.queue_panel import ALL, MINE
from labeler.team.identity import key_labeler_id
from labeler.triage.assignment import AssignedLabeler
from labeler.triage.bundle_import import import_bundle
from labeler.workspace import Workspace
from tests.factories import assigned_bundle, week_bundle
from tests.gui.test_spine import label_current


@pytest.fixture
def ana(tmp_path: Path, memory_keyring) -> Iterator[Workspace]:
    ws = Workspace.create(tmp_path / "ana.lbw")
    ws.session.create_profile("Ana", "labeler", restricted_access=False)
    yield ws
    ws.close()


def _window(qtbot: QtBot, ws: Workspace) -> MainWindow:
    window = MainWindow(ws)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_without_an_assignment_there_is_no_choice(qtbot: QtBot, ana: Workspace, tmp_path) -> None:
    import_bundle(ana.store, ana.writer, week_bundle(tmp_path / "w.lbundle", 6))
    window = _window(qtbot, ana)
    assert not window.queue.show_items.isVisible()
    assert not window.queue.filter().mine
    assert window.queue.model.rowCount() == 6
    window.close()


def test_mine_and_pairs_is_the_default_and_all_shows_everything(
    qtbot: QtBot, ana: Workspace, tmp_path: Path
) -> None:
    me = key_labeler_id(signing_key(ana.store).public)
    team = [AssignedLabeler(me, "Ana"), AssignedLabeler("labeler-bo", "Bo")]
    path = assigned_bundle(tmp_path / "w.lbundle", 24, team, overlap=(0, 1))
    import_bundle(ana.store, ana.writer, path)
    window = _window(qtbot, ana)
    panel = window.queue
    assert panel.show_items.isVisible() and panel.show_items.currentText() == MINE
    share = sorted(
        r[0] for r in ana.store.query("SELECT item_id FROM assignments WHERE labeler_id = ?", (me,))
    )
    shown = sorted(panel.model.id_at(row) for row in range(panel.model.rowCount()))
    assert shown == sorted([*share, "item-2026-W48-000000", "item-2026-W48-000001"])
    qtbot.waitUntil(lambda: f"0 / {len(shown)} labeled of my share" in panel.progress.text())
    label_current(qtbot, window)
    qtbot.waitUntil(lambda: panel.progress.text().startswith(f"1 / {len(shown)}"))
    with qtbot.waitSignal(panel.filters_changed):
        panel.show_items.setCurrentText(ALL)
    assert panel.model.rowCount() == 24
    assert panel.progress.text().startswith(f"1 / {len(shown)} labeled of my share")
    window.close()
