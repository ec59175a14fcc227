"""A first run that works: the passphrase prompt names the file and may be retried, an empty
workspace says how to fill it, the window opens at a usable size and remembers it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QInputDialog

from labeler.gui.app import open_workspace
from labeler.gui.main_window import MainWindow
from labeler.workspace import Workspace


def answer_prompts(answers: list[str], seen: list[str]) -> None:
    """Type each answer into the next passphrase dialog, noting what it asked."""

    def answer() -> None:
        dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, QInputDialog)]
        visible = [d for d in dialogs if d.isVisible()]
        if not visible:
            QTimer.singleShot(20, answer)
            return
        dialog = visible[0]
        seen.append(dialog.labelText())
        dialog.setTextValue(answers.pop(0))
        dialog.accept()
        if answers:
            QTimer.singleShot(20, answer)

    QTimer.singleShot(20, answer)


def test_a_wrong_passphrase_can_be_retried_and_the_prompt_names_the_file(
    qtbot, tmp_path: Path, no_keyring
) -> None:
    path = tmp_path / "team.lbw"
    Workspace.create(path, passphrase="the right one").close()
    seen: list[str] = []
    answer_prompts(["not it", "the right one"], seen)
    workspace = open_workspace(str(path), interactive=True)
    workspace.close()
    assert len(seen) == 2 and all("team.lbw" in text for text in seen)
    assert "does not open" in seen[1]


def test_an_empty_workspace_says_how_to_import_a_bundle(qtbot, tmp_path: Path, memory_keyring):
    with Workspace.create(tmp_path / "new.lbw") as ws:
        ws.session.create_profile("Ana", "labeler", restricted_access=False)
        window = MainWindow(ws)
        qtbot.addWidget(window)
        window.show()
        header = window.item_view.header.toPlainText()
        assert "No items yet" in header and "Import bundle" in header
        assert window.current is None
        window.save_and_advance()  # nothing to save
        assert window.writes.pending() == 0
        window.close()


def test_the_first_window_is_usable_and_its_geometry_is_remembered(
    qtbot, demo_workspace: Workspace
) -> None:
    area = QGuiApplication.primaryScreen().availableGeometry()
    first = MainWindow(demo_workspace)
    qtbot.addWidget(first)
    first.show()
    assert first.width() >= min(area.width(), 1280) * 0.95
    assert first.height() >= min(area.height(), 800) * 0.9
    queue, item, rubric = first.splitter.sizes()
    assert item >= queue and item >= rubric  # the evidence gets the most room
    assert MainWindow._pane_widths(1600) == [432, 800, 368]
    assert first.rubric_panel.keys.isVisible() and "Enter" in first.rubric_panel.keys.text()
    first.resize(first.width(), 520)
    saved = (first.width(), first.height())
    first.close()
    second = MainWindow(demo_workspace)
    qtbot.addWidget(second)
    second.show()
    assert second.height() == saved[1] == 520
    assert abs(second.width() - min(saved[0], area.width())) <= 4  # kept on screen
    second.close()
