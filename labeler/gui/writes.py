"""WriteWatcher: hands a writer's result back to the GUI thread.

A write submitted to the workspace's writer completes on the writer thread; the watcher's
signal carries the finished future to the GUI thread (a queued connection), where the
success or failure callback runs. The window waits for pending writes before it closes.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from PySide6.QtCore import QObject, Signal


class WriteWatcher(QObject):
    finished = Signal(object, object, object)  # (future, on_success, on_failure)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pending: set[Future[Any]] = set()
        self.finished.connect(self._on_finished)

    def watch(
        self,
        future: Future[Any],
        on_success: Callable[[Any], None],
        on_failure: Callable[[BaseException], None],
    ) -> None:
        self._pending.add(future)

        def done(finished: Future[Any]) -> None:  # on the writer thread
            # RuntimeError: the window (and this watcher) is gone, nobody to tell.
            with contextlib.suppress(RuntimeError):
                self.finished.emit(finished, on_success, on_failure)

        future.add_done_callback(done)

    def pending(self) -> int:
        return len(self._pending)

    def wait(self, timeout: float = 10.0) -> None:
        """Block until every watched write is committed (or failed): used on close."""
        concurrent.futures.wait(list(self._pending), timeout=timeout)

    def _on_finished(
        self,
        future: Future[Any],
        on_success: Callable[[Any], None],
        on_failure: Callable[[BaseException], None],
    ) -> None:
        self._pending.discard(future)
        error = future.exception()
        if error is None:
            on_success(future.result())
        else:
            on_failure(error)
