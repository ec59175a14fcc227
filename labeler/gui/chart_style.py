"""How every chart is drawn, so each can be read: distinct colours for up to ten series,
markers on every point (one week is one visible point), legible ticks, and week labels that
sit inside the plot rather than on its clipped edge."""

from __future__ import annotations

from PySide6.QtCharts import QCategoryAxis, QChart, QLineSeries, QValueAxis
from PySide6.QtGui import QColor, QFont, QPen

# Tableau 10: distinct in colour and, for most colour-blind readers, in lightness.
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip


def colour(index: int) -> QColor:
    return QColor(PALETTE[index % len(PALETTE)])


def style_line(series: QLineSeries, index: int, width: float = 2.0) -> None:
    pen = QPen(colour(index))
    pen.setWidthF(width)
    series.setPen(pen)
    series.setPointsVisible(True)  # a single week is still drawn, as a point
    series.setMarkerSize(7)


def week_axis(weeks: list[str]) -> QCategoryAxis:
    """Weeks at 0, 1, 2…, the range padded by half a step so no label falls off an edge."""
    axis = QCategoryAxis()
    for index, week in enumerate(weeks):
        axis.append(week, index)
    axis.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionOnValue)
    axis.setRange(-0.5, max(len(weeks) - 1, 0) + 0.5)
    axis.setLabelsFont(_font(9))
    return axis


def value_axis(low: float, high: float, ticks: int = 6, title: str = "") -> QValueAxis:
    """Ticks at round steps (0, 0.2, 0.4…), two decimals at most."""
    axis = QValueAxis()
    axis.setRange(low, high)
    axis.setTickCount(ticks)
    # Ticks anchored at 0 in even steps: -0.2, 0, 0.2… (a count alone gives "-0.0").
    axis.setTickType(QValueAxis.TickType.TicksDynamic)
    axis.setTickAnchor(0.0)
    axis.setTickInterval((high - low) / max(ticks - 1, 1))
    axis.setLabelFormat("%.1f" if (high - low) / max(ticks - 1, 1) >= 0.1 else "%.2f")
    axis.setLabelsFont(_font(9))
    if title:
        axis.setTitleText(title)
    return axis


def tidy(chart: QChart) -> None:
    """Room for labels; the title in a readable size."""
    chart.setTitleFont(_font(10, bold=True))
    chart.layout().setContentsMargins(0, 0, 0, 0)
    chart.setBackgroundRoundness(0)


def _font(points: int, bold: bool = False) -> QFont:
    font = QFont()
    font.setPointSize(points)
    font.setBold(bold)
    return font
