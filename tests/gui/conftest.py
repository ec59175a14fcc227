"""GUI fixtures: a demo workspace and the real main window on it (offscreen)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from labeler.demo.build import open_or_build_demo
from labeler.gui.main_window import MainWindow
from labeler.workspace import Workspace


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path) -> Iterator[None]:
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "qs"))
    QApplication.setOrganizationName("LabelerTests")
    QApplication.setApplicationName("LabelerTests")
    yield


@pytest.fixture
def demo_workspace(tmp_path: Path, memory_keyring) -> Iterator[Workspace]:
    ws = open_or_build_demo(tmp_path / "demo.lbw")
    yield ws
    ws.close()


@pytest.fixture
def window(qtbot, demo_workspace: Workspace) -> Iterator[MainWindow]:
    win = MainWindow(demo_workspace)
    qtbot.addWidget(win)
    win.show()
    win.activateWindow()
    qtbot.waitExposed(win)
    yield win
    win.close()  # before the workspace closes: stops the prefetch timer, lets workers finish
