"""ViewLoader: a view's data computed off the GUI thread, the latest request winning.

A view gives ``load`` — core calls on a session that reads through the worker's own
connection — and hears ``loaded(data)`` on the GUI thread. A request made while another runs
supersedes it: the older result is dropped, so a view never paints data older than what it
asked for last. ``wait`` lets the window finish the running loads before it closes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from labeler.changes import Changes
from labeler.gui.tasks import TaskThread
from labeler.labeling.session import LabelingSession
from labeler.progress import CancelCheck, ProgressCallback
from labeler.workspace import Workspace

Load = Callable[[LabelingSession], Any]


class ViewLoader(QObject):
    loaded = Signal(object)
    failed = Signal(object)

    def __init__(self, workspace: Workspace, load: Load, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self._load = load
        self._generation = 0
        self._delivered = 0  # the last generation whose result reached the view
        self._threads: list[TaskThread] = []

    def request(self) -> None:
        """Load again; whatever is running now is superseded."""
        self._generation += 1
        generation = self._generation
        workspace, load = self.workspace, self._load

        def operation(_progress: ProgressCallback, should_cancel: CancelCheck) -> Any:
            store = workspace.open_reader()  # this worker's own read-only connection
            try:
                return load(workspace.session.on(store))
            finally:
                store.close()

        thread = TaskThread(operation, self)
        thread.succeeded.connect(lambda data: self._on_done(generation, data, None))
        thread.failed.connect(lambda err: self._on_done(generation, None, err))
        thread.finished.connect(lambda: self._forget(thread))
        self._threads.append(thread)
        thread.start()

    def busy(self) -> bool:
        """True until the latest request's result (or error) has been handed over."""
        return self._delivered != self._generation

    def wait(self, msecs: int = 10_000) -> None:
        for thread in list(self._threads):
            thread.wait(msecs)

    def _on_done(self, generation: int, data: Any, error: BaseException | None) -> None:
        if generation != self._generation:
            return  # superseded by a later request
        self._delivered = generation
        if error is None:
            self.loaded.emit(data)
        else:
            self.failed.emit(error)

    def _forget(self, thread: TaskThread) -> None:
        if thread in self._threads:
            self._threads.remove(thread)
        thread.deleteLater()


def touches_views(changes: Changes) -> bool:
    """Whether a change can alter what the lead's views and Home show."""
    return bool(changes)
