"""Two laptops, real files between them: a labeler labels in the window and exports a signed
label file; the lead imports it in the app, off the GUI thread, and the views follow."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from labeler.clock import utc_now
from labeler.crypto.signing import signing_key
from labeler.gui import exchange_actions
from labeler.gui.main_window import MainWindow
from labeler.store import exchange
from labeler.store import labels as label_rows
from labeler.team.identity import key_labeler_id
from labeler.triage.bundle_import import import_bundle
from labeler.workspace import Workspace
from tests.factories import week_bundle
from tests.gui.test_labeling import press


def laptop(tmp_path: Path, name: str, role: str, bundle: Path) -> Workspace:
    ws = Workspace.create(tmp_path / f"{name}.lbw")
    import_bundle(ws.store, ws.writer, bundle)
    ws.session.create_profile(name, role, restricted_access=False)
    return ws


@pytest.fixture
def laptops(tmp_path: Path, memory_keyring) -> Iterator[tuple[Workspace, Workspace]]:
    bundle = week_bundle(tmp_path / "week.lbundle", 12)
    ana, lead = laptop(tmp_path, "Ana", "labeler", bundle), laptop(tmp_path, "Lee", "lead", bundle)
    yield ana, lead
    ana.close()
    lead.close()


def open_window(qtbot, ws: Workspace) -> MainWindow:
    window = MainWindow(ws)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitActive(window):  # shortcuts go to the active window
        window.activateWindow()
    return window


def save_by_keys(qtbot, window: MainWindow, keys: list[Qt.Key]) -> str:
    assert window.current is not None
    item_id = window.current.id
    for key in keys:
        press(qtbot, window, key)
    assert window.rubric_panel.answers().get("verdict"), window.rubric_panel.message.text()
    with qtbot.waitSignal(window.label_saved, timeout=5000):
        press(qtbot, window, Qt.Key.Key_Return)
    return item_id


def test_labels_travel_as_a_file_and_the_lead_sees_the_disagreement(
    qtbot, tmp_path: Path, laptops: tuple[Workspace, Workspace]
) -> None:
    ana_ws, lead_ws = laptops
    ana = open_window(qtbot, ana_ws)
    correct = [Qt.Key.Key_1, Qt.Key.Key_1, Qt.Key.Key_1]  # verdict correct, pass, pass
    labeled = [save_by_keys(qtbot, ana, correct) for _ in range(3)]
    file = tmp_path / "ana.llabels"
    from labeler.team.label_exchange import export_labels

    assert export_labels(ana_ws.session, file) == 3
    ana.close()

    lead = open_window(qtbot, lead_ws)
    lead.show_tab("Label")
    assert lead.queue.select(labeled[0])
    acceptable = [Qt.Key.Key_2, Qt.Key.Key_1, Qt.Key.Key_1]  # the lead says "acceptable"
    save_by_keys(qtbot, lead, acceptable)
    key = signing_key(ana_ws.store).public.encoded()
    lead_ws.writer.run(lambda tx: exchange.trust(tx, key, "Ana", utc_now()))
    with qtbot.waitSignal(lead.changes_applied, timeout=10_000):
        thread = exchange_actions.import_labels(lead, lead_ws, file, lead.changes_applied.emit)
    assert thread.isFinished() or thread.wait(5000)
    ana_id = key_labeler_id(signing_key(ana_ws.store).public)
    assert {lab.item_id for lab in label_rows.for_labeler(lead_ws.store, ana_id)} == set(labeled)
    assert lead.show_tab("Reconcile")
    view = lead.reconcile_view
    assert view is not None
    qtbot.waitUntil(lambda: not view.loader.busy(), timeout=10_000)
    assert [e.item_id for e in view.entries] == [labeled[0]]
    assert view.current is not None and view.current.item_id == labeled[0]
    lead.close()
