"""The workbench on items past the large-item threshold: shown at once as plain text in the
two panes, then the changed lines marked by a worker, without rich HTML."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from labeler.gui.main_window import MainWindow
from labeler.triage.bundle_import import import_bundle
from labeler.workspace import Workspace
from tests.render.test_large_items import CHANGED, edited, large_bundle, long_text


@pytest.fixture
def large_window(qtbot, tmp_path: Path, memory_keyring) -> Iterator[MainWindow]:
    ws = Workspace.create(tmp_path / "ws.lbw")
    import_bundle(ws.store, ws.writer, large_bundle(tmp_path))
    ws.session.create_profile("Ana", "labeler", restricted_access=False)
    win = MainWindow(ws)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()
    ws.close()


def test_a_large_edit_shows_plain_text_then_its_changed_lines(
    qtbot, large_window: MainWindow
) -> None:
    view = large_window.item_view
    with qtbot.waitSignal(large_window.render_cache.lines_marked, timeout=5000) as marked:
        assert large_window.queue.select("big-edit")
    assert view.stack.currentWidget() is view.plain
    assert marked.args == ["big-edit", (list(CHANGED), list(CHANGED))]
    qtbot.waitUntil(lambda: "6 changed lines marked" in view.notes.text(), timeout=5000)
    assert not view.plain.left.is_loading() and not view.plain.right.is_loading()
    assert view.plain.left.toPlainText() == long_text()
    assert view.plain.right.toPlainText() == edited(long_text())
    assert "Large item" in view.notes.text()


def test_a_large_blind_pair_keeps_its_side_order(qtbot, large_window: MainWindow) -> None:
    view = large_window.item_view
    with qtbot.waitSignal(large_window.render_cache.lines_marked, timeout=5000):
        assert large_window.queue.select("big-pair")
    order = large_window.session.side_order("big-pair")
    texts = (long_text(), edited(long_text()))
    shown = texts if order == "AB" else texts[::-1]
    assert view.stack.currentWidget() is view.plain
    qtbot.waitUntil(lambda: not view.plain.right.is_loading(), timeout=5000)
    assert (view.plain.left.toPlainText(), view.plain.right.toPlainText()) == shown
