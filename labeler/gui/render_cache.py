"""RenderCache: evidence HTML per item, painted fast first and coloured off the GUI thread.

``show`` returns a rendering at once: the cached coloured one, or a fast one without syntax
colours (a few ms); the coloured one follows from the thread pool via ``rendered``. ``prefetch``
renders the next items ahead, so moving to them is a cache hit. Large items get their changed
line numbers from a worker (``lines_marked``) instead of HTML.
"""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from labeler.diffing import changed_line_numbers
from labeler.domain import Item
from labeler.evidence import Rendering, render_evidence
from labeler.render import Palette

CACHE_SIZE = 64


class _Relay(QObject):
    done = Signal(str, object)  # (cache key, Rendering | (left lines, right lines))


class _RenderJob(QRunnable):
    def __init__(self, relay: _Relay, key: str, item: Item, palette: Palette, order: str) -> None:
        super().__init__()
        self.relay, self.key, self.item, self.palette, self.order = relay, key, item, palette, order

    def run(self) -> None:
        try:
            result = render_evidence(self.item, self.palette, syntax=True, side_order=self.order)
        except Exception:  # a rendering bug must not kill the worker; the fast paint stays
            return
        self.relay.done.emit(self.key, result)


class _LineJob(QRunnable):
    def __init__(self, relay: _Relay, key: str, before: str, after: str) -> None:
        super().__init__()
        self.relay, self.key, self.before, self.after = relay, key, before, after

    def run(self) -> None:
        self.relay.done.emit(self.key, changed_line_numbers(self.before, self.after))


class RenderCache(QObject):
    rendered = Signal(str, object)  # (item id, Rendering) once coloured
    lines_marked = Signal(str, object)  # (item id, (left lines, right lines)) for large items

    def __init__(self, palette: Palette, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.palette = palette
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)  # one core for the GUI, one for rendering
        self._cache: OrderedDict[str, Rendering] = OrderedDict()
        self._pending: set[str] = set()
        self._relay = _Relay()
        self._relay.done.connect(self._on_relay_done)

    def _key(self, item: Item, order: str) -> str:
        return f"{item.id}|{item.content_hash}|{order}|{item.redaction_confirmed}"

    def show(self, item: Item, order: str = "AB") -> Rendering:
        key = self._key(item, order)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        fast = render_evidence(item, self.palette, syntax=False, side_order=order)
        if fast.kind == "large":
            if item.signal == "edit" and key not in self._pending:
                self._pending.add(key)
                self.pool.start(
                    _LineJob(self._relay, key, item.output or "", item.edited_output or "")
                )
            return fast
        self._queue(key, item, order)
        return fast

    def prefetch(self, items: list[tuple[Item, str]]) -> None:
        for item, order in items:
            key = self._key(item, order)
            if key not in self._cache:
                self._queue(key, item, order)

    def _queue(self, key: str, item: Item, order: str) -> None:
        if key in self._pending:
            return
        self._pending.add(key)
        self.pool.start(_RenderJob(self._relay, key, item, self.palette, order))

    def _on_relay_done(self, key: str, result: object) -> None:
        self._pending.discard(key)
        item_id = key.split("|", 1)[0]
        if isinstance(result, Rendering):
            self._cache[key] = result
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
            self.rendered.emit(item_id, result)
        else:
            self.lines_marked.emit(item_id, result)

    def wait_idle(self, msecs: int = 5000) -> bool:
        return self.pool.waitForDone(msecs)
