"""RolloutView: the lead's staged rollouts — per recorded check, one difference chart per
guarded signal over the days (candidate minus baseline, its anytime-valid interval as a band,
the guard as a dashed line), the verdict with its reasons, and the signals per version.

It shows what ``labeler rollout check`` recorded (signed) in the workspace, never a check of
its own; the data loads off the GUI thread (``LoadedView``).
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from typing import Any

from PySide6.QtCharts import (
    QAreaSeries,
    QChart,
    QChartView,
    QDateTimeAxis,
    QLineSeries,
    QScatterSeries,
    QValueAxis,
)
from PySide6.QtCore import QDateTime, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QComboBox, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from labeler.errors import LabelerError
from labeler.gui.views.loader import LoadedView
from labeler.labeling.session import LabelingSession
from labeler.rollout.record import gate_of, latest_checks
from labeler.store.evals import GateRun
from labeler.store.rollouts import RolloutRun
from labeler.workspace import Workspace

VERDICT_COLOURS = {"PROMOTE": "#2e7d32", "ROLLBACK": "#c62828", "CONTINUE": "#8d6e00"}
BAND = {"crossed": QColor(198, 40, 40, 70), "within": QColor(46, 125, 50, 60)}
UNDECIDED_BAND = QColor(120, 120, 120, 60)


@dataclass(frozen=True)
class RolloutData:
    """Every candidate's last check, with the gate run it rests on."""

    checks: tuple[tuple[RolloutRun, GateRun | None], ...]


def _load(session: LabelingSession) -> RolloutData:
    return RolloutData(tuple((run, gate_of(session, run)) for run in latest_checks(session)))


def _moment(day: str) -> float:
    """Milliseconds since the epoch of a day's UTC noon (what QDateTimeAxis plots): the axis
    labels in local time, and noon keeps the label's date right from UTC-12 to UTC+12."""
    moment = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(12), dt.UTC)
    return moment.timestamp() * 1000


def _line(points: list[tuple[float, float]], pen: QPen, name: str) -> QLineSeries:
    series = QLineSeries()
    series.setName(name)
    series.setPen(pen)
    for x, y in points:
        series.append(x, y)
    return series


def difference_chart(signal: dict[str, Any]) -> QChart:
    """Candidate minus baseline of one signal, day by day: the estimate, the interval band,
    the guard (dashed) and no difference (grey)."""
    chart = QChart()
    tolerated = signal["max_worsening"] * (1 if signal["worse"] == "higher" else -1)
    chart.setTitle(f"{signal['signal']} — {signal['state']} (guard {tolerated:+.3f})")
    chart.legend().setVisible(False)
    seen = [p for p in signal["series"] if p["estimate"] is not None]
    days = [_moment(p["date"]) for p in signal["series"]]
    if seen:
        low = _line([(_moment(p["date"]), p["low"]) for p in seen], QPen(Qt.PenStyle.NoPen), "")
        high = _line([(_moment(p["date"]), p["high"]) for p in seen], QPen(Qt.PenStyle.NoPen), "")
        band = QAreaSeries(high, low)
        for edge in (high, low):  # the area does not own its edges: without a parent, Python
            edge.setParent(band)  # frees them while Qt still draws them (a crash)
        band.setName("interval")
        band.setBrush(BAND.get(signal["state"], UNDECIDED_BAND))
        band.setPen(QPen(Qt.PenStyle.NoPen))
        chart.addSeries(band)
        estimate = [(_moment(p["date"]), p["estimate"]) for p in seen]
        chart.addSeries(_line(estimate, QPen(QColor(40, 40, 40), 2), "estimate"))
    span = (min(days), max(days)) if days else (0.0, 86_400_000.0)
    guard_pen = QPen(QColor(198, 40, 40), 1.5, Qt.PenStyle.DashLine)
    chart.addSeries(_line([(span[0], tolerated), (span[1], tolerated)], guard_pen, "guard"))
    chart.addSeries(_line([(span[0], 0.0), (span[1], 0.0)], QPen(QColor(150, 150, 150)), "zero"))
    crossed = [p for p in seen if p["date"] == signal.get("crossed_on")]
    if crossed:  # where the whole interval first lay beyond the guard
        marker = QScatterSeries()
        marker.setName("crossed")
        marker.setColor(QColor(198, 40, 40))
        marker.setMarkerSize(10)
        marker.append(_moment(crossed[0]["date"]), crossed[0]["estimate"])
        chart.addSeries(marker)
    # The first days' intervals are wide: the range follows the later half, the guard and 0.
    later = seen[len(seen) // 2 :]
    values = [tolerated, 0.0] + [v for p in later for v in (p["low"], p["high"])]
    _axes(chart, span, max(min(values), -1.0), min(max(values), 1.0), len(days))
    return chart


def _axes(chart: QChart, span: tuple[float, float], low: float, high: float, days: int) -> None:
    axis_x = QDateTimeAxis()
    axis_x.setFormat("MMM d")
    axis_x.setTickCount(max(2, min(days, 10)))
    axis_x.setRange(
        QDateTime.fromMSecsSinceEpoch(int(span[0])),
        QDateTime.fromMSecsSinceEpoch(int(max(span[1], span[0] + 86_400_000))),
    )
    axis_y = QValueAxis()
    margin = (high - low) * 0.1 or 0.01
    axis_y.setRange(low - margin, high + margin)
    axis_y.setLabelFormat("%+.3f")
    axis_y.setTitleText("candidate − baseline")
    chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
    for series in chart.series():
        series.attachAxis(axis_x)
        series.attachAxis(axis_y)


def summary_html(run: RolloutRun, gate: GateRun | None) -> str:
    figures = run.figures
    colour = VERDICT_COLOURS.get(run.verdict, "#000")
    gate_text = (
        f"beside gate run {gate.id} ({html.escape(gate.verdict)}, {html.escape(gate.at)}, "
        f"policy {html.escape(gate.policy_sha256[:12])})"
        if gate
        else "no SHIP gate run of this version is recorded here"
    )
    reasons = "".join(f"<li>{html.escape(r)}</li>" for r in run.reasons)
    rows = "".join(
        "<tr><td>{}</td><td>{}</td>{}</tr>".format(
            html.escape(v["version"]),
            v["requests"],
            "".join(f"<td>{'—' if r is None else f'{r:.4f}'}</td>" for r in v["rates"].values()),
        )
        for v in figures["versions"]
    )
    names = list(figures["versions"][0]["rates"]) if figures["versions"] else []
    head = "".join(f"<th>{html.escape(n)}</th>" for n in ["version", "requests", *names])
    return (
        f"<h3><span style='color:{colour}'>{html.escape(run.verdict)}</span> — "
        f"{html.escape(run.candidate)} vs {html.escape(run.baseline)}, stage "
        f"{html.escape(run.stage)} (day {figures['days_in_stage']} of at least "
        f"{figures['min_days']})</h3>"
        f"<p>Check {run.id}, {html.escape(run.at)} by {html.escape(run.run_by_name or '—')}; "
        f"{figures['first_day']} to {figures['last_day']}; alpha {figures['alpha']}; "
        f"plan {html.escape(run.plan_sha256[:12])}; signed; {gate_text}.</p>"
        f"<ul>{reasons}</ul>"
        f"<table border=1 cellspacing=0 cellpadding=3><tr>{head}</tr>{rows}</table>"
    )


class RolloutView(LoadedView):
    """The recorded rollout checks, one candidate at a time, as charts."""

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(workspace, parent)
        self.data: RolloutData | None = None
        self.chooser = QComboBox()
        self.chooser.currentIndexChanged.connect(self._on_chooser_current_index_changed)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.grid = QGridLayout()
        self.charts: list[QChartView] = []
        top = QHBoxLayout()
        top.addWidget(QLabel("Candidate"))
        top.addWidget(self.chooser, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addLayout(self.grid, 1)

    def load(self, session: LabelingSession) -> RolloutData:
        return _load(session)

    def show_problem(self, err: BaseException) -> None:
        self.data = None
        text = str(err) if isinstance(err, LabelerError) else "The rollout checks failed to load."
        self.summary.setText(f"<p><b>{html.escape(text)}</b></p>")

    def show_data(self, data: RolloutData) -> None:
        self.data = data
        self.chooser.blockSignals(True)
        self.chooser.clear()
        for run, _ in data.checks:
            self.chooser.addItem(f"{run.candidate} vs {run.baseline} ({run.verdict})")
        self.chooser.blockSignals(False)
        self._show(0)

    def _on_chooser_current_index_changed(self, index: int) -> None:
        self._show(index)

    def _show(self, index: int) -> None:
        for view in self.charts:
            self.grid.removeWidget(view)
            view.deleteLater()
        self.charts = []
        if self.data is None or not self.data.checks:
            self.summary.setText(
                "<p>No rollout check yet: run <code>labeler rollout check EVENTS --baseline V "
                "--candidate V --plan rubrics/rollout.yaml --exposures F</code>.</p>"
            )
            return
        run, gate = self.data.checks[max(index, 0)]
        self.summary.setText(summary_html(run, gate))
        for number, signal in enumerate(run.figures["signals"]):
            view = QChartView(difference_chart(signal))
            view.setRenderHint(QPainter.RenderHint.Antialiasing)
            view.setMinimumHeight(220)
            self.grid.addWidget(view, number // 2, number % 2)
            self.charts.append(view)
