"""Progress reporting and cancellation for long operations, with no Qt.

Long core functions take ``progress`` and ``should_cancel``; the app runs them on a worker
thread with a progress dialog, the CLI passes a click progress bar.
"""

from __future__ import annotations

from collections.abc import Callable

ProgressCallback = Callable[[int, int, str], None]  # (done, total, what)
CancelCheck = Callable[[], bool]


class Cancelled(Exception):
    """Raised inside a long operation when ``should_cancel()`` answered True."""


def no_progress(done: int, total: int, what: str) -> None:
    """The default progress callback: report nothing."""


def never_cancel() -> bool:
    return False


def check_cancel(should_cancel: CancelCheck) -> None:
    if should_cancel():
        raise Cancelled()
