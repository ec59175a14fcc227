"""Read-only text panes for evidence, and scroll locking between two of them."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QFontDatabase, QTextCursor, QTextFormat
from PySide6.QtWidgets import QPlainTextEdit, QTextBrowser, QTextEdit, QWidget


def monospace() -> QFont:
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


class HtmlPane(QTextBrowser):
    """Rich evidence (diffs with colours); links open nothing."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setFont(monospace())
        self.setLineWrapMode(QTextEdit.LineWrapMode.WidgetWidth)


class PlainPane(QPlainTextEdit):
    """Large evidence as plain text: shows 1 MB at once; changed lines marked afterwards."""

    MAX_MARKS = 5000

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setFont(monospace())

    def mark_lines(self, numbers: list[int], colour: QColor) -> int:
        selections = []
        document = self.document()
        for number in numbers[: self.MAX_MARKS]:
            block = document.findBlockByNumber(number - 1)
            if not block.isValid():
                continue
            selection = QTextEdit.ExtraSelection()
            selection.cursor = QTextCursor(block)
            selection.format.setBackground(colour)
            selection.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            selections.append(selection)
        self.setExtraSelections(selections)
        return len(selections)


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
