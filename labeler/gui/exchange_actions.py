"""File → Export my labels / Import labels, and View → Feedback from the lead."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox, QTextBrowser, QVBoxLayout, QWidget

from labeler.changes import Changes
from labeler.errors import ValidationError
from labeler.gui.errors import show_error, show_message
from labeler.gui.tasks import TaskThread, run_on_reader
from labeler.labeling.session import LabelingSession
from labeler.workspace import Workspace


def export_labels_dialog(parent: QWidget, workspace: Workspace) -> TaskThread | None:
    from labeler.team.label_exchange import export_labels

    name, _ = QFileDialog.getSaveFileName(
        parent, "Export my labels", "labels.llabels", "Labels (*.llabels)"
    )
    if not name:
        return None
    return run_on_reader(
        parent,
        workspace,
        "Exporting labels",
        lambda session, _p, _c: export_labels(session, Path(name)),
        lambda count: show_message(
            parent, "Labels exported", f"Exported {count} labels to {name}."
        ),
        lambda err: show_error(parent, "Cannot export labels", err),
    )


def import_labels_dialog(
    parent: QWidget, workspace: Workspace, applied: Callable[[Changes], None]
) -> TaskThread | None:
    name, _ = QFileDialog.getOpenFileName(parent, "Import labels", "", "Labels (*.llabels)")
    return import_labels(parent, workspace, Path(name), applied) if name else None


def import_labels(
    parent: QWidget,
    workspace: Workspace,
    path: Path,
    applied: Callable[[Changes], None],
    accept_rubric: bool = False,
) -> TaskThread:
    """Check and import one label file on a worker; the outcome is reported here."""
    from labeler.team.label_exchange import ImportOutcome
    from labeler.team.label_exchange import import_labels as import_file

    def succeeded(outcome: ImportOutcome) -> None:
        applied(outcome.changes)
        show_message(
            parent,
            "Labels imported",
            f"{outcome.labels} labels from {outcome.labeler} ({outcome.note}).",
        )

    def failed(err: BaseException) -> None:
        if isinstance(err, ValidationError) and "--accept-rubric" in str(err) and not accept_rubric:
            text = str(err).split("; import with", 1)[0]
            answer = QMessageBox.question(
                parent, "Another rubric version", f"{text}.\n\nTake these labels anyway?"
            )
            if answer == QMessageBox.StandardButton.Yes:
                import_labels(parent, workspace, path, applied, accept_rubric=True)
            return
        show_error(parent, "Cannot import labels", err)

    return run_on_reader(
        parent,
        workspace,
        "Importing labels",
        lambda session, _p, _c: import_file(session, path, accept_rubric=accept_rubric),
        succeeded,
        failed,
    )


def _answer(value: object) -> str:
    return "no answer" if value is None else str(value)


def show_feedback(parent: QWidget, session: LabelingSession) -> None:
    from labeler.team.feedback import where_overruled

    entries = where_overruled(session)
    dialog = QDialog(parent)
    dialog.setWindowTitle("Where the lead decided otherwise")
    view = QTextBrowser()
    if entries:
        rows = "".join(
            f"<tr><td>{html.escape(e['item_id'])}</td><td>{html.escape(e['question'])}</td>"
            f"<td>{html.escape(_answer(e['yours']))}</td><td><b>{html.escape(str(e['final']))}</b></td>"
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
