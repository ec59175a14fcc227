"""Charts shared by the app and the CLI: the eval win rate per case type with its interval.

``eval report --png`` renders the same chart as the app's Eval tab, so the CLI imports this
one module of the GUI package there (and only there), on Qt's offscreen platform.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCharts import QBarCategoryAxis, QChart, QLineSeries, QScatterSeries
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPen

from labeler.evals.results import EvalReport
from labeler.gui import chart_style


def win_rate_chart(data: EvalReport) -> QChart:
    """Candidate win rate per case type (and overall) with 95% intervals; 0.5 = parity."""
    chart = QChart()
    chart.setTitle(f"Win rate of {data.candidate or 'candidate'} vs {data.current or 'current'}")
    groups = [("overall", data.overall), *data.case_types.items()]
    names = [f"{name} ({g.items})" for name, g in groups]
    chart_style.tidy(chart)
    axis_x = QBarCategoryAxis()
    axis_x.append(names)
    axis_x.setLabelsAngle(-30 if len(names) > 5 else 0)  # long case names stay whole
    axis_y = chart_style.value_axis(0.0, 1.0, title="win rate (ties count half)")
    chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
    points = QScatterSeries()
    points.setName("win rate")
    points.setMarkerSize(11)
    points.setColor(chart_style.colour(0))
    for index, (_, group) in enumerate(groups):
        if group.win_rate is None:
            continue
        points.append(QPointF(index, group.win_rate))
        if group.ci95:
            bar = QLineSeries()
            bar.append(index, group.ci95[0])
            bar.append(index, group.ci95[1])
            bar.setPen(QPen(QColor(90, 90, 90), 2))
            chart.addSeries(bar)
            bar.attachAxis(axis_x)
            bar.attachAxis(axis_y)
    chart.addSeries(points)
    points.attachAxis(axis_x)
    points.attachAxis(axis_y)
    parity = QLineSeries()
    parity.setName("parity (0.5)")
    parity.append(-0.5, 0.5)
    parity.append(len(groups) - 0.5, 0.5)
    pen = QPen(Qt.GlobalColor.red)
    pen.setStyle(Qt.PenStyle.DashLine)
    parity.setPen(pen)
    chart.addSeries(parity)
    parity.attachAxis(axis_x)
    parity.attachAxis(axis_y)
    for series in chart.series():
        if series not in (points, parity):
            chart.legend().markers(series)[0].setVisible(False)
    return chart


def render_png(data: EvalReport, target: Path, size: tuple[int, int] = (900, 520)) -> None:
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCharts import QChartView
    from PySide6.QtGui import QPainter
    from PySide6.QtWidgets import QApplication

    _app = QApplication.instance() or QApplication([])
    view = QChartView(win_rate_chart(data))
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    view.resize(*size)
    if not view.grab().save(str(target), "PNG"):
        raise OSError(f"could not write {target}")
