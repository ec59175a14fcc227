"""Where the window and its panes were, kept in the settings: restored on open (a first run
gets most of the screen, the evidence the widest pane), saved on close."""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMainWindow, QSplitter


def restore(window: QMainWindow, splitter: QSplitter, settings: QSettings) -> None:
    geometry = settings.value("window/geometry")
    if geometry is None or not window.restoreGeometry(geometry):
        first_run_geometry(window)
    sizes = settings.value("window/splitter")
    if sizes is None or not splitter.restoreState(sizes):
        splitter.setSizes(pane_widths(window.width()))


def save(window: QMainWindow, splitter: QSplitter, settings: QSettings) -> None:
    settings.setValue("window/geometry", window.saveGeometry())
    settings.setValue("window/splitter", splitter.saveState())


def first_run_geometry(window: QMainWindow) -> None:
    """Nine tenths of the screen (at least 1280x800 where the screen has it), centred."""
    screen = QGuiApplication.primaryScreen()
    if screen is None:
        window.resize(1440, 900)
        return
    area = screen.availableGeometry()
    width = max(min(area.width(), 1280), int(area.width() * 0.9))
    height = max(min(area.height(), 800), int(area.height() * 0.9))
    window.resize(min(width, area.width()), min(height, area.height()))
    frame = window.frameGeometry()
    frame.moveCenter(area.center())
    window.move(frame.topLeft())


def pane_widths(total: int) -> list[int]:
    """Queue, item and rubric: the item gets what the other two leave."""
    queue, rubric = total * 27 // 100, total * 23 // 100
    return [queue, total - queue - rubric, rubric]
