"""Workbench at the sizes a team reaches: Enter -> next item painted, end to end from the key
press, on workspaces of 500, 10,000 and 100,000 items; and cold start to the first item on
the largest. Both with the next item prefetched (the person read the item first) and moving
on at once (Enter pressed as soon as the item shows)."""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.child import child_env
from benchmarks.gui_bench import PASSPHRASE, _item, _p95
from labeler.triage.bundle_file import write_bundle
from labeler.triage.bundle_import import import_bundle
from labeler.workspace import Workspace

SIZES = (500, 10_000, 100_000)
STEPS = 60
BEFORE = "def total(rows, limit):\n    return sum(r.amount for r in rows[:limit])\n" * 12


def _build(folder: Path, count: int) -> Path:
    items = [_item(n, BEFORE, BEFORE.replace("sum", "fsum", 1 + n % 3)) for n in range(count)]
    bundle = folder / "week.lbundle"
    manifest = {"format_version": 1, "kind": "week", "bundle_id": f"bench-{count}",
                "week": "2026-W48", "created_at": "2026-11-24T00:00:00Z"}  # fmt: skip
    write_bundle(bundle, manifest, items)
    path = folder / "ws.lbw"
    with Workspace.create(path, passphrase=PASSPHRASE) as ws:
        import_bundle(ws.store, ws.writer, bundle)
        ws.session.create_profile("Bench", "labeler", restricted_access=False)
    bundle.unlink()
    return path


class _PaintClock:
    """When the item's text panes last finished painting: ``HtmlPane.paintEvent`` wrapped
    for the benchmark (the panes are what the person waits for; the queue's row and the
    rubric's reset follow in Qt's next paint pass)."""

    def __init__(self) -> None:
        from labeler.gui.widgets.panes import HtmlPane

        self.painted: list[tuple[float, int]] = []
        self.pane, self.original = HtmlPane, HtmlPane.paintEvent
        clock = self

        def paint(pane: Any, event: Any) -> None:
            clock.original(pane, event)
            clock.painted.append((time.perf_counter(), id(pane)))

        HtmlPane.paintEvent = paint  # type: ignore[method-assign]

    def first_pass_end(self) -> float | None:
        """The end of the first paint of each pane since the last ``clear``."""
        seen: set[int] = set()
        end = None
        for moment, pane in self.painted:
            if pane in seen:
                break
            seen.add(pane)
            end = moment
        return end

    def close(self) -> None:
        self.pane.paintEvent = self.original  # type: ignore[method-assign]


def _enter_to_painted(path: Path, prefetched: bool) -> tuple[list[float], list[float]]:
    """(Enter -> the next item's texts painted, Enter -> the event loop idle again), in ms."""
    from PySide6.QtCore import QSettings, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from labeler.gui.app import application
    from labeler.gui.main_window import MainWindow

    app = application()
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(path.parent))
    clock = _PaintClock()
    ws = Workspace.open(path, passphrase=PASSPHRASE)
    window = MainWindow(ws)
    window.resize(1440, 900)
    window.show()
    app.processEvents()
    painted, idle = [], []
    try:
        for _ in range(STEPS):
            if prefetched:
                deadline = time.perf_counter() + 0.3
                while time.perf_counter() < deadline:
                    app.processEvents()
                    time.sleep(0.005)
                window.render_cache.wait_idle(10_000)
                app.processEvents()
            for key in (Qt.Key.Key_1, Qt.Key.Key_1, Qt.Key.Key_1):
                QTest.keyClick(QApplication.focusWidget() or window, key)
            shown = window.current.id if window.current else None
            clock.painted.clear()
            started = time.perf_counter()
            QTest.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_Return)
            app.processEvents()  # all that was queued behind the key press
            finished = time.perf_counter()
            end = clock.first_pass_end()
            assert end is not None, "the next item was not painted"
            painted.append((end - started) * 1000)
            idle.append((finished - started) * 1000)
            assert window.current is not None and window.current.id != shown
        window.writes.wait()
        app.processEvents()
    finally:
        clock.close()
        window.close()
        window.deleteLater()
        app.processEvents()
        ws.close()
    return painted, idle


def _cold_start(path: Path) -> float:
    env = child_env(PASSPHRASE, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(path.parent))
    probe = (
        "import sys, time\n"
        "from labeler.gui.app import application\n"
        "from labeler.workspace import Workspace\n"
        "from labeler.gui.main_window import MainWindow\n"
        "app = application()\n"
        "w = MainWindow(Workspace.open(sys.argv[1], retention=False))\n"
        "w.show(); app.processEvents()\n"
        "assert w.current is not None\n"
        "print(time.time(), flush=True); print('pandas' in sys.modules, flush=True)\n"
        "w.close(); w.workspace.close()\n"  # an orderly exit, as the app's
    )
    samples = []
    for _ in range(3):
        started = time.time()
        out = subprocess.run([sys.executable, "-c", probe, str(path)], check=True, env=env,
                             capture_output=True, text=True).stdout.split()  # fmt: skip
        samples.append(float(out[0]) - started)
        assert out[1] == "False", "pandas was imported on the start-up path"
    return statistics.median(samples)


def queue_at_scale(scale: float) -> list[dict[str, Any]]:
    metrics: list[dict[str, Any]] = []
    for size in SIZES:
        count = max(100, int(size * scale))
        with tempfile.TemporaryDirectory() as scratch:
            path = _build(Path(scratch), count)
            for prefetched in (True, False):
                samples, idle = _enter_to_painted(path, prefetched)
                mode = "prefetched" if prefetched else "at_once"
                label = f"{size // 1000}k" if size >= 1000 else str(size)
                metrics.append({
                    "name": f"enter_to_next_p95_ms_{label}_{mode}",
                    "value": _p95(samples), "unit": "ms", "budget": 16.0,
                    "note": f"{count} items, median {statistics.median(samples):.1f} ms, "
                            f"Enter key press to the next item's texts painted; the event "
                            f"loop idle again (row, rubric, commits) p95 {_p95(idle):.1f} ms",
                })  # fmt: skip
            if size == SIZES[-1]:
                metrics.append({
                    "name": "startup_100k_to_first_item_s", "value": _cold_start(path),
                    "unit": "s", "budget": 1.0,
                    "note": f"process start to first item on {count} items (median of 3)",
                })  # fmt: skip
    return metrics


def _build_assigned(folder: Path, count: int) -> tuple[Path, str]:
    """``count`` items in weekly bundles of at most 15,000 (an assignment of more does not
    fit a manifest), shared among three labelers of whom the workspace's person is one."""
    from labeler.crypto.signing import signing_key
    from labeler.team.identity import key_labeler_id
    from labeler.triage.assignment import AssignedLabeler, ItemFlags, assign

    path = folder / "ws.lbw"
    with Workspace.create(path, passphrase=PASSPHRASE) as ws:
        ws.session.create_profile("Bench", "labeler", restricted_access=False)
        me = key_labeler_id(signing_key(ws.store).public)
        team = [AssignedLabeler(me, "Bench"), AssignedLabeler("labeler-b", "B"),
                AssignedLabeler("labeler-c", "C")]  # fmt: skip
        for week, start in enumerate(range(0, count, 15_000), start=30):
            items = [_item(n, BEFORE, BEFORE.replace("sum", "fsum", 1 + n % 3))
                     for n in range(start, min(count, start + 15_000))]  # fmt: skip
            for item in items:
                item["week"] = f"2026-W{week}"
            for item in items[:15]:
                item["overlap"] = True
            flags = [ItemFlags(i["id"], i["overlap"], i["restricted"]) for i in items]
            manifest = {"format_version": 1, "kind": "week", "bundle_id": f"bench-{week}",
                        "week": f"2026-W{week}", "created_at": "2026-11-24T00:00:00Z",
                        "assignment": assign(flags, team).as_manifest()}  # fmt: skip
            bundle = folder / f"{week}.lbundle"
            write_bundle(bundle, manifest, items)
            import_bundle(ws.store, ws.writer, bundle)
            bundle.unlink()
    return path, me


def queue_mine_at_scale(scale: float) -> list[dict[str, Any]]:
    """The queue's "Mine and pairs" ids and one's progress on 100,000 assigned items."""
    from labeler.store.queue import QueueFilter

    count = max(100, int(SIZES[-1] * scale))
    with tempfile.TemporaryDirectory() as scratch:
        path, _ = _build_assigned(Path(scratch), count)
        with Workspace.open(path, passphrase=PASSPHRASE) as ws:
            session = ws.session
            timings: dict[str, list[float]] = {"ids": [], "progress": []}
            for _ in range(7):
                started = time.perf_counter()
                shown = len(session.queue_ids(QueueFilter(mine=True)))
                timings["ids"].append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                session.queue_progress()
                timings["progress"].append((time.perf_counter() - started) * 1000)
    return [
        {"name": f"queue_mine_{what}_100k_ms", "value": statistics.median(samples),
         "unit": "ms", "budget": 100.0,
         "note": f"{count} items, {shown} mine and pairs (median of 7)"}
        for what, samples in timings.items()
    ]  # fmt: skip


BENCHMARKS = [queue_at_scale, queue_mine_at_scale]
