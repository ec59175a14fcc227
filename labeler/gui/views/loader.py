"""ViewLoader and LoadedView: a view's data computed off the GUI thread, the latest request
winning, and views that reload only when shown and touched by a change.

A view gives ``load`` — core calls on a session that reads through the worker's own
connection — and hears ``loaded(data)`` on the GUI thread. A request made while another runs
supersedes it: the older result is dropped, so a view never paints data older than what it
asked for last. ``wait`` lets the window finish the running loads before it closes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

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


class LoadedView(QWidget):
    """A view whose data is computed off the GUI thread and which follows ``Changes``.

    Subclasses give ``load(session)`` (runs on a worker: core calls only, no widgets) and
    ``show_data(data)`` (GUI thread). ``refresh`` asks for a reload; ``note_changes`` marks
    the view stale and reloads it at once only if it is shown; ``refreshed`` follows each
    painted load.
    """

    refreshed = Signal()

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.session = workspace.session
        self.stale = True
        self.loader = ViewLoader(workspace, self.load, self)
        self.loader.loaded.connect(self._on_loader_loaded)
        self.loader.failed.connect(self._on_loader_failed)

    def load(self, session: LabelingSession) -> Any:
        raise NotImplementedError

    def show_data(self, data: Any) -> None:
        raise NotImplementedError

    def show_problem(self, err: BaseException) -> None:
        """A load failed: a view shows the sentence (never a traceback)."""
        raise NotImplementedError

    def refresh(self, *_args: object) -> None:
        self.stale = False
        self.loader.request()

    def note_changes(self, changes: Changes) -> None:
        if not touches_views(changes):
            return
        self.stale = True
        if self.isVisible():
            self.refresh()

    def _on_loader_loaded(self, data: Any) -> None:
        self.show_data(data)
        self.refreshed.emit()

    def _on_loader_failed(self, err: BaseException) -> None:
        self.show_problem(err)
        self.refreshed.emit()
