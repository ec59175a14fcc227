"""The seams between the window, the queue, the writer and the store, in the real event loop."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from labeler.domain import Item
from labeler.gui.main_window import MainWindow
from labeler.store import labels as label_rows
from labeler.workspace import Workspace
from tests.factories import week_bundle
from tests.gui.test_labeling import press, select_first

ROOT = Path(__file__).resolve().parents[2]


def label_current(qtbot, window: MainWindow) -> str:
    assert window.current is not None
    item_id = window.current.id
    for key in (Qt.Key.Key_1, Qt.Key.Key_1, Qt.Key.Key_1):
        press(qtbot, window, key)
    with qtbot.waitSignal(window.label_saved, timeout=5000) as saved:
        press(qtbot, window, Qt.Key.Key_Return)
    assert saved.args == [item_id]
    return item_id


SAVES_SCRIPT = """
import sys
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from labeler.gui.app import application
from labeler.gui.main_window import MainWindow
from labeler.store import labels
from labeler.triage.bundle_import import import_bundle
from labeler.workspace import Workspace

app = application()
ws = Workspace.create(sys.argv[1], passphrase="test")
import_bundle(ws.store, ws.writer, __import__("pathlib").Path(sys.argv[2]))
ws.session.create_profile("Ana", "labeler", restricted_access=False)
window = MainWindow(ws)
window.resize(1440, 900)
window.show()
app.processEvents()
saved = []
window.label_saved.connect(saved.append)
for n in range(int(sys.argv[3])):
    for key in (Qt.Key.Key_1, Qt.Key.Key_1, Qt.Key.Key_1, Qt.Key.Key_Return):
        QTest.keyClick(QApplication.focusWidget() or window, key)
    app.processEvents()
while len(saved) < int(sys.argv[3]):
    app.processEvents()
window.close()
me = ws.session.profile
print("committed", labels.count_for(ws.store, me.id), "saved", len(set(saved)))
ws.close()
"""


def test_500_saves_by_key_presses_keep_the_app_alive_and_every_label(tmp_path: Path) -> None:
    """PySide6 6.12.0 on Python 3.11 aborted after 54-84 saves (none_dealloc)."""
    bundle = week_bundle(tmp_path / "w.lbundle", 510)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    done = subprocess.run(
        [sys.executable, "-c", SAVES_SCRIPT, str(tmp_path / "ws.lbw"), str(bundle), "500"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["committed", "500", "saved", "500"]


def test_pyside6_version_is_one_that_works() -> None:
    from importlib.metadata import version

    if sys.version_info < (3, 12):
        assert version("PySide6") != "6.12.0", "6.12.0 leaks None references on Python 3.11"


def test_a_save_updates_one_row_without_resetting_the_queue(qtbot, window: MainWindow) -> None:
    resets: list[int] = []
    changed: list[int] = []
    window.queue.model.modelReset.connect(lambda: resets.append(1))
    window.queue.model.dataChanged.connect(lambda top, _bottom: changed.append(top.row()))
    saved = []
    for _ in range(3):
        select_first(window, "edit")
        row = window.queue.table.currentIndex().row()
        saved.append(label_current(qtbot, window))
        assert row in changed
    assert resets == []
    assert set(changed) <= {window.queue.model.row_of(i) for i in saved}
    for item_id in saved:
        row = window.queue.model.row_at(window.queue.model.row_of(item_id))
        assert row is not None and row.labeled and row.status == "labeled"
    labeled, total = window.session.queue_progress()
    assert window.queue.progress.text().startswith(f"{labeled} / {total} labeled")


def test_several_saves_in_a_row_each_land_on_the_item_shown(
    qtbot, window: MainWindow, demo_workspace: Workspace
) -> None:
    me = window.session.profile
    assert me is not None
    first = select_first(window, "edit")
    expected = []
    for _ in range(6):
        assert window.current is not None
        expected.append((window.current.id, window.current.signal))
        press(qtbot, window, Qt.Key.Key_1)
        press(qtbot, window, Qt.Key.Key_1)
        press(qtbot, window, Qt.Key.Key_1)
        press(qtbot, window, Qt.Key.Key_Return)  # no waiting between saves
    qtbot.waitUntil(lambda: window.writes.pending() == 0, timeout=5000)
    assert expected[0][0] == first
    for item_id, _signal in expected:
        assert label_rows.get(demo_workspace.store, item_id, me.id) is not None
    assert len({item_id for item_id, _ in expected}) == 6


def test_the_next_items_texts_are_painted_before_the_key_press_returns(
    qtbot, window: MainWindow
) -> None:
    """Qt paints at low priority, after every commit and rendering queued behind the key:
    the window paints the next item's texts itself, inside the Enter handler."""
    from labeler.gui.widgets.panes import HtmlPane

    painted: list[tuple[int, str | None]] = []

    class PaintSpy(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                painted.append((id(watched), window.current.id if window.current else None))
            return False

    spy = PaintSpy()
    viewports = {id(p.viewport()): p for p in window.item_view.findChildren(HtmlPane)}
    for pane in viewports.values():
        pane.viewport().installEventFilter(spy)
    select_first(window, "edit")
    qtbot.wait(50)
    for _ in range(3):
        for key in (Qt.Key.Key_1, Qt.Key.Key_1, Qt.Key.Key_1):
            press(qtbot, window, key)
        shown = window.current.id if window.current else None
        painted.clear()
        # QTest's key click delivers the event and returns: no event loop turn in between.
        QTest.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_Return)
        assert window.current is not None and window.current.id != shown
        showing = {id(p.viewport()) for p in viewports.values() if p.isVisible()}
        assert showing  # every pane showing the item has painted it, already
        assert showing <= {pane for pane, item_id in painted if item_id == window.current.id}
    qtbot.waitUntil(lambda: window.writes.pending() == 0, timeout=5000)


def test_an_item_left_at_once_is_never_coloured(qtbot, window: MainWindow) -> None:
    """The coloured rendering waits a moment and starts only for the item still shown: for
    someone moving on at once it would hold the GIL while the next item paints."""
    cache = window.render_cache
    window._prefetch_timer.stop()
    cache.wait_idle()
    cache.set_palette(cache.palette)  # nothing rendered yet
    started: list[str] = []
    queue = cache._queue

    def queued(key: str, item: Item, order: str) -> None:
        started.append(item.id)
        queue(key, item, order)

    cache._queue = queued  # type: ignore[method-assign]
    first = select_first(window, "edit")
    window._prefetch_timer.stop()
    press(qtbot, window, Qt.Key.Key_J)  # moved on at once
    window._prefetch_timer.stop()
    second = window.current.id if window.current else None
    assert second is not None and second != first
    qtbot.waitUntil(lambda: second in started, timeout=2000)
    assert first not in started
    qtbot.waitUntil(lambda: cache.wait_idle(0), timeout=5000)


def test_a_filter_never_leaves_a_hidden_item_labelable(qtbot, window: MainWindow) -> None:
    hidden = select_first(window, "edit")
    window.queue.signal.setCurrentText("side_by_side")
    assert window.current is not None and window.current.id != hidden
    assert window.current.signal == "side_by_side"
    assert window.queue.current_id() == window.current.id
    window.queue.reason.setCurrentText("unsafe")  # no side-by-side item has it here
    if window.queue.model.rowCount() == 0:
        assert window.current is None
        assert "No item selected" in window.item_view.header.toPlainText()
        window.save_and_advance()  # nothing to save onto
        assert window.writes.pending() == 0


def test_a_label_saved_during_a_bundle_import_waits_in_line_and_lands(
    qtbot, tmp_path: Path, window: MainWindow, demo_workspace: Workspace
) -> None:
    """Defect: the save blocked for 5 s, then failed with a raw 'database is locked'."""
    release = threading.Event()
    # The writer is busy with a long write (as with a large import's insert) ...
    held = demo_workspace.writer.submit(lambda tx: release.wait(10))
    bundle = week_bundle(tmp_path / "w49.lbundle", 300, week="2026-W49")
    window.import_bundle(bundle)  # ... and an import queues behind it
    item_id = select_first(window, "edit")
    for key in (Qt.Key.Key_1, Qt.Key.Key_1, Qt.Key.Key_1, Qt.Key.Key_Return):
        press(qtbot, window, key)
    # The window did not block: the next item is shown while the label waits to commit.
    assert window.current is not None and window.current.id != item_id
    row = window.queue.model.row_at(window.queue.model.row_of(item_id))
    assert (
        window.queue.model.data(window.queue.model.index(window.queue.model.row_of(item_id), 4))
        == "saving…"
    )
    assert row is not None
    with qtbot.waitSignal(window.label_saved, timeout=10_000):
        release.set()
    held.result(5)
    qtbot.waitUntil(
        lambda: any(r.week == "2026-W49" for r in window.session.queue()), timeout=10_000
    )
    me = window.session.profile
    assert me is not None and label_rows.get(demo_workspace.store, item_id, me.id) is not None
    errors = [w for w in QApplication.topLevelWidgets() if w.objectName() == "errorDialog"]
    assert not [w for w in errors if w.isVisible()]


def test_a_labeler_home_has_no_buttons_for_lead_tabs(qtbot, window: MainWindow) -> None:
    from PySide6.QtWidgets import QPushButton

    assert window.show_tab("Home")
    assert window.home_view is not None
    texts = {b.text() for b in window.home_view.findChildren(QPushButton)}
    assert texts == {"Open Label"}
    assert not window.show_tab("Reconcile")


def test_demo_tab_a_labeler_lacks_is_an_error(tmp_path: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    command = [sys.executable, "-m", "labeler", "demo", "--workspace", str(tmp_path / "d.lbw")]
    command += ["--tab", "Reconcile", "--screenshot", str(tmp_path / "shot.png")]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 2
    assert "no Reconcile tab" in done.stderr and "--role lead" in done.stderr
    assert "Rollout are a lead's" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "shot.png").exists()
    # exit 2 writes nothing: the demo it built for the refused run is gone
    assert not (tmp_path / "d.lbw").exists() and not (tmp_path / "d.lbw.settings").exists()


def test_a_kept_demo_is_not_reopened_for_another_role(tmp_path: Path) -> None:
    """--role lead on a demo kept from a labeler's run was ignored: it opened the labeler's
    seat and then said to pass --role lead."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    command = [sys.executable, "-m", "labeler", "demo", "--workspace", str(tmp_path / "d.lbw"),
               "--no-gui"]  # fmt: skip
    built = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert built.returncode == 0 and (tmp_path / "d.lbw").exists(), built.stderr[-2000:]
    again = subprocess.run([*command, "--role", "lead"], capture_output=True, text=True,
                           env=env, timeout=300)  # fmt: skip
    assert again.returncode == 2
    assert "built for a labeler's seat: --role lead needs another --workspace" in again.stderr
    assert subprocess.run(command, env=env, timeout=300, capture_output=True).returncode == 0


def test_a_tab_the_seat_lacks_is_said_in_a_dialog_too(
    qtbot, tmp_path: Path, memory_keyring
) -> None:
    """Started from a launcher there is no terminal: the error is a dialog as well."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QMessageBox

    from labeler.demo.build import open_or_build_demo
    from labeler.gui.app import run_app

    ws = open_or_build_demo(tmp_path / "labeler.lbw", role="labeler")
    seen: list[str] = []

    def answer() -> None:
        box = next((w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)), None)
        if box is None or not box.isVisible():
            QTimer.singleShot(20, answer)
            return
        seen.append(box.text())
        box.accept()

    QTimer.singleShot(0, answer)
    assert run_app(None, opened=ws, tab="Reconcile") == 2
    assert len(seen) == 1 and "no Reconcile tab" in seen[0] and "--role lead" in seen[0]


@pytest.mark.parametrize("role", ["lead"])
def test_demo_tab_a_lead_has_opens_it(tmp_path: Path, role: str) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    command = [sys.executable, "-m", "labeler", "demo", "--role", role, "--workspace"]
    command += [
        str(tmp_path / "d.lbw"),
        "--tab",
        "Reconcile",
        "--screenshot",
        str(tmp_path / "s.png"),
    ]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "s.png").stat().st_size > 10_000


def test_a_first_open_shows_the_first_item_of_the_queue(window) -> None:
    """No item remembered: the first row is selected and shown (it had skipped to the
    second: the queue selected the first, then start-up stepped one on)."""
    first = window.queue.model.id_at(0)
    assert first is not None
    assert window.queue.current_id() == first
    assert window.current is not None and window.current.id == first


def _menu_action(window: MainWindow, text: str):
    from PySide6.QtGui import QAction

    return next(a for a in window.findChildren(QAction) if a.text() == text)


def _answer_message(seen: list[str]) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QMessageBox

    box = next((w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)), None)
    if box is None or not box.isVisible():
        QTimer.singleShot(20, lambda: _answer_message(seen))
        return
    seen.append(box.text())
    box.accept()


@pytest.mark.parametrize(
    "text",
    ["&Send feedback to labelers… (lead)", "&Build an eval bundle… (lead)",
     "Run the &gate… (lead)", "&Audit log… (lead)", "Export &pack… (lead)",
     "P&urge subject… (lead)"],
)  # fmt: skip
def test_a_lead_menu_on_a_labeler_seat_names_the_role(qtbot, window: MainWindow, text) -> None:
    """It said something about data a labeler's workspace lacks ('no disagreement resolved
    yet'), or opened a file dialog for a gate the labeler cannot run."""
    from PySide6.QtWidgets import QDialog

    assert window.session.profile is not None and window.session.profile.role == "labeler"
    seen: list[str] = []
    _answer_message(seen)
    _menu_action(window, text).trigger()
    qtbot.waitUntil(lambda: bool(seen), timeout=5_000)
    assert "is a lead's task, and this profile is a labeler's" in seen[0]
    assert "File → Profile" in seen[0]
    assert not [d for d in window.findChildren(QDialog) if d.isVisible()]


def test_a_lead_menu_on_a_lead_seat_runs(qtbot, tmp_path: Path, memory_keyring) -> None:
    from PySide6.QtWidgets import QDialog

    from labeler.demo.build import open_or_build_demo

    ws = open_or_build_demo(tmp_path / "lead.lbw", role="lead")
    win = MainWindow(ws)
    qtbot.addWidget(win)
    try:
        _menu_action(win, "&Audit log… (lead)").trigger()
        qtbot.waitUntil(
            lambda: any(d.objectName() == "auditDialog" for d in win.findChildren(QDialog)),
            timeout=10_000,
        )
    finally:
        win.close()
        ws.close()
