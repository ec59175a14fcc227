"""ItemView: the context header and the evidence of one item (diff, retry path, blind pair)."""

from __future__ import annotations

import html

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor, QTextDocument
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from labeler.domain import PAIR_SIGNALS, Item
from labeler.gui.render_cache import Prepared
from labeler.gui.widgets.panes import HeaderPane, HtmlPane, PlainPane, lock_scrolling
from labeler.render.evidence import large_pair

_SIGNAL_NAMES = {
    "edit": "Edit",
    "retry": "Retry",
    "side_by_side": "Side by side",
    "eval": "Eval: current vs candidate",
    "sample": "Normal traffic",
}


def _marked(text: str, spans: list[tuple[int, int]], colour: str) -> str:
    out, cursor = [], 0
    for start, end in sorted(spans):
        if start < cursor:
            continue
        out.append(html.escape(text[cursor:start]))
        out.append(f'<span style="background-color:{colour}">{html.escape(text[start:end])}</span>')
        cursor = end
    out.append(html.escape(text[cursor:]))
    return "".join(out)


class _Pair(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.left_title, self.right_title = QLabel(), QLabel()
        self.left, self.right = HtmlPane(), HtmlPane()
        lock_scrolling(self.left, self.right)
        grid = QHBoxLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        for title, pane in ((self.left_title, self.left), (self.right_title, self.right)):
            column = QVBoxLayout()
            column.addWidget(title)
            column.addWidget(pane, 1)
            grid.addLayout(column, 1)


class _PlainPair(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.left, self.right = PlainPane(), PlainPane()
        lock_scrolling(self.left, self.right)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.left, 1)
        row.addWidget(self.right, 1)


class ItemView(QWidget):
    """Shows one item. ``redact_requested`` asks the window to open the redaction dialog."""

    redact_requested = Signal()
    mark_requested = Signal()  # mark personal data the detector missed
    restrict_requested = Signal()  # send the item to the restricted queue

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item: Item | None = None
        self._prepared: Prepared | None = None
        self.inline_mode = False
        self.revealed = False
        self.side_order = "AB"
        self.header = HeaderPane()
        self.banner = QWidget()
        banner_row = QHBoxLayout(self.banner)
        banner_row.setContentsMargins(0, 0, 0, 0)
        self.banner_text = QLabel()
        self.redact_button = QPushButton("Redact…")
        self.redact_button.clicked.connect(self.redact_requested)
        banner_row.addWidget(self.banner_text, 1)
        banner_row.addWidget(self.redact_button)
        self.privacy = QWidget()  # what a person can do about personal data they see
        privacy_row = QHBoxLayout(self.privacy)
        privacy_row.setContentsMargins(0, 0, 0, 0)
        self.mark_button = QPushButton("Mark personal data…")
        self.mark_button.clicked.connect(self.mark_requested)
        self.restrict_button = QPushButton("Send to restricted queue")
        self.restrict_button.clicked.connect(self.restrict_requested)
        privacy_row.addStretch(1)
        privacy_row.addWidget(self.mark_button)
        privacy_row.addWidget(self.restrict_button)
        self.pair, self.single, self.plain = _Pair(), HtmlPane(), _PlainPair()
        self._pending_marks: tuple[list[int], list[int]] | None = None
        for pane in (self.plain.left, self.plain.right):
            pane.loaded.connect(self._on_plain_loaded)
        self.stack = QStackedWidget()
        for page in (self.pair, self.single, self.plain):
            self.stack.addWidget(page)
        self.notes = QLabel()
        self.notes.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(self.privacy)
        layout.addWidget(self.banner)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.notes)
        self.clear()

    def clear(self, message: str = "") -> None:
        """No item: the header says why (``message``, rich text) or "No item selected"."""
        self.item = None
        self.header.setHtml(message or "<i>No item selected.</i>")
        self.banner.hide()
        self.single.setDocument(QTextDocument(self.single))  # never clear a cached document
        self.stack.setCurrentWidget(self.single)
        self.notes.clear()
        self.privacy.setEnabled(False)  # no item for the privacy buttons to act on

    def show_item(self, item: Item, rendering: Prepared, side_order: str, revealed: bool) -> None:
        self.item, self.side_order, self.revealed = item, side_order, revealed
        self.privacy.setEnabled(True)
        self.header.setHtml(self._header_html(item))
        self._show_banner(item)
        self.apply_rendering(rendering)

    def set_revealed(self, revealed: bool) -> None:
        """Blind side by side: versions appear once the label is saved."""
        if self.item is None:
            return
        self.revealed = revealed
        self.header.setHtml(self._header_html(self.item))
        if self.item.signal in PAIR_SIGNALS:
            self._pair_titles()

    def set_inline(self, inline: bool) -> None:
        self.inline_mode = inline

    def apply_rendering(self, prepared: Prepared) -> None:
        item = self.item
        if item is None:
            return
        self._prepared = prepared  # keeps the shown documents alive
        rendering, documents = prepared.rendering, prepared.documents
        if rendering.kind == "large":
            left, right = large_pair(item, self.side_order)
            self.plain.left.show_text(left)
            self.plain.right.show_text(right)
            self._pending_marks = None
            self.stack.setCurrentWidget(self.plain)
        elif rendering.kind in ("edit", "side_by_side") and not (
            rendering.kind == "edit" and self.inline_mode
        ):
            self.pair.left.setDocument(documents["left"])
            self.pair.right.setDocument(documents["right"])
            self._pair_titles()
            self.stack.setCurrentWidget(self.pair)
        else:
            self.single.setDocument(documents["inline"])
            self.stack.setCurrentWidget(self.single)
        notes = " ".join(rendering.notes)
        if notes != self.notes.text():  # a new text re-lays out the view: only when it differs
            self.notes.setText(notes)
        self.notes.setVisible(bool(notes))

    def mark_large_lines(self, left: list[int], right: list[int]) -> None:
        if self.plain.left.is_loading() or self.plain.right.is_loading():
            self._pending_marks = (left, right)  # mark once every slice is in
            return
        marked = self.plain.left.mark_lines(left, QColor(255, 160, 160, 90))
        marked += self.plain.right.mark_lines(right, QColor(120, 220, 140, 90))
        note = f" {len(left) + len(right)} changed lines marked."
        if len(left) + len(right) > marked:
            note = f" Marked the first {marked} of {len(left) + len(right)} changed lines."
        self.notes.setText(self.notes.text() + note)

    def _on_plain_loaded(self) -> None:
        if self._pending_marks is not None:
            marks, self._pending_marks = self._pending_marks, None
            self.mark_large_lines(*marks)

    def _pair_titles(self) -> None:
        item = self.item
        if item is None:
            return
        if item.signal == "edit":
            self.pair.left_title.setText("<b>Model output</b>")
            self.pair.right_title.setText("<b>After the user's edit</b>")
            return
        candidates = item.candidates or []
        order = (0, 1) if self.side_order == "AB" else (1, 0)
        for title, side, index in (
            (self.pair.left_title, "A", order[0]),
            (self.pair.right_title, "B", order[1]),
        ):
            if self.revealed and index < len(candidates):
                version = html.escape(candidates[index]["model_version"])
                picked = " — the user picked this" if item.picked == index else ""
                title.setText(f"<b>{side}</b> — model {version}{picked}")
            else:
                title.setText(f"<b>{side}</b> — model hidden until you save")

    def _show_banner(self, item: Item) -> None:
        self.restrict_button.setVisible(not item.restricted)
        if not item.restricted:
            self.banner.hide()
            return
        kinds = sorted({span.kind.replace("_", " ") for span in item.pii})
        if item.redaction_confirmed:
            text = "Restricted item — redaction confirmed."
        elif kinds:
            found = ", ".join(kinds)
            text = f"Restricted item: contains {found}. Redact and confirm before it can train."
        else:
            text = (
                "Restricted item (reported as sensitive). Confirm a redaction before it can train."
            )
        self.banner_text.setText(f"<b>{html.escape(text)}</b>")
        self.redact_button.setEnabled(not item.redaction_confirmed)
        self.banner.show()

    def _header_html(self, item: Item) -> str:
        """Signal and reason, the model, the intent, then the input (which may scroll).

        Every field is cut to a display length: a header never lays out megabytes.
        """
        blind = item.signal in PAIR_SIGNALS and not self.revealed
        version = "hidden until you save" if blind else _cut(item.model_version or "—", 80)
        settings = ", ".join(
            f"{_cut(str(k), 30)}={_cut(str(v), 40)}"
            for k, v in sorted(item.model_settings.items())[:4]
        )
        spans = [(s.start, s.end) for s in item.pii if s.field == "input"]
        snippet = _marked((item.input or "")[:600], spans, "#ffe066")
        reason = html.escape(
            item.reason_code or ("normal traffic" if item.signal == "sample" else "—")
        )
        flags = " · ".join(f for f, on in (("pair", item.overlap), ("holdout", item.holdout)) if on)
        return (
            f"<b>{_SIGNAL_NAMES.get(item.signal, item.signal)}</b> · reason <b>{reason}</b> · "
            f"week {html.escape(item.week)}{' · ' + flags if flags else ''} · "
            f"<span style='color:gray'>model {html.escape(_cut(item.model_name or '—', 60))} "
            f"{html.escape(version)}{' · ' if settings else ''}{html.escape(settings)}</span><br>"
            f"<b>Trying to:</b> {html.escape(_cut(item.intent or '—', 400))}<br>"
            f"<b>Input:</b> <span style='font-family:monospace'>{snippet}</span>"
        )


def _cut(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"
