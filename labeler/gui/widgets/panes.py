"""Read-only text panes for evidence, and scroll locking between two of them."""

from __future__ import annotations

import bisect

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QTextCharFormat,
    QTextCursor,
    QTextFormat,
)
from PySide6.QtWidgets import QFrame, QPlainTextEdit, QTextBrowser, QTextEdit, QWidget


def monospace() -> QFont:
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


class HtmlPane(QTextBrowser):
    """Rich evidence (diffs with colours); links open nothing."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setFont(monospace())
        self.setLineWrapMode(QTextEdit.LineWrapMode.WidgetWidth)


class HeaderPane(QTextBrowser):
    """The item's context header: rich text at a fixed height of ``lines`` lines.

    Not a word-wrapped QLabel: a label re-measures itself and re-lays out the whole item
    view on every new text (~5 ms a item here); a fixed-height browser only lays out its own
    document (~1 ms).
    """

    def __init__(self, lines: int = 5, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.viewport().setAutoFillBackground(False)
        margins = self.document().documentMargin() * 2 + self.contentsMargins().top() * 2
        self.setFixedHeight(int(self.fontMetrics().lineSpacing() * lines + margins))


def display_lines(text: str, width: int) -> tuple[str, list[int]]:
    """The text with lines longer than ``width`` cut into pieces, and where each original
    line starts among the display lines: Qt lays a 1 MB single line out for seconds."""
    pieces: list[str] = []
    starts: list[int] = []
    for line in text.split("\n"):
        starts.append(len(pieces))
        if len(line) <= width:
            pieces.append(line)
        else:
            pieces.extend(line[i : i + width] for i in range(0, len(line), width))
    return "\n".join(pieces), starts


class PlainPane(QPlainTextEdit):
    """Large evidence as plain text, shown in slices so the window never blocks for long;
    changed lines are marked afterwards."""

    loaded = Signal()  # the last slice is in

    MAX_MARKS = 100_000
    LINE_WIDTH = 1000  # display width of a cut long line
    FIRST_SLICE = 60_000  # characters shown at once; the rest follows in slices
    SLICE = 120_000

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setFont(monospace())
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self._starts: list[int] = []
        self._rest = ""
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._marked: list[int] = []  # display block numbers of changed lines
        self._mark_format = QTextCharFormat()
        self.verticalScrollBar().valueChanged.connect(self._mark_visible)

    def show_text(self, text: str) -> None:
        self._marked = []
        self.setExtraSelections([])
        shown, self._starts = display_lines(text, self.LINE_WIDTH)
        self.setPlainText(shown[: self.FIRST_SLICE])
        self._rest = shown[self.FIRST_SLICE :]
        if self._rest:
            self._timer.start()
        else:
            self._timer.stop()

    def _on_timer_timeout(self) -> None:
        piece, self._rest = self._rest[: self.SLICE], self._rest[self.SLICE :]
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(piece)
        if not self._rest:
            self._timer.stop()
            self.loaded.emit()

    def is_loading(self) -> bool:
        return bool(self._rest)

    def mark_lines(self, numbers: list[int], colour: QColor) -> int:
        """Mark changed lines. Only the lines in view get a selection, redone on scroll:
        Qt spent ~60 us per extra selection, so 2,000 of them stalled the window."""
        self._mark_format = QTextCharFormat()
        self._mark_format.setBackground(colour)
        self._mark_format.setProperty(QTextFormat.Property.FullWidthSelection, True)
        marked: list[int] = []
        for number in numbers[: self.MAX_MARKS]:
            if 0 < number <= len(self._starts):
                start = self._starts[number - 1]
                end = self._starts[number] if number < len(self._starts) else start + 1
                marked.extend(range(start, end))
        self._marked = sorted(set(marked))
        self._mark_visible()
        return len(numbers[: self.MAX_MARKS])

    def _mark_visible(self) -> None:
        if not self._marked:
            self.setExtraSelections([])
            return
        first = self.firstVisibleBlock().blockNumber()
        last = first + self.viewport().height() // max(1, self.fontMetrics().height()) + 2
        low = bisect.bisect_left(self._marked, first)
        high = bisect.bisect_right(self._marked, last)
        document = self.document()
        selections = []
        for number in self._marked[low:high]:
            selection = QTextEdit.ExtraSelection()
            selection.cursor = QTextCursor(document.findBlockByNumber(number))
            # Assigned whole: mutating ``selection.format`` in place crashed PySide6 6.12.
            selection.format = self._mark_format
            selections.append(selection)
        self.setExtraSelections(selections)


def lock_scrolling(first: QTextEdit | QPlainTextEdit, second: QTextEdit | QPlainTextEdit) -> None:
    """Scroll two panes together (proportionally, as their lengths can differ)."""
    bars = (first.verticalScrollBar(), second.verticalScrollBar())
    busy = [False]

    def follow(source: int, value: int) -> None:
        if busy[0]:
            return
        busy[0] = True
        try:
            src, dst = bars[source], bars[1 - source]
            span = max(1, src.maximum())
            dst.setValue(round(value / span * dst.maximum()))
        finally:
            busy[0] = False

    bars[0].valueChanged.connect(lambda v: follow(0, v))
    bars[1].valueChanged.connect(lambda v: follow(1, v))
