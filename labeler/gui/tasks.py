"""Run a long core operation on a worker thread, with a progress dialog that appears only
after ~600 ms and a Cancel button that reaches the operation's ``should_cancel``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal
from PySide6.QtWidgets import QMainWindow, QProgressDialog, QPushButton, QWidget

from labeler.labeling.session import LabelingSession
from labeler.progress import CancelCheck, Cancelled, ProgressCallback
from labeler.workspace import Workspace

Operation = Callable[[Callable[[int, int, str], None], Callable[[], bool]], Any]


class TaskThread(QThread):
    progressed = Signal(int, int, str)
    succeeded = Signal(object)
    failed = Signal(object)

    def __init__(self, operation: Operation, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.operation = operation
        self.cancel_requested = False

    def run(self) -> None:
        try:
            result = self.operation(self.progressed.emit, lambda: self.cancel_requested)
        except BaseException as err:  # handed to the GUI thread, shown as a dialog there
            self.failed.emit(err)
            return
        self.succeeded.emit(result)


def run_on_reader(
    parent: QWidget,
    workspace: Workspace,
    title: str,
    work: Callable[[LabelingSession, ProgressCallback, CancelCheck], Any],
    on_success: Callable[[Any], None],
    on_failure: Callable[[BaseException], None],
    *,
    quiet: bool = False,
) -> TaskThread:
    """``run_task`` for core work that reads: it gets a session reading through the worker's
    own connection (writes still go through the workspace's one writer)."""

    def operation(progress: ProgressCallback, should_cancel: CancelCheck) -> Any:
        store = workspace.open_reader()
        try:
            return work(workspace.session.on(store), progress, should_cancel)
        finally:
            store.close()

    return run_task(parent, title, operation, on_success, on_failure, quiet=quiet)


def run_task(
    parent: QWidget,
    title: str,
    operation: Operation,
    on_success: Callable[[Any], None],
    on_failure: Callable[[BaseException], None],
    *,
    quiet: bool = False,
) -> TaskThread:
    """Run ``operation`` on a worker; ``quiet`` work shows no progress dialog at all."""
    dialog = QProgressDialog(title, "Cancel", 0, 0, parent)
    # Enter is a labeler's save key: it must not press Cancel (the button still does).
    cancel_button = QPushButton("Cancel", dialog)
    cancel_button.setAutoDefault(False)
    cancel_button.setDefault(False)
    dialog.setCancelButton(cancel_button)
    dialog.setWindowTitle(title)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(600 if not quiet else 2**31 - 1)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    thread = TaskThread(operation, parent)

    def progressed(done: int, total: int, what: str) -> None:
        dialog.setMaximum(max(total, 1))
        dialog.setValue(min(done, max(total, 1)))
        dialog.setLabelText(what)

    def finish() -> None:
        dialog.close()
        dialog.deleteLater()

    def succeeded(result: Any) -> None:
        finish()
        on_success(result)

    def failed(err: BaseException) -> None:
        finish()
        if not isinstance(err, Cancelled):
            on_failure(err)
        elif isinstance(window := parent.window(), QMainWindow):
            window.statusBar().showMessage(f"{title}: cancelled.", 8000)

    def cancel() -> None:
        thread.cancel_requested = True

    thread.progressed.connect(progressed)
    thread.succeeded.connect(succeeded)
    thread.failed.connect(failed)
    thread.finished.connect(thread.deleteLater)
    dialog.canceled.connect(cancel)
    thread.start()
    return thread
