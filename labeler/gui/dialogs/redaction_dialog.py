"""RedactionDialog: choose the detected spans to replace, preview, and confirm."""

from __future__ import annotations

import dataclasses
import html

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from labeler.domain import Item, PiiSpan
from labeler.labeling.pii_marks import text_fields
from labeler.labeling.redaction import field_text, redacted_fields


class RedactionDialog(QDialog):
    def __init__(self, item: Item, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item = item
        self.setWindowTitle("Redact and confirm")
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(
                "Checked spans are replaced by placeholders such as [EMAIL]. Confirming "
                "destroys the original text in the workspace; it cannot be undone."
            )
        )
        self.boxes: list[tuple[QCheckBox, PiiSpan]] = []
        for span in item.pii:
            text = field_text(item, span.field) or ""
            box = QCheckBox(f"{span.kind} in {span.field}: {text[span.start : span.end][:60]}")
            box.setChecked(True)
            box.toggled.connect(self._on_box_toggled)
            self.boxes.append((box, span))
            layout.addWidget(box)
        if not item.pii:
            layout.addWidget(QLabel("No spans were detected; confirm that the texts are safe."))
        self.preview = QTextBrowser()
        layout.addWidget(self.preview, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.confirm = buttons.addButton(
            "Confirm redaction", QDialogButtonBox.ButtonRole.AcceptRole
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(720, 520)
        self._on_box_toggled()

    def chosen(self) -> list[PiiSpan]:
        return [span for box, span in self.boxes if box.isChecked()]

    def _on_box_toggled(self, *_args: object) -> None:
        """The preview shows every text field as it will be: retries and candidates too."""
        values = redacted_fields(self.item, self.chosen())
        after = dataclasses.replace(self.item, **values)
        parts = [
            f"<b>{html.escape(name)}</b><pre>{html.escape(text[:4000])}</pre>"
            for name, text in text_fields(after)
        ]
        self.preview.setHtml("".join(parts))
