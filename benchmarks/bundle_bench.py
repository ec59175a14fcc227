"""Triage and import benchmarks (issue: weekly sample bundles)."""

from __future__ import annotations

import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import msgspec

from benchmarks.synthetic import bundle_items, write_events
from labeler.gcpause import gc_paused
from labeler.store.migrations import MIGRATIONS
from labeler.triage.build import BuildOptions, build_bundle
from labeler.triage.bundle_file import open_bundle, write_bundle
from labeler.triage.bundle_import import _row, import_bundle
from labeler.triage.formats import BundleItem
from labeler.workspace import Workspace

BENCH_MANIFEST = {
    "format_version": 1,
    "kind": "week",
    "bundle_id": "bench",
    "week": "2026-W48",
    "created_at": "2026-11-24T00:00:00Z",
}


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
        write_bundle(bundle, BENCH_MANIFEST, items)
        rows = [
            _row(msgspec.convert(item, BundleItem), "bench", seq) for seq, item in enumerate(items)
        ]
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


def import_validate(scale: float) -> dict:
    """The validating half of an import alone (unzip, hash, decode and check every item):
    the part the format declarations change, without the insert's disk noise. Its budget is
    a share of the import's: 3x sqlite3's ~1.6 s here leaves ~5 s for validate + insert."""
    count = int(100_000 * scale)
    with tempfile.TemporaryDirectory() as scratch:
        bundle = Path(scratch) / "big.lbundle"
        write_bundle(bundle, BENCH_MANIFEST, bundle_items(count))
        runs = []
        for _ in range(5):
            with gc_paused():  # as import_bundle runs it
                started = time.perf_counter()
                checked = sum(1 for _ in open_bundle(bundle).items())
                runs.append(time.perf_counter() - started)
        assert checked == count
    return {
        "name": "import_100k_validate_s",
        "value": min(runs) / scale,
        "unit": "s",
        "budget": 3.0,
        "note": f"{count} items, best of 5, scaled to 100k",
    }


BENCHMARKS = [build_events, import_ratio, import_validate]
