"""Triage and import benchmarks (issue: weekly sample bundles)."""

from __future__ import annotations

import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.synthetic import bundle_items, write_events
from labeler.store.migrations import MIGRATIONS
from labeler.triage.build import BuildOptions, build_bundle
from labeler.triage.bundle_file import write_bundle
from labeler.triage.bundle_import import _row, import_bundle
from labeler.workspace import Workspace


def build_events(scale: float) -> dict:
    count = int(1_000_000 * scale)
    with tempfile.TemporaryDirectory() as scratch:
        events = write_events(Path(scratch) / "events.jsonl", count)
        started = time.perf_counter()
        build_bundle([events], BuildOptions(week="2026-W48"), Path(scratch) / "w.lbundle")
        seconds = time.perf_counter() - started
    return {
        "name": "build_1m_events_s",
        "value": seconds * (1 / scale),
        "unit": "s",
        "budget": 60.0,
        "note": f"{count} events, scaled to 1M",
    }


def import_ratio(scale: float) -> dict:
    count = int(100_000 * scale)
    items = bundle_items(count)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        bundle = folder / "big.lbundle"
        write_bundle(
            bundle,
            {
                "format_version": 1,
                "kind": "week",
                "bundle_id": "bench",
                "week": "2026-W48",
                "created_at": "2026-11-24T00:00:00Z",
            },
            items,
        )
        rows = [_row(item, "bench", seq) for seq, item in enumerate(items)]
        del items
        # Alternate the two, three rounds each, and compare medians: this machine is noisy.
        ours_runs, baseline_runs = [], []
        for round_ in range(3):
            ws = Workspace.create(folder / f"ws{round_}.lbw", passphrase="bench")
            started = time.perf_counter()
            import_bundle(ws.store, ws.writer, bundle)
            ours_runs.append(time.perf_counter() - started)
            ws.close()
            baseline_runs.append(_plain_insert(folder / f"plain{round_}.db", rows))
        ours, baseline = statistics.median(ours_runs), statistics.median(baseline_runs)
    return {
        "name": "import_100k_ratio_vs_sqlite3",
        "value": ours / baseline,
        "unit": "x",
        "budget": 3.0,
        "baseline": baseline,
        "ratio": ours / baseline,
        "note": f"{count} items: ours {ours:.2f} s, sqlite3 executemany {baseline:.2f} s",
    }


def _plain_insert(path: Path, rows: list) -> float:
    """Baseline: plain sqlite3, the same schema and pragmas, executemany of the same rows."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    MIGRATIONS[0](conn)
    conn.execute("INSERT INTO bundles VALUES ('bench','2026-W48','week','','','','{}')")
    started = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany(f"INSERT INTO items VALUES ({','.join('?' * 24)}, 0)", rows)
    conn.execute("COMMIT")
    seconds = time.perf_counter() - started
    conn.close()
    return seconds


BENCHMARKS = [build_events, import_ratio]
