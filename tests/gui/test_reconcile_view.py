"""The lead's comparison view and dashboard on the lead demo workspace."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from labeler.demo.build import open_or_build_demo
from labeler.gui.main_window import MainWindow
from labeler.store.resolutions import history


@pytest.fixture
def lead_window(qtbot, tmp_path: Path, memory_keyring) -> Iterator[MainWindow]:
    ws = open_or_build_demo(tmp_path / "lead.lbw", role="lead")
    win = MainWindow(ws)
    qtbot.addWidget(win)
    win.show()
    view = win.reconcile_view
    assert view is not None
    qtbot.waitUntil(lambda: not view.loader.busy() and bool(view.entries), timeout=10_000)
    yield win
    win.close()
    ws.close()


def test_lead_opens_on_the_comparison_view(lead_window: MainWindow) -> None:
    view = lead_window.reconcile_view
    assert view is not None and lead_window.tabs.currentWidget() is view
    assert view.entries and view.entries[0].resolution is None  # open ones first
    assert view.list.rowCount() == len(view.entries)
    assert view.answers.columnCount() == len(view.entries[0].labels) + 1  # labelers + final


def test_a_resolution_cannot_be_saved_without_a_note(qtbot, lead_window: MainWindow) -> None:
    view = lead_window.reconcile_view
    assert view is not None
    entry = view.current
    assert entry is not None and entry.resolution is None
    assert not view.save.isEnabled()
    view._on_save_clicked()  # even if forced: the core refuses
    assert history(lead_window.session.store, entry.item_id) == []
    view.cause.setCurrentIndex(view.cause.findData("labeler_slip"))
    qtbot.keyClicks(view.note, "Ana misread the edit.")
    assert not view.save.isEnabled()  # the final answer where they differ starts empty
    for _question in view.answers.undecided():
        view.choose_key("1")
    assert view.save.isEnabled()
    with qtbot.waitSignal(view.resolved, timeout=2000):
        view.save.click()
    past = history(lead_window.session.store, entry.item_id)
    assert [(p.cause, p.note) for p in past] == [("labeler_slip", "Ana misread the edit.")]
    qtbot.waitUntil(lambda: not view.loader.busy(), timeout=10_000)  # reloaded from the change
    assert next(e for e in view.entries if e.item_id == entry.item_id).resolution is not None


def test_agreement_dashboard_shows_figures_and_a_trend(qtbot, lead_window: MainWindow) -> None:
    lead_window.show_tab("Agreement")
    view = lead_window.agreement_view
    assert view is not None
    qtbot.waitUntil(lambda: not view.loader.busy(), timeout=20_000)  # computed off-thread
    text = view.text.toPlainText()
    assert "verdict" in text and "alpha" in text and "Ana (demo)" in text
    assert "Guideline gaps, 2026-W48" in text
    chart = view.chart.chart()
    assert {s.name() for s in chart.series()} >= {"verdict", "formatting", "reliable (0.667)"}
    verdict = next(s for s in chart.series() if s.name() == "verdict")
    assert verdict.count() == 3  # one point per week


def test_pack_export_runs_off_the_gui_thread_and_verifies(
    qtbot, tmp_path: Path, lead_window: MainWindow
) -> None:
    from labeler.crypto.signing import signing_key
    from labeler.gui.pack_actions import start_export
    from labeler.packs.verify import verify_pack

    results: list[dict] = []
    thread = start_export(
        lead_window, lead_window.workspace, "eval", (), tmp_path / "pack", results.append
    )
    with qtbot.waitSignal(thread.succeeded, timeout=20_000):
        pass
    qtbot.waitUntil(lambda: bool(results), timeout=5_000)
    key = tmp_path / "lead.pub"
    key.write_text(signing_key(lead_window.workspace.store).public.minisign_file())
    assert verify_pack(tmp_path / "pack", key)["pack_id"] == results[0]["pack_id"]


def test_eval_tab_and_the_cli_chart(qtbot, tmp_path: Path, lead_window: MainWindow) -> None:
    from click.testing import CliRunner

    from labeler.cli import cli

    lead_window.show_tab("Eval")
    view = lead_window.eval_view
    assert view is not None
    qtbot.waitUntil(lambda: not view.loader.busy(), timeout=10_000)
    assert "(candidate) vs" in view.text.toPlainText()
    assert view.data is not None
    assert view.losses.count() == sum(
        len(g.losses_driven_by) for g in view.data.case_types.values()
    )
    first = view.losses.item(0)
    view._on_losses_item_double_clicked(first)
    assert lead_window.tabs.tabText(lead_window.tabs.currentIndex()) == "Label"
    png = tmp_path / "chart.png"
    path = str(lead_window.workspace.path)
    out = CliRunner().invoke(cli, ["--workspace", path, "eval", "report", "--png", str(png)])
    assert out.exit_code == 0 and png.stat().st_size > 5000


def test_home_view_shows_the_week_and_links(qtbot, lead_window: MainWindow) -> None:
    lead_window.show_tab("Home")
    home = lead_window.home_view
    assert home is not None
    qtbot.waitUntil(lambda: not home.loader.busy(), timeout=20_000)  # computed off-thread
    assert home.data is not None and home.data.week == "2026-W48"
    assert "DO NOT SHIP" in home.blocks["gate"].text()
    assert "open" in home.blocks["disagreements"].text()
    assert [len(v.chart().series()[0].points()) for v in home.charts] == [3, 3, 3]
    home.open_requested.emit("Agreement")
    assert lead_window.tabs.tabText(lead_window.tabs.currentIndex()) == "Agreement"


def test_saving_resolutions_in_a_row_lands_each_on_the_item_shown(
    qtbot, lead_window: MainWindow
) -> None:
    """Defect: after a save the panels kept the resolved item and its note; a second save
    added another resolution to the same item (seen 21 times on one item)."""
    view = lead_window.reconcile_view
    assert view is not None
    open_ones = [e.item_id for e in view.entries if e.resolution is None]
    assert len(open_ones) >= 2
    resolved = []
    for number in range(len(open_ones)):
        entry = view.current
        assert entry is not None and entry.resolution is None
        assert view.note.toPlainText() == ""  # a cleared note for every new item
        shown = view.item_view.item
        assert shown is not None and shown.id == entry.item_id  # panels show what is saved
        view.cause.setCurrentIndex(view.cause.findData("labeler_slip"))
        for _question in view.answers.undecided():
            view.choose_key("1")
        qtbot.keyClicks(view.note, f"Note {number}.")
        with qtbot.waitSignal(view.resolved, timeout=2000):
            view.save.click()
        resolved.append(entry.item_id)
        assert view.current is None or view.current.item_id != entry.item_id
    assert sorted(resolved) == sorted(open_ones)
    for number, item_id in enumerate(resolved):
        past = history(lead_window.session.store, item_id)
        assert [p.note for p in past] == [f"Note {number}."]
    # Nothing open is left: the view shows nothing, and a forced save records nothing.
    assert view.current is None and view.item_view.item is None
    assert not view.save.isEnabled() and "All resolved" in view.message.text()
    view._on_save_clicked()
    qtbot.waitUntil(lambda: not view.loader.busy(), timeout=10_000)
    for item_id in resolved:
        assert len(history(lead_window.session.store, item_id)) == 1
    assert all(e.resolution is not None for e in view.entries)


def test_reconcile_by_keyboard_alone_with_the_default_cause(qtbot, lead_window: MainWindow) -> None:
    """Choose with the number keys, write the note, Enter saves — the cause as it comes (a
    guideline gap citing the question that differs) saves the first time."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    with qtbot.waitActive(lead_window):
        lead_window.activateWindow()
    view = lead_window.reconcile_view
    assert view is not None and view.current is not None
    entry = view.current
    label_answers = lead_window.rubric_panel.answers()
    for _ in view.answers.undecided():
        qtbot.keyClick(QApplication.focusWidget() or lead_window, Qt.Key.Key_1)
    assert view.answers.undecided() == []
    assert QApplication.focusWidget() is view.note  # the keys go on to the note
    assert lead_window.rubric_panel.answers() == label_answers  # the Label tab untouched
    assert view.cause.currentData() == "guideline_gap"
    assert view.clause.currentData() == entry.questions[0]
    qtbot.keyClicks(view.note, "The guide is silent on this.")
    with qtbot.waitSignal(view.resolved, timeout=2000):
        qtbot.keyClick(view.note, Qt.Key.Key_Return)
    past = history(lead_window.session.store, entry.item_id)
    assert [(p.cause, p.clause) for p in past] == [("guideline_gap", entry.questions[0])]
    assert view.current is not None and view.current.item_id != entry.item_id
    row = view.list.currentRow()
    qtbot.keyClick(lead_window, Qt.Key.Key_J)
    assert view.list.currentRow() == row + 1
    qtbot.keyClick(lead_window, Qt.Key.Key_K)
    assert view.list.currentRow() == row
    me = lead_window.session.profile
    assert me is not None and lead_window.session.label_of(entry.item_id) is None


def test_a_reload_keeps_the_resolution_the_lead_has_begun(qtbot, lead_window: MainWindow) -> None:
    """Defect: a background change (a label import, the reload after a save) showed the
    same item again with its answers reset and the note emptied."""
    view = lead_window.reconcile_view
    assert view is not None and view.current is not None
    entry = view.current
    for _question in view.answers.undecided():
        view.choose_key("1")
    chosen = view.answers.chosen()
    assert chosen
    qtbot.keyClicks(view.note, "Half a note")
    with qtbot.waitSignal(view.refreshed, timeout=10_000):
        view.refresh()
    assert view.current is not None and view.current.item_id == entry.item_id
    assert view.answers.chosen() == chosen
    assert view.note.toPlainText() == "Half a note"
    assert view.save.isEnabled()
    with qtbot.waitSignal(view.resolved, timeout=2000):
        view.save.click()
    assert [p.note for p in history(lead_window.session.store, entry.item_id)] == ["Half a note"]


def test_after_a_save_by_enter_the_keys_choose_the_next_answers(
    qtbot, lead_window: MainWindow
) -> None:
    """Defect: after Enter saved, the focus stayed in the note: '1' was typed into the next
    item's note instead of choosing its first final answer."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    with qtbot.waitActive(lead_window):
        lead_window.activateWindow()
    view = lead_window.reconcile_view
    assert view is not None and view.current is not None
    for _ in view.answers.undecided():
        qtbot.keyClick(QApplication.focusWidget() or lead_window, Qt.Key.Key_1)
    qtbot.keyClicks(view.note, "First.")
    with qtbot.waitSignal(view.resolved, timeout=2000):
        qtbot.keyClick(view.note, Qt.Key.Key_Return)
    following = view.current
    assert following is not None and view.answers.undecided()
    before = len(view.answers.undecided())
    qtbot.keyClick(QApplication.focusWidget() or lead_window, Qt.Key.Key_1)
    assert view.note.toPlainText() == ""
    assert len(view.answers.undecided()) == before - 1


def test_the_privacy_buttons_act_on_the_disagreement_shown(
    qtbot, lead_window: MainWindow, monkeypatch
) -> None:
    """Defect: in Reconcile, 'Send to restricted queue' and 'Mark personal data…' did
    nothing, and stayed enabled with no item shown."""
    from PySide6.QtWidgets import QMessageBox

    view = lead_window.reconcile_view
    assert view is not None and view.current is not None
    item_id = view.current.item_id
    assert view.item_view.restrict_button.isEnabled()
    monkeypatch.setattr(QMessageBox, "question", lambda *_a, **_k: QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(lead_window.changes_applied, timeout=2000):
        view.item_view.restrict_button.click()
    assert lead_window.session.store.query(
        "SELECT restricted FROM items WHERE id = ?", (item_id,)
    ) == [(1,)]
    view._select_row(None)
    assert not view.item_view.restrict_button.isEnabled()
    assert not view.item_view.mark_button.isEnabled()


def test_eval_pairs_are_named_in_reconcile_and_counted_apart_on_home(
    qtbot, lead_window: MainWindow
) -> None:
    view = lead_window.reconcile_view
    assert view is not None
    rows = [r for r, e in enumerate(view.entries) if e.kind == "eval_pair"]
    assert rows and all(view.list.item(r, 0).text().startswith("eval pair · ") for r in rows)
    assert not any(view.list.item(r, 0).text().startswith("eval pair") for r in
                   set(range(len(view.entries))) - set(rows))  # fmt: skip
    unresolved = [r for r in rows if view.entries[r].resolution is None]
    assert f"(of the open, {len(unresolved)} eval pair" in view.summary.text()
    lead_window.show_tab("Home")
    home = lead_window.home_view
    assert home is not None
    qtbot.waitUntil(lambda: not home.loader.busy(), timeout=20_000)
    assert home.data is not None
    text = home.blocks["disagreements"].text()
    assert home.data.disagreements.text().replace("; ", "<br>") == text
    assert f"eval pairs: {len(unresolved)} open" in text
    open_total = sum(1 for e in view.entries if e.resolution is None)
    counted = home.data.disagreements.open + home.data.disagreements.eval_open
    assert f"{open_total} open" in view.summary.text() and counted == open_total


def test_a_long_home_block_scrolls_instead_of_cutting_its_text(
    qtbot, lead_window: MainWindow
) -> None:
    """The gate's and the rollout's texts were cut off mid-line at 1440 x 900."""
    from PySide6.QtWidgets import QApplication, QScrollArea

    lead_window.resize(1440, 900)
    lead_window.show_tab("Home")
    home = lead_window.home_view
    assert home is not None
    qtbot.waitUntil(lambda: not home.loader.busy(), timeout=20_000)
    QApplication.processEvents()
    for key in ("gate", "rollout"):
        label = home.blocks[key]
        scroll = label.parentWidget().parentWidget()
        assert isinstance(scroll, QScrollArea), key
        # the whole text is laid out in the label; the box scrolls to show it
        assert label.height() >= label.heightForWidth(label.width()) > scroll.viewport().height()
        assert scroll.verticalScrollBar().maximum() > 0
