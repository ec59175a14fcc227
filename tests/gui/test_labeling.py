"""The workbench, driven from the keyboard as a labeler would, against the real store."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from labeler.gui.main_window import MainWindow
from labeler.gui.models.queue_model import QueueTableModel
from labeler.store import labels as label_rows
from labeler.workspace import Workspace


def press(qtbot, window: MainWindow, key: Qt.Key) -> None:
    target = QApplication.focusWidget() or window
    qtbot.keyClick(target, key)


def select_first(window: MainWindow, signal: str) -> str:
    for row in range(window.queue.model.rowCount()):
        entry = window.queue.model.row_at(row)
        if entry is not None and entry.signal == signal and not entry.labeled:
            window.queue.select(entry.id)
            return entry.id
    raise AssertionError(f"no unlabeled {signal} item")


def test_queue_model_passes_the_model_tester(qtmodeltester) -> None:
    model = QueueTableModel()
    qtmodeltester.check(model)


def test_window_model_passes_the_model_tester(qtmodeltester, window: MainWindow) -> None:
    qtmodeltester.check(window.queue.model)


def test_label_three_items_by_keyboard_only(
    qtbot, window: MainWindow, demo_workspace: Workspace
) -> None:
    saved = []
    for _ in range(3):
        item_id = select_first(window, "edit")
        assert window.current is not None and window.current.id == item_id
        with qtbot.waitSignal(window.label_saved, timeout=2000) as blocker:
            press(qtbot, window, Qt.Key.Key_1)  # verdict: correct
            press(qtbot, window, Qt.Key.Key_1)  # safety: pass
            press(qtbot, window, Qt.Key.Key_1)  # formatting: pass
            press(qtbot, window, Qt.Key.Key_Return)
        assert blocker.args == [item_id]
        saved.append(item_id)
    me = window.session.profile
    assert me is not None
    for item_id in saved:
        label = label_rows.get(demo_workspace.store, item_id, me.id)
        assert label is not None
        assert label.answers == {"verdict": "correct", "safety": "pass", "formatting": "pass"}
        assert label.rubric_id == "default" and len(label.rubric_hash) == 64
    assert "3 / " in window.queue.progress.text()


def test_enter_advances_and_j_k_move(qtbot, window: MainWindow) -> None:
    window.queue.select(window.queue.model.row_at(0).id)  # type: ignore[union-attr]
    press(qtbot, window, Qt.Key.Key_J)
    assert window.queue.table.currentIndex().row() == 1
    press(qtbot, window, Qt.Key.Key_K)
    assert window.queue.table.currentIndex().row() == 0


def test_undo_restores_the_previous_state(
    qtbot, window: MainWindow, demo_workspace: Workspace
) -> None:
    item_id = select_first(window, "edit")
    for key in (Qt.Key.Key_1, Qt.Key.Key_1, Qt.Key.Key_1):
        press(qtbot, window, key)
    with qtbot.waitSignal(window.label_saved, timeout=2000):
        press(qtbot, window, Qt.Key.Key_Return)
    me = window.session.profile
    assert me is not None and label_rows.get(demo_workspace.store, item_id, me.id) is not None
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert label_rows.get(demo_workspace.store, item_id, me.id) is None
    assert window.current is not None and window.current.id == item_id


def test_wrong_without_failure_type_cannot_be_saved(
    qtbot, window: MainWindow, demo_workspace: Workspace
) -> None:
    item_id = select_first(window, "edit")
    press(qtbot, window, Qt.Key.Key_3)  # verdict: wrong -> failure type now required
    assert window.rubric_panel.current_question().id == "failure_type"  # type: ignore[union-attr]
    window.rubric_panel.step_question(1)  # skip it on purpose
    press(qtbot, window, Qt.Key.Key_1)
    window.save_and_advance()
    assert "What kind of failure? is required" in window.rubric_panel.message.text()
    me = window.session.profile
    assert me is not None and label_rows.get(demo_workspace.store, item_id, me.id) is None
    assert window.current is not None and window.current.id == item_id


def test_blind_side_by_side_hides_versions_until_saved(qtbot, window: MainWindow) -> None:
    item_id = select_first(window, "side_by_side")
    item = window.current
    assert item is not None and item.candidates
    versions = {c["model_version"] for c in item.candidates}
    shown = window.item_view.header.toPlainText() + window.item_view.pair.left_title.text()
    shown += window.item_view.pair.right_title.text()
    shown += window.item_view.pair.left.toPlainText() + window.item_view.pair.right.toPlainText()
    assert not any(version in shown for version in versions)
    press(qtbot, window, Qt.Key.Key_2)  # preference: B
    with qtbot.waitSignal(window.label_saved, timeout=2000):
        press(qtbot, window, Qt.Key.Key_Return)
    window.queue.select(item_id)
    revealed = window.item_view.pair.left_title.text() + window.item_view.pair.right_title.text()
    assert all(version in revealed for version in versions)
    label = window.session.label_of(item_id)
    assert label is not None and label.side_order in ("AB", "BA")


def test_sides_are_shuffled_per_item(window: MainWindow) -> None:
    ids = [r.id for r in window.session.queue() if r.signal == "side_by_side"]
    orders = {window.session.side_order(item_id) for item_id in ids}
    assert orders == {"AB", "BA"}


def test_import_bundle_from_the_window_off_the_gui_thread(
    qtbot, tmp_path, window: MainWindow
) -> None:
    from labeler.triage.build import BuildOptions, build_bundle
    from tests.triage.test_sampling import make_events, write

    bundle = tmp_path / "w49.lbundle"
    events = make_events([(r, n % 7, n) for r in range(4) for n in range(10)], week="2026-W49")
    build_bundle([write(tmp_path / "e.jsonl", events)], BuildOptions(week="2026-W49"), bundle)
    before = window.workspace.info().items
    with qtbot.waitSignal(window.changes_applied, timeout=10_000):
        window.import_bundle(bundle)
    assert window.workspace.info().items == before + len(events)
    assert any(r.week == "2026-W49" for r in window.session.queue())


def test_bad_bundle_gives_an_error_dialog_not_a_traceback(
    qtbot, tmp_path, window: MainWindow
) -> None:
    from PySide6.QtWidgets import QMessageBox

    bad = tmp_path / "bad.lbundle"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    before = window.workspace.info().items
    window.import_bundle(bad)

    def dialog() -> QMessageBox | None:
        found = [w for w in QApplication.topLevelWidgets() if w.objectName() == "errorDialog"]
        return found[0] if found and found[0].isVisible() else None  # type: ignore[return-value]

    qtbot.waitUntil(lambda: dialog() is not None, timeout=10_000)
    box = dialog()
    assert box is not None and "bad.lbundle" in box.text() and "Traceback" not in box.text()
    box.close()
    assert window.workspace.info().items == before


def test_follows_a_system_colour_scheme_switch(qtbot, window: MainWindow) -> None:
    from PySide6.QtCore import Qt as QtCore
    from PySide6.QtGui import QGuiApplication

    item_id = select_first(window, "edit")
    before = window.render_cache.palette
    QGuiApplication.styleHints().colorSchemeChanged.emit(QtCore.ColorScheme.Dark)
    assert window.render_cache.palette is not before
    assert window.current is not None and window.current.id == item_id
    qtbot.wait(50)  # old documents are deleted later: the panes must not hold them
    assert window.item_view.pair.left.document() is not None
    assert window.item_view.pair.left.toPlainText()
