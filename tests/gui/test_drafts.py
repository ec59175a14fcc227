"""Drafts are never lost (moving on, switching tabs, closing, a crash) and undo survives a
restart: both are kept in the workspace, driven here by key presses in the real window."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import Qt

from labeler.gui.main_window import MainWindow
from labeler.store import labels as label_rows
from labeler.workspace import Workspace
from tests.gui.test_labeling import press, select_first
from tests.gui.test_two_laptops import open_window

ROOT = Path(__file__).resolve().parents[2]


def status_of(window: MainWindow, item_id: str) -> str:
    model = window.queue.model
    return str(model.data(model.index(model.row_of(item_id), 4)))


def test_a_draft_survives_moving_on_and_a_tab_switch(qtbot, window: MainWindow) -> None:
    item_id = select_first(window, "edit")
    press(qtbot, window, Qt.Key.Key_2)  # verdict: acceptable, not saved
    qtbot.waitUntil(lambda: status_of(window, item_id) == "draft", timeout=3000)
    press(qtbot, window, Qt.Key.Key_J)
    assert window.current is not None and window.current.id != item_id
    press(qtbot, window, Qt.Key.Key_K)
    assert window.current is not None and window.current.id == item_id
    assert window.rubric_panel.answers()["verdict"] == "acceptable"
    note = next(b for b in window.rubric_panel.boxes if b.note is not None).note
    assert note is not None
    note.setPlainText("typed, then a tab switch at once")
    window.show_tab("Home")  # before the typing pause: the draft is kept now anyway
    qtbot.waitUntil(lambda: window.writes.pending() == 0, timeout=3000)
    draft = window.session.draft_of(item_id)
    assert draft is not None and draft["note"] == "typed, then a tab switch at once"


def test_drafts_and_undo_survive_closing_the_app(qtbot, tmp_path: Path, demo_workspace) -> None:
    path = demo_workspace.store.path
    first = open_window(qtbot, demo_workspace)
    drafted = select_first(first, "edit")
    press(qtbot, first, Qt.Key.Key_3)  # verdict: wrong (failure type not chosen yet)
    saved = select_first(first, "retry")
    for key in (Qt.Key.Key_1, Qt.Key.Key_1, Qt.Key.Key_1):
        press(qtbot, first, key)
    with qtbot.waitSignal(first.label_saved, timeout=3000):
        press(qtbot, first, Qt.Key.Key_Return)
    first.close()
    demo_workspace.close()
    with Workspace.open(path) as reopened:
        second = open_window(qtbot, reopened)
        assert status_of(second, drafted) == "draft"
        second.queue.select(drafted)
        assert second.rubric_panel.answers()["verdict"] == "wrong"
        me = reopened.session.profile
        assert me is not None and label_rows.get(reopened.store, saved, me.id) is not None
        qtbot.keyClick(second, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        assert label_rows.get(reopened.store, saved, me.id) is None  # undone after a restart
        second.close()


CRASH_SCRIPT = """
import os, signal, sys
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from labeler.gui.app import application
from labeler.gui.main_window import MainWindow
from labeler.workspace import Workspace
app = application()
ws = Workspace.open(sys.argv[1], passphrase="labeler-demo")
window = MainWindow(ws)
window.show()
window.activateWindow()
for _ in range(20):
    app.processEvents()
item = next(r.id for r in ws.session.queue() if r.signal == "edit")
window.queue.select(item)
QTest.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_2)
while window.writes.pending():
    app.processEvents()
print(item, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_draft_survives_a_crash(tmp_path: Path, no_keyring) -> None:
    from labeler.demo.build import open_or_build_demo

    path = tmp_path / "demo.lbw"
    open_or_build_demo(path).close()
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    done = subprocess.run(
        [sys.executable, "-c", CRASH_SCRIPT, str(path)], capture_output=True, text=True, env=env
    )
    assert done.returncode == -signal.SIGKILL, done.stderr[-1500:]
    item_id = done.stdout.split()[-1]
    with Workspace.open(path, passphrase="labeler-demo") as ws:
        assert ws.session.draft_of(item_id) == {"verdict": "acceptable"}
