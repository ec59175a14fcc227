"""The lead's Rollout tab: the recorded checks as difference charts, loaded off the GUI
thread and following Changes; Home shows the signals per version with their guards."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCharts import QAreaSeries, QScatterSeries

from labeler.changes import Changes
from labeler.demo.build import open_or_build_demo
from labeler.demo.rollout import BASE_RATES, schedule, simulate
from labeler.gui.main_window import MainWindow
from labeler.resources import shipped_path
from labeler.rollout.check import check_rollout
from labeler.rollout.plan import read_plan
from labeler.rollout.record import record_check
from labeler.rollout.signals import read_tally


@pytest.fixture
def lead_window(qtbot, tmp_path: Path, memory_keyring) -> Iterator[MainWindow]:
    ws = open_or_build_demo(tmp_path / "lead.lbw", role="lead")
    win = MainWindow(ws)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()
    ws.close()


def test_the_rollout_tab_charts_each_guarded_signal(qtbot, lead_window: MainWindow) -> None:
    assert "Rollout" in lead_window.tab_names()
    lead_window.show_tab("Rollout")
    view = lead_window.rollout_view
    assert view is not None and view.data is None  # nothing read on the GUI thread
    qtbot.waitUntil(lambda: not view.loader.busy() and view.data is not None, timeout=10_000)
    assert (
        "ROLLBACK" in view.summary.text() and "retry_rate crossed its guard" in view.summary.text()
    )
    assert view.chooser.count() == 1 and len(view.charts) == 4
    run = view.data.checks[0][0]
    days = len(run.figures["signals"][0]["series"])
    by_title = {v.chart().title().split(" ")[0]: v.chart() for v in view.charts}
    assert set(by_title) == {"edit_rate", "retry_rate", "side_by_side_loss_rate",
                             "sensitive_data_rate"}  # fmt: skip
    for chart in by_title.values():
        (band,) = [s for s in chart.series() if isinstance(s, QAreaSeries)]
        assert len(band.upperSeries().points()) == days
    retry = by_title["retry_rate"]
    assert "crossed" in retry.title()
    assert [s for s in retry.series() if isinstance(s, QScatterSeries)]  # where it crossed


def test_a_new_check_appears_when_changes_reach_the_view(
    qtbot, tmp_path: Path, lead_window: MainWindow
) -> None:
    lead_window.show_tab("Rollout")
    view = lead_window.rollout_view
    assert view is not None
    qtbot.waitUntil(lambda: not view.loader.busy() and view.data is not None, timeout=10_000)
    days = schedule(20_000, [("internal", None, 2), ("canary", 0.05, 3)])
    events, exposures = simulate(
        tmp_path, days, "2026.11.2", "2026.12.1", BASE_RATES, start=dt.date(2026, 12, 8)
    )
    plan = read_plan(shipped_path("rubrics", "rollout.yaml"))
    verdict = check_rollout(read_tally([events], exposures), plan, "2026.11.2", "2026.12.1")
    record_check(lead_window.session, plan, verdict)
    view.note_changes(Changes(all_items=True))
    qtbot.waitUntil(lambda: not view.loader.busy() and view.chooser.count() == 2, timeout=10_000)
    assert view.chooser.itemText(0).startswith("2026.12.1 vs 2026.11.2 (CONTINUE)")
    view.chooser.setCurrentIndex(1)
    assert "2026.11.3" in view.summary.text() and len(view.charts) == 4


def test_home_shows_the_signals_per_version_with_their_guards(
    qtbot, lead_window: MainWindow
) -> None:
    lead_window.show_tab("Home")
    home = lead_window.home_view
    assert home is not None
    qtbot.waitUntil(lambda: not home.loader.busy() and home.data is not None, timeout=10_000)
    text = home.blocks["rollout"].text()
    assert "ROLLBACK</b> 2026.11.3 vs 2026.11.2, stage canary" in text
    assert "retry_rate:" in text and "guard +0.0100 — crossed" in text
    assert "<i>2026.11.2</i>: edit" in text and "<i>2026.11.3</i>: edit" in text


def test_the_eval_tab_lists_the_gates_actually_run(qtbot, lead_window: MainWindow) -> None:
    from labeler.evals.gate_runs import run_in_workspace

    lead_window.show_tab("Eval")
    view = lead_window.eval_view
    assert view is not None
    qtbot.waitUntil(lambda: not view.loader.busy() and view.data is not None, timeout=10_000)
    text = view.text.toPlainText()
    assert "Gates run" in text and "DO NOT SHIP" in text and "min_items" in text
    assert len(view.runs) == 1 and view.runs[0].signature
    run_in_workspace(lead_window.session, shipped_path("rubrics", "gate.yaml"))
    view.note_changes(Changes(all_items=True))
    qtbot.waitUntil(lambda: not view.loader.busy() and len(view.runs) == 2, timeout=10_000)
