"""File → Export my labels / Import labels, and View → Feedback from the lead."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox, QTextBrowser, QVBoxLayout, QWidget

from labeler.changes import Changes
from labeler.errors import LabelerError, ValidationError
from labeler.gui.errors import show_error, show_message
from labeler.labeling.session import LabelingSession


def export_labels_dialog(parent: QWidget, session: LabelingSession) -> None:
    from labeler.team.label_exchange import export_labels

    name, _ = QFileDialog.getSaveFileName(
        parent, "Export my labels", "labels.llabels", "Labels (*.llabels)"
    )
    if not name:
        return
    try:
        count = export_labels(session, Path(name))
    except LabelerError as err:
        show_error(parent, "Cannot export labels", err)
        return
    show_message(parent, "Labels exported", f"Exported {count} labels to {name}.")


def import_labels_dialog(
    parent: QWidget, session: LabelingSession, applied: Callable[[Changes], None]
) -> None:
    name, _ = QFileDialog.getOpenFileName(parent, "Import labels", "", "Labels (*.llabels)")
    if name:
        import_labels(parent, session, Path(name), applied)


def import_labels(
    parent: QWidget,
    session: LabelingSession,
    path: Path,
    applied: Callable[[Changes], None],
    accept_rubric: bool = False,
) -> None:
    from labeler.team.label_exchange import import_labels as import_file

    try:
        outcome = import_file(session, path, accept_rubric=accept_rubric)
    except ValidationError as err:
        if "--accept-rubric" in str(err) and not accept_rubric:
            text = str(err).split("; import with", 1)[0]
            answer = QMessageBox.question(
                parent, "Another rubric version", f"{text}.\n\nTake these labels anyway?"
            )
            if answer == QMessageBox.StandardButton.Yes:
                import_labels(parent, session, path, applied, accept_rubric=True)
            return
        show_error(parent, "Cannot import labels", err)
        return
    except LabelerError as err:
        show_error(parent, "Cannot import labels", err)
        return
    applied(outcome.changes)
    show_message(
        parent,
        "Labels imported",
        f"{outcome.labels} labels from {outcome.labeler} ({outcome.note}).",
    )


def show_feedback(parent: QWidget, session: LabelingSession) -> None:
    from labeler.team.feedback import where_overruled

    entries = where_overruled(session)
    dialog = QDialog(parent)
    dialog.setWindowTitle("Where the lead decided otherwise")
    view = QTextBrowser()
    if entries:
        rows = "".join(
            f"<tr><td>{html.escape(e['item_id'])}</td><td>{html.escape(e['question'])}</td>"
            f"<td>{html.escape(str(e['yours']))}</td><td><b>{html.escape(str(e['final']))}</b></td>"
            f"<td>{html.escape(e['note'])}</td></tr>"
            for e in entries
        )
        view.setHtml(
            "<table border=1 cellpadding=4 cellspacing=0><tr><th>item</th><th>question</th>"
            f"<th>you</th><th>lead</th><th>why</th></tr>{rows}</table>"
        )
    else:
        view.setHtml(
            "<p>No feedback on items you have labeled. Import the lead's resolutions with "
            "<code>labeler resolutions import FILE</code>.</p>"
        )
    layout = QVBoxLayout(dialog)
    layout.addWidget(view)
    dialog.resize(760, 480)
    dialog.show()
