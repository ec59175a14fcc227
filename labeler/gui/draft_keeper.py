"""DraftKeeper: the shown item's unsaved answers, kept in the workspace as a draft — a
choice at once, typing once it pauses, and whatever is pending when the person moves on,
switches tabs or closes — so a draft survives all of those and a crash."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

from labeler.changes import Changes
from labeler.domain import Item
from labeler.gui.writes import WriteWatcher
from labeler.labeling.session import LabelingSession

DELAY_MS = 400  # a pause in typing


class DraftKeeper(QObject):
    def __init__(
        self,
        session: LabelingSession,
        writes: WriteWatcher,
        shown: Callable[[], tuple[Item | None, dict[str, object]]],
        applied: Callable[[Changes], None],
        failed: Callable[[BaseException], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.session, self.writes = session, writes
        self._shown, self._applied, self._failed = shown, applied, failed
        self._dirty = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DELAY_MS)
        self._timer.timeout.connect(self.flush)

    def changed(self, at_once: bool) -> None:
        """The person changed an answer (``at_once``: a choice, not typing)."""
        self._dirty = True
        if at_once:
            self.flush()
        else:
            self._timer.start()

    def forget(self) -> None:
        """The answers are being saved as a label: its transaction drops the draft."""
        self._timer.stop()
        self._dirty = False

    def flush(self) -> None:
        self._timer.stop()
        item, answers = self._shown()
        if not self._dirty or item is None or self.session.profile is None:
            return
        self._dirty = False
        self.writes.watch(self.session.save_draft(item.id, answers), self._applied, self._failed)
