"""Message dialogs: a user-facing error is shown as its sentence, never as a traceback; all
messages open window-modal without blocking the event loop (workers keep running)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from labeler.errors import LabelerError


def show_error(parent: QWidget | None, title: str, err: BaseException) -> None:
    if isinstance(err, LabelerError):
        text = str(err)
    else:
        # An unexpected error: say what failed without internals (they may hold customer text).
        text = f"Something went wrong ({type(err).__name__}). Nothing was changed."
    box = QMessageBox(QMessageBox.Icon.Critical, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("errorDialog")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    if parent is None:
        box.exec()  # no window yet (start-up): wait for the user
    else:
        box.open()  # window-modal, and the event loop (and any worker) keeps running


def show_message(parent: QWidget, title: str, text: str) -> None:
    box = QMessageBox(
        QMessageBox.Icon.Information, title, text, QMessageBox.StandardButton.Ok, parent
    )
    box.setObjectName("messageDialog")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
