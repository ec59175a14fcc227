"""A first run that works: the passphrase prompt names the file and may be retried, an empty
workspace says how to fill it, the window opens at a usable size and remembers it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QInputDialog

from labeler.gui.app import open_workspace
from labeler.gui.main_window import MainWindow
from labeler.gui.window_layout import pane_widths
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
    assert pane_widths(1600) == [432, 800, 368]
    assert first.rubric_panel.keys.isVisible() and "Enter" in first.rubric_panel.keys.text()
    first.resize(first.width(), 520)
    saved = (first.width(), first.height())
    first.close()
    second = MainWindow(demo_workspace)
    qtbot.addWidget(second)
    second.show()
    assert second.height() == saved[1] == 520
    assert min(saved[0], area.width()) - 4 <= second.width() <= saved[0]  # kept on screen
    second.close()


def test_charts_draw_one_week_with_round_ticks_and_distinct_colours(qtbot) -> None:
    from PySide6.QtCharts import QCategoryAxis, QLineSeries, QValueAxis
    from PySide6.QtCore import Qt

    from labeler.gui import chart_style
    from labeler.gui.views.home_view import _spark
    from labeler.status import SignalPoint

    one = [SignalPoint(week="2026-W48", high_intent_share=0.4, retry_rate=0.1,
                       restricted_share=0.2)]  # fmt: skip
    charts = [_spark(one, key, key, index) for index, key in
              enumerate(("high_intent_share", "retry_rate", "restricted_share"))]  # fmt: skip
    colours = set()
    for chart in charts:
        (series,) = chart.series()
        assert isinstance(series, QLineSeries) and series.count() == 1
        assert series.pointsVisible()  # one week is one point a person can see
        colours.add(series.pen().color().name())
        week_axis = next(a for a in chart.axes() if isinstance(a, QCategoryAxis))
        assert week_axis.min() < 0 < week_axis.max()  # the label is not on the clipped edge
        (value,) = chart.axes(Qt.Orientation.Vertical)
        assert isinstance(value, QValueAxis)
        assert value.tickCount() == 6 and value.labelFormat() == "%.1f"  # 0.0, 0.2, 0.4…
    assert len(colours) == 3
    assert len(set(chart_style.PALETTE)) == 10
