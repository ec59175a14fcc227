"""EvalView: the candidate against the current model — figures, the win-rate chart, the
items behind each loss (double-click one to open it in the Label tab), and every gate run
actually made in this workspace (as recorded and signed: never a verdict recomputed here)."""

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
from labeler.evals.gate_runs import all_runs
from labeler.evals.results import EvalReport, GroupFigures, report
from labeler.gui.charts import win_rate_chart
from labeler.gui.views.loader import LoadedView
from labeler.labeling.session import LabelingSession
from labeler.store.evals import GateRun
from labeler.workspace import Workspace


def gate_runs_html(runs: list[GateRun]) -> str:
    """The gates run here, the latest first: verdict, failing rules, policy, judgments."""
    if not runs:
        how = "<code>labeler eval gate</code>, or Eval → Run the gate"
        return f"<p><b>Gates run</b>: none yet ({how}).</p>"
    rows = []
    for run in reversed(runs):
        colour = "#2e7d32" if run.verdict == "SHIP" else "#c62828"
        rules = ", ".join(run.figures.get("failed_rules") or []) or (
            "; ".join(r.split(":")[0] for r in run.reasons) or "—"
        )
        cells = [
            str(run.id), html.escape(run.at), f"<b style='color:{colour}'>{run.verdict}</b>",
            html.escape(rules), html.escape(run.policy_sha256[:12]),
            f"{run.judgments_count} ({html.escape(run.judgments_sha256[:12])})",
            html.escape(run.bundle_id or "—"), html.escape(run.run_by_name or "—"),
            "signed" if run.signature else "—",
        ]  # fmt: skip
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    head = "".join(f"<th>{h}</th>" for h in ("run", "at", "verdict", "failing rules", "policy",
                                            "judgments", "eval", "by", "signature"))  # fmt: skip
    return (
        "<h3>Gates run</h3><table border=1 cellspacing=0 cellpadding=3>"
        f"<tr>{head}</tr>{''.join(rows)}</table>"
    )


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
        self.runs: list[GateRun] = []

    def load(self, session: LabelingSession) -> tuple[EvalReport, list[GateRun]]:
        return report(session), all_runs(session)

    def show_problem(self, err: BaseException) -> None:
        # e.g. the rubric lacks a role the eval needs: say so
        self.losses.clear()
        self.data = None
        text = str(err) if isinstance(err, LabelerError) else "The eval report failed."
        self.text.setHtml(f"<p><b>{html.escape(text)}</b></p>")

    def show_data(self, loaded: tuple[EvalReport, list[GateRun]]) -> None:
        data, self.runs = loaded
        self.losses.clear()
        self.data = data
        self.text.setHtml(eval_html(data) + gate_runs_html(self.runs))
        for case, group in data.case_types.items():
            for item_id in group.losses_driven_by:
                entry = QListWidgetItem(f"{case}: {item_id}")
                entry.setData(Qt.ItemDataRole.UserRole, item_id)
                self.losses.addItem(entry)
        if data.bundle_id:
            self.chart.setChart(win_rate_chart(data))

    def _on_losses_item_double_clicked(self, entry: QListWidgetItem) -> None:
        self.item_requested.emit(entry.data(Qt.ItemDataRole.UserRole))
