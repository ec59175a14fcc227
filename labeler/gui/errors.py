"""Error dialogs: a user-facing error is shown as its sentence, never as a traceback."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from labeler.errors import LabelerError


def show_error(parent: QWidget | None, title: str, err: BaseException) -> None:
    if isinstance(err, LabelerError):
        text = str(err)
    else:
        # An unexpected error: say what failed without internals (they may hold customer text).
        text = f"Something went wrong ({type(err).__name__}). Nothing was changed."
    QMessageBox.critical(parent, title, text)
