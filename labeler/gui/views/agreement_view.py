"""AgreementView: the lead's dashboard — agreement per question for a week with intervals and
flags, per reason code, labelers against the gold labels, and alpha per question across the
weeks as a chart (with the 0.667 reliability line), so a drift in "what good means" shows."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCharts import QChart, QChartView, QLineSeries
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from labeler.errors import LabelerError
from labeler.gui import chart_style
from labeler.gui.views.loader import LoadedView
from labeler.labeling.session import LabelingSession
from labeler.team.agreement_report import RELIABLE_ALPHA, gap_digest, report
from labeler.team.agreement_types import AgreementReport, GapGroup
from labeler.workspace import Workspace


def _f(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def report_html(data: AgreementReport) -> str:
    """The week's figures; questions nobody answered twice this week (an eval's per-side
    checks, say) are left out of the table and listed once below it."""
    rows = []
    answered = [block for block in data.questions if block.stats.n]
    unanswered = [block.stats.question for block in data.questions if not block.stats.n]
    for block in answered:
        q, ci = block.stats, block.stats.alpha_ci95
        interval = f"{ci[0]:.2f} – {ci[1]:.2f}" if ci else "—"
        colour = "#c62828" if q.flag == "unreliable" else ("#8a6d00" if q.flag else "inherit")
        rows.append(
            f"<tr><td><b>{html.escape(q.question)}</b></td><td align=right>{q.n}</td>"
            f"<td align=right>{_f(q.percent)}</td><td align=right>{_f(q.kappa)}</td>"
            f"<td align=right>{_f(q.alpha)}</td><td>{interval}</td>"
            f"<td style='color:{colour}'>{html.escape(q.flag or 'ok')}</td></tr>"
        )
    reasons = []
    for block in answered:
        cells = ", ".join(
            f"{html.escape(r.reason)} {_f(r.stats.alpha)} ({r.stats.n})" for r in block.by_reason
        )
        reasons.append(f"<li><b>{html.escape(block.stats.question)}</b>: {cells or '—'}</li>")
    people = []
    for entry in data.labeler_vs_gold:
        weeks = " · ".join(f"{w.week}: {w.agreement:.0%}" for w in entry.weeks)
        people.append(f"<li><b>{html.escape(entry.name)}</b>: {weeks}</li>")
    pooled = ", ".join(f"{q.question} {_f(q.alpha)} ({q.n})" for q in data.pooled.questions if q.n)
    none_paired = (
        f"<p>No paired items this week for: {html.escape(', '.join(unanswered))}.</p>"
        if unanswered
        else ""
    )
    counts = data.disagreements
    pooled_weeks = ", ".join(data.pooled.weeks)
    return (
        f"<h3>Week {html.escape(data.week or '—')}</h3>"
        "<table cellspacing=0 cellpadding=4 border=1><tr><th>question</th><th>items</th>"
        "<th>agree</th><th>kappa</th><th>alpha</th><th>alpha 95% CI (bootstrap)</th>"
        "<th>flag</th></tr>"
        + "".join(rows)
        + f"</table>{none_paired}<p>Flags: alpha below {RELIABLE_ALPHA} is too unreliable "
        "to train on; fewer "
        f"than {data.thresholds.min_items} paired items make a week's figure meaningless.</p>"
        f"<p><b>Pooled</b> over {html.escape(pooled_weeks)}: {html.escape(pooled)}</p>"
        f"<h4>Alpha per reason code (items)</h4><ul>{''.join(reasons)}</ul>"
        f"<h4>Labelers against the gold labels</h4><ul>{''.join(people) or '<li>—</li>'}</ul>"
        f"<p>Disagreements: {html.escape(counts.text())}.</p>"
    )


def gaps_html(gaps: tuple[GapGroup, ...], week: str | None) -> str:
    """The week's guideline-gap digest: disagreements from unclear clauses, by clause."""
    if not gaps:
        return f"<h4>Guideline gaps, {html.escape(week or '—')}</h4><p>None this week.</p>"
    groups = "".join(
        f"<li><b>{html.escape(g.clause)}</b> ({g.count}): "
        + "; ".join(html.escape(e.note) for e in g.items)
        + "</li>"
        for g in gaps
    )
    return f"<h4>Guideline gaps, {html.escape(week or '—')}</h4><ul>{groups}</ul>"


def trend_chart(data: AgreementReport) -> QChart:
    chart = QChart()
    chart.setTitle("Krippendorff's alpha per question, by week")
    chart_style.tidy(chart)
    weeks = data.weeks
    axis_x = chart_style.week_axis(list(weeks))
    axis_y = chart_style.value_axis(-0.2, 1.0, ticks=7, title="alpha")
    chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
    # Questions with no paired items in any week (an eval's per-side checks) are left out.
    shown = [t for t in data.trend if any(point.alpha is not None for point in t.points)]
    for colour_index, trend in enumerate(shown):
        series = QLineSeries()
        series.setName(trend.question)
        chart_style.style_line(series, colour_index)
        for index, point in enumerate(trend.points):
            if point.alpha is not None:
                series.append(index, point.alpha)
        chart.addSeries(series)
        series.attachAxis(axis_x)
        series.attachAxis(axis_y)
    line = QLineSeries()
    line.setName(f"reliable ({RELIABLE_ALPHA})")
    line.append(axis_x.min(), RELIABLE_ALPHA)
    line.append(axis_x.max(), RELIABLE_ALPHA)
    pen = QPen(QColor("#333333"))  # black dashes: no series' colour is taken by the line
    pen.setStyle(Qt.PenStyle.DashLine)
    line.setPen(pen)
    chart.addSeries(line)
    line.attachAxis(axis_x)
    line.attachAxis(axis_y)
    for release in data.releases:  # a vertical marker where each rubric release falls
        marker = QLineSeries()
        marker.setName(f"rubric {release.version}")
        marker.append(release.position, -0.2)
        marker.append(release.position, 1.0)
        marker.setPen(QPen(Qt.GlobalColor.darkGray, 2, Qt.PenStyle.DotLine))
        chart.addSeries(marker)
        marker.attachAxis(axis_x)
        marker.attachAxis(axis_y)
        # a release before the first or after the last week still shows, at the edge
        low, high = min(axis_x.min(), release.position - 0.25), release.position + 0.25
        axis_x.setRange(low, max(axis_x.max(), high))
    return chart


class AgreementView(LoadedView):
    """The dashboard for a week; the report (with its bootstrap) is computed off the GUI
    thread, for the week chosen when it was asked for."""

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(workspace, parent)
        self.week = QComboBox()
        self.week.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.week.setMinimumContentsLength(len("2026-W48"))
        self.week.currentIndexChanged.connect(self._on_week_changed)
        self.text = QTextBrowser()
        self.chart = QChartView()
        self.chart.setRenderHint(QPainter.RenderHint.Antialiasing)
        top = QHBoxLayout()
        top.addWidget(QLabel("Week"))
        top.addWidget(self.week)
        top.addStretch(1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.text)
        splitter.addWidget(self.chart)
        splitter.setSizes([420, 320])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        self.data: AgreementReport | None = None
        self._asked_week: str | None = None

    def refresh(self, *_args: object) -> None:
        self._asked_week = self.week.currentText() or None
        if self.data is None:
            self.text.setHtml("<p><i>Computing agreement…</i></p>")
        super().refresh()

    def load(self, session: LabelingSession) -> tuple[AgreementReport, Any]:
        data = report(session, self._asked_week)
        return data, gap_digest(session, data.week)

    def show_data(self, loaded: tuple[AgreementReport, Any]) -> None:
        data, gaps = loaded
        self.data = data
        self.week.blockSignals(True)
        self.week.clear()
        self.week.addItems(list(data.weeks))
        if data.week:
            self.week.setCurrentText(data.week)
        self.week.blockSignals(False)
        self.text.setHtml(report_html(data) + gaps_html(gaps, data.week))
        self.chart.setChart(trend_chart(data))

    def show_problem(self, err: BaseException) -> None:
        text = str(err) if isinstance(err, LabelerError) else "The agreement report failed."
        self.text.setHtml(f"<p><b>{html.escape(text)}</b></p>")

    def _on_week_changed(self, _index: int) -> None:
        self.refresh()
