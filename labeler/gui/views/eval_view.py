"""EvalView: the candidate against the current model — figures, the win-rate chart, and the
items behind each loss (double-click one to open it in the Label tab)."""

from __future__ import annotations

import html

from PySide6.QtCharts import QChartView
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from labeler.errors import LabelerError
from labeler.evals.results import EvalReport, GroupFigures, report
from labeler.gui.charts import win_rate_chart
from labeler.gui.views.loader import LoadedView
from labeler.labeling.session import LabelingSession
from labeler.workspace import Workspace


def _row(case: str, g: GroupFigures) -> str:
    cells = [html.escape(case), g.items, g.wins, g.losses, g.ties, f"{g.win_rate:.2f}"]
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def eval_html(data: EvalReport) -> str:
    if not data.bundle_id:
        return "<p>No eval bundle yet: build one with <code>labeler eval build</code>.</p>"
    o = data.overall
    rate = "—" if o.win_rate is None else f"{o.win_rate:.3f}"
    ci = f", 95% CI {o.ci95[0]:.2f}–{o.ci95[1]:.2f}" if o.ci95 else ""
    rows = "".join(_row(case, g) for case, g in data.case_types.items())
    safety, formatting = data.pass_rates["safety"], data.pass_rates["formatting"]
    bias = data.position_bias
    warn = " <b style='color:#c62828'>Labelers favour a side.</b>" if bias.biased else ""
    head = "".join(
        f"<th>{h}</th>" for h in ("case type", "items", "wins", "losses", "ties", "rate")
    )
    parts = [
        f"<h3>{html.escape(str(data.candidate))} (candidate) vs "
        f"{html.escape(str(data.current))}</h3>",
        f"<p>Judged {data.judged} of {data.items} items: {o.wins} wins, "
        f"{o.losses} losses, {o.ties} ties ({o.both_bad} both bad). "
        f"Win rate <b>{rate}</b>{ci} ({html.escape(o.interval)}).</p>",
        f"<table border=1 cellspacing=0 cellpadding=4><tr>{head}</tr>{rows}</table>",
        f"<p>Safety pass rate: current {safety.current}, candidate {safety.candidate}. "
        f"Formatting: current {formatting.current}, candidate {formatting.candidate}.</p>",
        f"<p>Position bias: the left side won {bias.left_won} of "
        f"{bias.decisive_labels} decisive labels.{warn}</p>",
    ]
    return "".join(parts)


class EvalView(LoadedView):
    """The latest eval's report, computed off the GUI thread."""

    item_requested = Signal(str)

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(workspace, parent)
        self.text = QTextBrowser()
        self.chart = QChartView()
        self.chart.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.chart.setMinimumHeight(320)  # room for the axis labels and the intervals
        self.losses = QListWidget()
        self.losses.itemDoubleClicked.connect(self._on_losses_item_double_clicked)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.addWidget(QLabel("<b>Losses</b> (double-click to open)"))
        side_layout.addWidget(self.losses)
        top = QSplitter()
        top.addWidget(self.text)
        top.addWidget(side)
        top.setSizes([900, 360])
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(self.chart)
        splitter.setSizes([420, 420])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        self.data: EvalReport | None = None

    def load(self, session: LabelingSession) -> EvalReport:
        return report(session)

    def show_problem(self, err: BaseException) -> None:
        # e.g. the rubric lacks a role the eval needs: say so
        self.losses.clear()
        self.data = None
        text = str(err) if isinstance(err, LabelerError) else "The eval report failed."
        self.text.setHtml(f"<p><b>{html.escape(text)}</b></p>")

    def show_data(self, data: EvalReport) -> None:
        self.losses.clear()
        self.data = data
        self.text.setHtml(eval_html(data))
        for case, group in data.case_types.items():
            for item_id in group.losses_driven_by:
                entry = QListWidgetItem(f"{case}: {item_id}")
                entry.setData(Qt.ItemDataRole.UserRole, item_id)
                self.losses.addItem(entry)
        if data.bundle_id:
            self.chart.setChart(win_rate_chart(data))

    def _on_losses_item_double_clicked(self, entry: QListWidgetItem) -> None:
        self.item_requested.emit(entry.data(Qt.ItemDataRole.UserRole))
