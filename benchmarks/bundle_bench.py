"""Triage and import benchmarks (issue: weekly sample bundles)."""

from __future__ import annotations

import json
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import msgspec

from benchmarks.child import child_env
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


# -- sealing: the sealed path against today's unsealed one, in one run --------------------
SEALED_SIZES = (10_000, 100_000)
SEALED_ROUNDS = 3
PASSPHRASE = "bench"


def _sealed_items(count: int) -> list[dict]:
    """The benchmark's items with the builder's routing: reason sensitive_data (a fifth of
    them) restricted, so a fifth of the text goes in the part sealed to restricted members."""
    items = bundle_items(count)
    for item in items:
        if item["reason_code"] == "sensitive_data":
            item.update(restricted=True, overlap=False)
    return items


def _cards(folder: Path) -> list[Path]:
    """Two labelers' member cards, one with restricted access (made once, outside timing)."""
    from labeler.crypto import roster

    cards = []
    for name in ("Ana", "Bo"):
        with Workspace.create(folder / f"{name}.lbw", passphrase=PASSPHRASE) as ws:
            roster.write_card(ws.store, folder / f"{name}.card", name)
        cards.append(folder / f"{name}.card")
    return cards


def _team_lead(path: Path, cards: list[Path]) -> Workspace:
    """A fresh lead's workspace (restricted access) on a team with the two labelers."""
    from labeler.crypto import roster

    ws = Workspace.create(path, passphrase=PASSPHRASE)
    roster.init(ws.store, ws.writer, "Lee")
    for card, restricted in zip(cards, (False, True), strict=True):
        roster.add(ws.store, ws.writer, card, "labeler", restricted)
    return ws


def _timed(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def _plain_round(folder: Path, items: list[dict], tag: str) -> dict[str, float]:
    bundle = folder / f"plain-{tag}.lbundle"
    ws = Workspace.create(folder / f"plain-{tag}.lbw", passphrase=PASSPHRASE)
    try:
        write = _timed(lambda: write_bundle(bundle, BENCH_MANIFEST, items))
        opened = _timed(lambda: sum(1 for _ in open_bundle(bundle).items()))
        imported = _timed(lambda: import_bundle(ws.store, ws.writer, bundle))
    finally:
        ws.close()
    return {"write": write, "open": opened, "import": imported, "total": write + imported}


def _sealed_round(folder: Path, items: list[dict], cards: list[Path], tag: str) -> dict:
    from labeler.triage.bundle_import import open_for
    from labeler.triage.sealed_bundle import seal_to_team, write_sealed_bundle

    bundle = folder / f"sealed-{tag}.lbundle"
    ws = _team_lead(folder / f"sealed-{tag}.lbw", cards)
    try:
        write = _timed(
            lambda: write_sealed_bundle(bundle, BENCH_MANIFEST, items, seal_to_team(ws.store))
        )
        opened = _timed(lambda: sum(1 for _ in open_for(ws.store, bundle).items()))
        imported = _timed(lambda: import_bundle(ws.store, ws.writer, bundle))
    finally:
        ws.close()
    return {"write": write, "open": opened, "import": imported, "total": write + imported}


def _medians(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def sealed_import_ratio(scale: float) -> list[dict]:
    """Write + import end to end, sealed (to a lead and two labelers, a fifth restricted; the
    lead imports, so both parts are decrypted) against today's unsealed path (a plain
    bundle into a workspace on no team), alternated, medians of three rounds, per size."""
    metrics, ratios = [], {}
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        cards = _cards(folder)
        for size in SEALED_SIZES:
            count = max(int(size * scale), 100)
            items = _sealed_items(count)
            plain_runs, sealed_runs = [], []
            for round_ in range(SEALED_ROUNDS):
                tag = f"{count}-{round_}"
                plain_runs.append(_plain_round(folder, items, tag))
                sealed_runs.append(_sealed_round(folder, items, cards, tag))
                for stale in folder.glob(f"*-{tag}.lbw*"):
                    stale.unlink()
            plain, sealed_ = _medians(plain_runs), _medians(sealed_runs)
            ratio = sealed_["total"] / plain["total"]
            ratios[size] = ratio
            label = f"{size // 1000}k"
            metrics.append({
                "name": f"sealed_import_{label}_ratio",
                "value": ratio, "unit": "x", "budget": 1.3,
                "baseline": plain["total"], "ratio": ratio,
                "note": (
                    f"{count} items, write+import: sealed {sealed_['total']:.2f} s (seal "
                    f"{sealed_['write']:.2f}, import {sealed_['import']:.2f}; open+validate "
                    f"alone {sealed_['open']:.2f}) vs unsealed {plain['total']:.2f} s (write "
                    f"{plain['write']:.2f}, import {plain['import']:.2f}; open+validate alone "
                    f"{plain['open']:.2f}); median of {SEALED_ROUNDS}"
                ),
            })  # fmt: skip
            del items
    growth = ratios[SEALED_SIZES[1]] / ratios[SEALED_SIZES[0]]
    metrics.append({
        "name": "sealed_import_ratio_growth", "value": growth, "unit": "x",
        "budget": float("inf"),  # printed: how the ratio moves with size
        "note": f"the ratio at 100k over the ratio at 10k ({ratios[SEALED_SIZES[0]]:.3f} -> "
                f"{ratios[SEALED_SIZES[1]]:.3f})",
    })  # fmt: skip
    return metrics


# -- opening a sealed bundle: peak memory against the bundle's size, and the whole command --
ROOT = Path(__file__).resolve().parents[1]
_CHILD = """
import json, sys
from pathlib import Path
from labeler.triage.bundle_import import import_bundle, open_for
from labeler.workspace import Workspace

def status(field):
    with open("/proc/self/status") as handle:
        return next(int(l.split()[1]) for l in handle if l.startswith(field + ":"))

mode, workspace, bundle = sys.argv[1:]
ws = Workspace.open(workspace, passphrase="bench")
from labeler.triage import pii
pii.findings(["warm up"] * 4096)  # loads DuckDB (~100 MB of modules), as any big scan does
with open("/proc/self/clear_refs", "w") as handle:
    handle.write("5")  # resets the peak (VmHWM) to the resident size now
before = status("VmRSS")
if mode == "open":
    count = sum(1 for _ in open_for(ws.store, Path(bundle)).items())
else:
    count = import_bundle(ws.store, ws.writer, Path(bundle)).added
after = status("VmHWM")
ws.close()
print(json.dumps({"before_kb": before, "after_kb": after, "count": count}))
"""


def _child_env() -> dict[str, str]:
    return child_env(PASSPHRASE)


def _peak_mb(mode: str, workspace: Path, bundle: Path) -> tuple[float, float]:
    """(peak RSS growth of ``mode`` in a fresh process, that process's peak), in MB: the
    peak (VmHWM) is reset once the workspace is open, so what is measured is the open alone
    (ru_maxrss cannot be reset, and the workspace's own open peaks above a small bundle)."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, mode, str(workspace), str(bundle)], cwd=ROOT,
        env=_child_env(), capture_output=True, text=True, check=True,
    )  # fmt: skip
    figures = json.loads(done.stdout)
    return (figures["after_kb"] - figures["before_kb"]) / 1024, figures["after_kb"] / 1024


def sealed_open_memory(scale: float) -> list[dict]:
    """Peak memory of opening a sealed bundle and reading every item (and of the whole
    import), each in its own process, at 10k and 100k items, against the items' size; then
    the CLI's ``labeler bundle import`` of the larger one, timed as a user meets it."""
    from labeler.triage.sealed_bundle import seal_to_team, write_sealed_bundle

    metrics = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        cards = _cards(folder)
        for size in SEALED_SIZES:
            count = max(int(size * scale), 100)
            bundle = folder / f"sealed-{count}.lbundle"
            paths = [folder / f"{name}-{count}.lbw" for name in ("open", "import", "cli")]
            with _team_lead(paths[0], cards) as ws:
                written = write_sealed_bundle(
                    bundle, BENCH_MANIFEST, _sealed_items(count), seal_to_team(ws.store)
                )
            for copy in paths[1:]:  # the same lead's laptop, three times over
                shutil.copyfile(paths[0], copy)
            items_mb = written["files"]["items.jsonl"]["size"] / 2**20
            opened, _ = _peak_mb("open", paths[0], bundle)
            imported, peak = _peak_mb("import", paths[1], bundle)
            label = f"{size // 1000}k"
            metrics.append({
                "name": f"sealed_open_{label}_peak_mb", "value": opened, "unit": "MB",
                "budget": 64.0,
                "note": f"{count} items, {items_mb:.0f} MB of item lines: open + read every "
                        f"item {opened:.0f} MB over the open workspace; the whole import "
                        f"{imported:.0f} MB (process peak {peak:.0f} MB)",
            })  # fmt: skip
            if size == SEALED_SIZES[-1]:
                metrics.append(_cli_import(paths[2], bundle, count))
    return metrics


def _cli_import(workspace: Path, bundle: Path, count: int) -> dict:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "labeler", "--workspace", str(workspace), "bundle", "import",
         str(bundle)], cwd=ROOT, env=_child_env(), capture_output=True, check=True,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    return {
        "name": "sealed_cli_import_100k_s", "value": seconds, "unit": "s", "budget": 60.0,
        "note": f"labeler bundle import of the {count}-item sealed bundle, whole command "
                "(process start, workspace open, validate, scan, write), once",
    }  # fmt: skip


BENCHMARKS = [build_events, import_ratio, import_validate, sealed_import_ratio,
              sealed_open_memory]  # fmt: skip
