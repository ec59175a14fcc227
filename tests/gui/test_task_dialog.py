"""The progress dialog of a long task, in the real event loop."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMainWindow, QProgressDialog

from labeler.gui.tasks import run_task
from labeler.progress import Cancelled


def _slow(seconds: float):
    def operation(progress, should_cancel):
        ends = time.monotonic() + seconds
        while time.monotonic() < ends:
            if should_cancel():
                raise Cancelled()
            progress(0, 1, "working")
            time.sleep(0.02)
        return "done"

    return operation


def test_enter_does_not_cancel_a_task_and_a_cancel_is_said(qtbot) -> None:
    """Defect: Enter (a labeler's save key) pressed the progress dialog's Cancel button, and
    the import was dropped without a word."""
    window = QMainWindow()
    qtbot.addWidget(window)
    window.show()
    results: list[object] = []
    run_task(window, "Importing", _slow(1.5), results.append, results.append)
    qtbot.waitUntil(lambda: (d := window.findChild(QProgressDialog)) is not None
                    and d.isVisible(), timeout=3000)  # fmt: skip
    dialog = window.findChild(QProgressDialog)
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(results), timeout=5000)
    assert results == ["done"]  # ran to its end: not cancelled

    run_task(window, "Importing", _slow(5), results.append, results.append)
    qtbot.waitUntil(lambda: any(d.isVisible() for d in window.findChildren(QProgressDialog)),
                    timeout=3000)  # fmt: skip
    shown = next(d for d in window.findChildren(QProgressDialog) if d.isVisible())
    from PySide6.QtWidgets import QPushButton

    button = shown.findChild(QPushButton)
    assert button is not None and button.text() == "Cancel"
    button.click()
    qtbot.waitUntil(lambda: "cancelled" in window.statusBar().currentMessage(), timeout=5000)
    assert results == ["done"]  # a cancel is no failure to show
