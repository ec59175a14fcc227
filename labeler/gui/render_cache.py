"""RenderCache: evidence per item, painted fast first and coloured off the GUI thread.

``show`` returns a ``Prepared`` at once: the cached coloured one, or a fast one without syntax
colours (a few ms); the coloured one follows from the thread pool via ``rendered``. ``prefetch``
renders the next items ahead, so moving to them is a cache hit. HTML is parsed into
``QTextDocument``s when a worker's result arrives (idle time, while the person reads), because
parsing is most of the cost of showing an item (~14 ms a pane for 10 KB of coloured code) and
a document cannot be built on another thread. Large items get their changed line numbers from
a worker (``lines_marked``) instead of HTML.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal
from PySide6.QtGui import QTextDocument

from labeler.domain import Item
from labeler.render.diffing import changed_line_numbers
from labeler.render.evidence import (
    LARGE_CHARS,
    Rendering,
    evidence_size,
    large_pair,
    render_evidence,
)
from labeler.render.html import Palette

CACHE_SIZE = 24
LINE_JOB_DELAY_MS = 120
COLOUR_DELAY_MS = 80
PANES = ("left", "right", "inline")


@dataclass
class Prepared:
    """A rendering and its panes parsed into documents, ready to be shown."""

    rendering: Rendering
    documents: dict[str, QTextDocument] = field(default_factory=dict)


def prepare(rendering: Rendering, owner: QObject, widths: dict[str, int] | None = None) -> Prepared:
    """Parse the panes' HTML into documents owned by ``owner`` (Qt deletes them with it),
    laid out ahead at the panes' widths where known, so showing one skips the layout."""
    from labeler.gui.widgets.panes import monospace

    documents = {}
    for pane in PANES:
        html = getattr(rendering, pane)
        if html:
            document = QTextDocument(owner)
            document.setDefaultFont(monospace())
            document.setHtml(html)
            width = (widths or {}).get(pane)
            if width:
                document.setTextWidth(width)
                document.size()  # lays it out now
            documents[pane] = document
    return Prepared(rendering, documents)


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
    rendered = Signal(str, object)  # (item id, Prepared) once coloured
    lines_marked = Signal(str, object)  # (item id, (left lines, right lines)) for large items

    def __init__(self, palette: Palette, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.palette = palette
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)  # one core for the GUI, one for rendering
        # Evicting the oldest entry never drops a shown document: showing moves it to the end.
        self._cache: OrderedDict[str, Prepared] = OrderedDict()
        self._pending: set[str] = set()
        self._shown = ""  # the key of the item last shown
        self._stopped = False
        self.widths: dict[str, int] = {}  # pane name -> viewport width, set by the view
        self._relay = _Relay()
        self._relay.done.connect(self._on_relay_done)

    def _key(self, item: Item, order: str) -> str:
        return f"{item.id}|{item.content_hash}|{order}|{item.redaction_confirmed}"

    def show(self, item: Item, order: str = "AB") -> Prepared:
        key = self._key(item, order)
        self._shown = key
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        fast = render_evidence(item, self.palette, syntax=False, side_order=order)
        if fast.kind == "large":
            if key not in self._pending and not self._stopped:
                self._pending.add(key)
                job = _LineJob(self._relay, key, *large_pair(item, order))
                # Start after the texts are painted: the job holds the GIL while it diffs.
                QTimer.singleShot(LINE_JOB_DELAY_MS, self, lambda: self._start(job))
            return Prepared(fast)
        # The coloured rendering starts a moment later, and only if the item is still shown:
        # the worker holds the GIL while it lexes (10-20 ms), which slowed the painting of the
        # next item for a person moving on at once (p95 30 ms -> see benchmarks/queue_bench).
        QTimer.singleShot(COLOUR_DELAY_MS, self, lambda: self._colour_if_shown(key, item, order))
        return prepare(fast, self)

    def _colour_if_shown(self, key: str, item: Item, order: str) -> None:
        if self._shown == key:
            self._queue(key, item, order)

    def _start(self, job: QRunnable) -> None:
        if not self._stopped:
            self.pool.start(job)

    def stop(self) -> None:
        """Start no more rendering (the window is closing: a job started after its close
        would outlive the pool's wait, and a pool destroyed with a job running deadlocks)."""
        self._shown = ""
        self._stopped = True

    def prefetch(self, items: list[tuple[Item, str]]) -> None:
        for item, order in items:
            key = self._key(item, order)
            if key not in self._cache and evidence_size(item) <= LARGE_CHARS:
                self._queue(key, item, order)

    def _queue(self, key: str, item: Item, order: str) -> None:
        if key in self._pending or self._stopped:
            return
        self._pending.add(key)
        self.pool.start(_RenderJob(self._relay, key, item, self.palette, order))

    def _on_relay_done(self, key: str, result: object) -> None:
        self._pending.discard(key)
        item_id = key.split("|", 1)[0]
        if isinstance(result, Rendering):
            if result.kind == "large":
                return  # large items are shown as plain text and marked by the line job
            prepared = prepare(result, self, self.widths)
            self._cache[key] = prepared
            while len(self._cache) > CACHE_SIZE:
                _, evicted = self._cache.popitem(last=False)
                for document in evicted.documents.values():
                    document.deleteLater()
            self.rendered.emit(item_id, prepared)
        else:
            self.lines_marked.emit(item_id, result)

    def set_palette(self, palette: Palette) -> None:
        """New colours: drop what was rendered with the old ones."""
        self.palette = palette
        for prepared in self._cache.values():
            for document in prepared.documents.values():
                document.deleteLater()
        self._cache.clear()

    def wait_idle(self, msecs: int = 5000) -> bool:
        return self.pool.waitForDone(msecs)
