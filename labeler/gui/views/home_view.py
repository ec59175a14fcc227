"""HomeView: the week at a glance, each block linking to the view where its work is done,
and the three signals a team acts on as small trend charts."""

from __future__ import annotations

import html
from collections.abc import Sequence

from PySide6.QtCharts import QChart, QChartView, QLineSeries
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from labeler.errors import LabelerError
from labeler.gui import chart_style
from labeler.gui.views.loader import LoadedView
from labeler.labeling.session import LabelingSession
from labeler.status import (
    AgreementLine,
    GateStatus,
    RolloutStatus,
    SignalPoint,
    WeekStatus,
    person_line,
    week_status,
)
from labeler.workspace import Workspace

SIGNALS = (
    ("high_intent_share", "High-intent correction share"),
    ("retry_rate", "Retry rate"),
    ("restricted_share", "Restricted / PII share"),
)


def _spark(points: Sequence[SignalPoint], key: str, title: str, index: int) -> QChart:
    """One signal's share per week (0 to 1), each week a marked point."""
    chart = QChart()
    chart.setTitle(title)
    chart.legend().hide()
    chart_style.tidy(chart)
    series = QLineSeries()
    chart_style.style_line(series, index)
    for position, point in enumerate(points):
        value = getattr(point, key)
        if value is not None:
            series.append(position, value)
    chart.addSeries(series)
    axis_x = chart_style.week_axis([point.week for point in points])
    axis_y = chart_style.value_axis(0.0, 1.0)
    chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
    series.attachAxis(axis_x)
    series.attachAxis(axis_y)
    return chart


def _agreement_line(q: AgreementLine) -> str:
    alpha = "—" if q.alpha is None else f"{q.alpha:.2f}"
    flag = f" <b>{html.escape(q.flag)}</b>" if q.flag else ""
    return f"{html.escape(q.question)}: {alpha} ({q.n}){flag}"


def _gate_text(gate: GateStatus | None) -> str:
    """The last gate actually run (never a verdict recomputed here)."""
    if gate is None:
        return "No gate run yet."
    head = (
        f"<b>{html.escape(gate.verdict)}</b> — run {html.escape(gate.at)} by "
        f"{html.escape(gate.run_by or 'unknown')}, policy {html.escape(gate.policy_sha256[:12])}"
    )
    return "<br>".join([head, *(html.escape(r) for r in gate.reasons)])


def _signed(value: float | None) -> str:
    return "—" if value is None else f"{value:+.4f}"


def _rollout_text(checks: Sequence[RolloutStatus]) -> str:
    """Each candidate's last recorded rollout check: its guarded signals and, per model
    version, the signals' rates."""
    if not checks:
        return "No rollout check yet."
    parts = []
    for check in checks:
        lines = [
            f"<b>{html.escape(check.verdict)}</b> {html.escape(check.candidate)} vs "
            f"{html.escape(check.baseline)}, stage {html.escape(check.stage)}"
        ]
        for s in check.signals:
            guard = s.max_worsening if s.worse == "higher" else -s.max_worsening
            lines.append(
                f"{html.escape(s.signal)}: {_signed(s.estimate)} [{_signed(s.low)}, "
                f"{_signed(s.high)}], guard {guard:+.4f} — {html.escape(s.state)}"
            )
        for v in check.versions:
            rates = ", ".join(
                f"{html.escape(k.removesuffix('_rate'))} {'—' if r is None else f'{r:.3f}'}"
                for k, r in v.rates.items()
            )
            lines.append(f"<i>{html.escape(v.version)}</i>: {rates}")
        parts.append("<br>".join(lines))
    return "<hr>".join(parts)


class HomeView(LoadedView):
    """The week at a glance, its status computed off the GUI thread."""

    open_requested = Signal(str)  # the name of the tab to open

    def __init__(
        self,
        workspace: Workspace,
        parent: QWidget | None = None,
        *,
        tabs: list[str] | None = None,
    ) -> None:
        """``tabs``: the tabs this seat has; a block links only to one of them."""
        super().__init__(workspace, parent)
        self.grid = QGridLayout()
        self.blocks: dict[str, QLabel] = {}
        layout = QVBoxLayout(self)
        self.title = QLabel()
        layout.addWidget(self.title)
        layout.addLayout(self.grid, 3)  # the blocks first: the charts take what is left
        self.charts = [QChartView() for _ in SIGNALS]
        row = QGridLayout()
        for column, view in enumerate(self.charts):
            view.setRenderHint(QPainter.RenderHint.Antialiasing)
            view.setMinimumHeight(200)
            row.addWidget(view, 0, column)
        layout.addLayout(row, 2)
        placements = (
            ("bundle", "Bundle", "Label"),
            ("progress", "Labeling", "Label"),
            ("agreement", "Agreement", "Agreement"),
            ("disagreements", "Disagreements", "Reconcile"),
            ("packs", "Packs", None),
            ("gate", "Last eval gate", "Eval"),
            ("rollout", "Rollout", "Rollout"),
        )
        for index, (key, title, tab) in enumerate(placements):
            box = QGroupBox(title)
            inner = QVBoxLayout(box)
            text = QLabel()
            text.setWordWrap(True)
            text.setTextFormat(Qt.TextFormat.RichText)
            text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            # A long gate or rollout text scrolls in its box (it was cut off mid-line).
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            scroll.setWidget(text)
            scroll.setMinimumHeight(84)  # five lines: the shorter blocks whole, no scroll bar
            scroll.viewport().setAutoFillBackground(False)
            text.setAutoFillBackground(False)
            inner.addWidget(scroll)
            if tab and (tabs is None or tab in tabs):
                button = QPushButton(f"Open {tab}")
                button.clicked.connect(lambda _c=False, name=tab: self.open_requested.emit(name))
                inner.addWidget(button)
            self.blocks[key] = text
            self.grid.addWidget(box, index // 3, index % 3)
        self.data: WeekStatus | None = None

    def load(self, session: LabelingSession) -> WeekStatus:
        return week_status(session)

    def show_problem(self, err: BaseException) -> None:
        text = str(err) if isinstance(err, LabelerError) else "The week's status failed."
        self.title.setText(f"<b>{html.escape(text)}</b>")

    def show_data(self, data: WeekStatus) -> None:
        self.data = data
        self.title.setText(f"<h2>Week {html.escape(data.week or '—')}</h2>")
        bundle = data.bundle
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(bundle.per_reason_code.items()))
        self.blocks["bundle"].setText(
            f"{bundle.items} items: {html.escape(reasons)}<br>"
            f"{bundle.restricted} restricted, {bundle.holdout} holdout, {bundle.overlap} overlap"
        )
        if data.people:  # an assignment: each person against their share and the pairs
            progress = [html.escape(person_line(p)) for p in data.people]
        else:
            progress = [f"{html.escape(p.labeler)}: {p.labels} / {p.of}" for p in data.progress]
        if data.outside_assignment:
            progress.append(f"{data.outside_assignment} labels outside assignment (kept, no pair)")
        self.blocks["progress"].setText("<br>".join(progress) or "No labels yet.")
        # Questions nobody answered twice this week (e.g. an eval's per-side checks) say nothing.
        lines = [_agreement_line(q) for q in data.agreement if q.n]
        self.blocks["agreement"].setText("<br>".join(lines) or "No paired items yet.")
        self.blocks["disagreements"].setText(
            html.escape(data.disagreements.text()).replace("; ", "<br>")
        )
        packs = [
            f"{html.escape(p.pack_id)}: {p.rows} rows, signed by {html.escape(str(p.signed_by))}"
            for p in data.packs
        ]
        self.blocks["packs"].setText("<br>".join(packs) or "No pack exported yet.")
        self.blocks["gate"].setText(_gate_text(data.gate))
        self.blocks["rollout"].setText(_rollout_text(data.rollouts))
        for index, (view, (key, title)) in enumerate(zip(self.charts, SIGNALS, strict=True)):
            view.setChart(_spark(data.signals, key, title, index))
