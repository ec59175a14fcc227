"""File → Import bundle… (off the GUI thread), Help → Rubric guidance and About."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox, QTextBrowser, QVBoxLayout, QWidget

from labeler import __version__
from labeler.changes import Changes
from labeler.gui.errors import show_error
from labeler.gui.tasks import TaskThread, run_task
from labeler.labeling.session import LabelingSession
from labeler.progress import CancelCheck, ProgressCallback
from labeler.workspace import Workspace

if TYPE_CHECKING:  # not at start-up: the import chain is only for the bundle worker
    from labeler.triage.bundle_import import ImportResult


def choose_bundle(parent: QWidget) -> Path | None:
    name, _ = QFileDialog.getOpenFileName(
        parent, "Import bundle", "", "Bundles (*.lbundle);;All files (*)"
    )
    return Path(name) if name else None


def start_import(
    parent: QWidget, workspace: Workspace, bundle: Path, done: Callable[[ImportResult], None]
) -> TaskThread:
    from labeler.triage.bundle_import import import_bundle

    def operation(progress: ProgressCallback, should_cancel: CancelCheck) -> ImportResult:
        store = workspace.open_reader()  # the worker reads through its own connection
        try:
            return import_bundle(store, workspace.writer, bundle, progress, should_cancel)
        finally:
            store.close()

    return run_task(
        parent,
        "Importing bundle",
        operation,
        done,
        lambda e: show_error(parent, "Cannot import", e),
    )


def start_retention(
    parent: QWidget, workspace: Workspace, applied: Callable[[Changes], None]
) -> TaskThread:
    """Retention on open, quietly on a worker: the person can label meanwhile."""
    from labeler.privacy.retention import apply_retention

    def operation(progress: ProgressCallback, should_cancel: CancelCheck) -> int:
        return apply_retention(workspace.writer)

    def done(count: int) -> None:
        if count:
            applied(Changes(items=frozenset(), all_items=True))

    return run_task(
        parent,
        "Applying retention",
        operation,
        done,
        lambda e: show_error(parent, "Cannot apply retention", e),
        quiet=True,
    )


def show_guidance(parent: QWidget, session: LabelingSession) -> None:
    dialog = QDialog(parent)
    dialog.setWindowTitle(f"Rubric guidance — {session.rubric.title}")
    view = QTextBrowser()
    view.setMarkdown(session.rubric.guidance or "This rubric has no guidance.")
    layout = QVBoxLayout(dialog)
    layout.addWidget(view)
    dialog.resize(640, 720)
    dialog.show()


def show_about(parent: QWidget, workspace: Workspace) -> None:
    QMessageBox.about(
        parent,
        "About Labeler",
        f"Labeler {__version__}\n\nWorkspace: {workspace.path}\nKey source: {workspace.key_source}",
    )
