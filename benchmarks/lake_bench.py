"""Triage at lake scale (issue 15): `labeler bundle build` on 1M events in Parquet and JSON
lines against a hand-written DuckDB query doing the same filtering, keyed ranking and
per-case cap in the same run; peak memory over 1M, 3M and 10M events; Spark's local mode.

The machine is shared: every figure is printed with the load average beside it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.child import child_env
from benchmarks.lake_data import write_events
from labeler.triage.build import BuildOptions, build_bundle

OPTIONS = BuildOptions(week="2026-W48")

# The baseline: what someone would write by hand for the same sample, with no checks of the
# events and no statistics; the picked rows come back as JSON, as the engine's do.
BASELINE = """
WITH e AS (
  SELECT *, CAST(captured_at AS TIMESTAMPTZ) AS ts FROM {scan}
  WHERE signal IN ('edit', 'retry', 'side_by_side', 'sample')
    AND input <> '' AND intent <> '' AND model.version <> ''
), r AS (
  SELECT *, CASE WHEN signal = 'sample' THEN 'normal'
                 ELSE coalesce(reason_code, 'unspecified') END AS case_type,
    sha256('labeler-holdout-v2:k:' || event_id) < '1999999999999999' AS holdout,
    sha256('labeler-sample-v2:0:' || event_id) AS rank, date_trunc('day', ts) AS day
  FROM e WHERE ts >= TIMESTAMPTZ '2026-11-23 00:00:00+00' AND ts < TIMESTAMPTZ '2026-11-30 00:00:00+00'
), top AS (
  SELECT *, row_number() OVER (PARTITION BY case_type, holdout, day ORDER BY rank) AS depth
  FROM r QUALIFY depth <= 20
)
SELECT to_json(struct_pack(event_id, captured_at, signal, reason_code, input, intent, model,
                           output, edited_output, retries, candidates, picked))
FROM top QUALIFY row_number() OVER (PARTITION BY case_type, holdout ORDER BY depth, day) <= 20
"""  # noqa: E501


def load() -> str:
    return "load {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def baseline_seconds(path: Path) -> float:
    import duckdb

    scan = (
        f"read_parquet('{path}')"
        if path.suffix == ".parquet"
        else f"read_json('{path}', format = 'newline_delimited')"
    )
    con = duckdb.connect()
    con.execute("SET memory_limit = '500MB'")
    started = time.perf_counter()
    con.execute(BASELINE.format(scan=scan)).fetchall()
    seconds = time.perf_counter() - started
    con.close()
    return seconds


def engine_seconds(path: Path, out: Path, engine: str = "duckdb") -> float:
    started = time.perf_counter()
    build_bundle([path], OPTIONS, out, engine=engine)
    return time.perf_counter() - started


PASSPHRASE = "lake-bench-passphrase"


def _env() -> dict[str, str]:
    return child_env(PASSPHRASE)


def team_workspace(folder: Path) -> Path:
    """A workspace on a one-person team (its lead): `bundle build` seals to a roster."""
    path = folder / "triage.lbw"
    if not path.exists():
        for args in (["init"], ["roster", "init", "--name", "Bench"]):
            subprocess.run([sys.executable, "-m", "labeler", "--workspace", str(path), *args],
                           env=_env(), check=True, capture_output=True)  # fmt: skip
    return path


def command(path: Path, out: Path, *extra: str) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of `labeler bundle build` as its own process, on a
    team workspace beside ``out`` (sealing the picked few is part of the command)."""
    workspace = team_workspace(out.parent)
    args = [sys.executable, "-m", "labeler", "--workspace", str(workspace), "bundle", "build",
            str(path), "--week", "2026-W48"]  # fmt: skip
    started = time.perf_counter()
    child = subprocess.Popen(
        [*args, "-o", str(out), *extra], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        env=_env(),
    )  # fmt: skip
    _, status, usage = os.wait4(child.pid, 0)  # this child's own peak, not the largest yet
    seconds = time.perf_counter() - started
    if status != 0:
        raise RuntimeError(child.stderr.read().decode() if child.stderr else "build failed")
    return seconds, usage.ru_maxrss / 1024


def _format_metrics(scale: float, suffix: str, budget: float) -> list[dict]:
    count = int(1_000_000 * scale)
    with tempfile.TemporaryDirectory() as scratch:
        path = write_events(Path(scratch) / f"events{suffix}", count)
        out = Path(scratch) / "w.lbundle"
        baseline = min(baseline_seconds(path) for _ in range(2))
        ours = min(engine_seconds(path, out) for _ in range(2))
        whole, peak = min(command(path, out) for _ in range(2))
    name = suffix.lstrip(".")
    note = f"{count} events, scaled to 1M; hand-written DuckDB query {baseline:.2f} s; {load()}"
    return [
        {
            "name": f"build_1m_{name}_s",
            "value": whole / scale,
            "unit": "s",
            "budget": budget,
            "baseline": baseline / scale,
            "ratio": whole / baseline,
            "note": f"whole command, peak {peak:.0f} MB; {note}",
        },
        {
            "name": f"build_1m_{name}_engine_s",
            "value": ours / scale,
            "unit": "s",
            "budget": budget,
            "baseline": baseline / scale,
            "ratio": ours / baseline,
            "note": f"engine in-process; {note}",
        },
    ]


def build_parquet(scale: float) -> list[dict]:
    return _format_metrics(scale, ".parquet", 1.5)


def build_jsonl(scale: float) -> list[dict]:
    return _format_metrics(scale, ".jsonl", 5.0)


def memory_curve(scale: float) -> list[dict]:
    """Peak RSS of the whole command over 1M, 3M and 10M Parquet events; time per million."""
    metrics = []
    with tempfile.TemporaryDirectory() as scratch:
        for millions in (1, 3, 10):
            count = int(millions * 1_000_000 * scale)
            path = write_events(Path(scratch) / f"e{millions}.parquet", count)
            seconds, peak = command(path, Path(scratch) / "w.lbundle")
            metrics.append(
                {
                    "name": f"peak_memory_{millions}m_events_mb",
                    "value": peak,
                    "unit": "MB",
                    "budget": 1024.0,
                    "note": f"{count} events: {seconds:.1f} s, "
                    f"{seconds / (count / 1e6):.2f} s per million; {load()}",
                }
            )
            path.unlink()
    return metrics


def spark_local(scale: float) -> list[dict]:
    """The same build as a local-mode Spark job (needs the [spark] extra and Java)."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return []
    count = int(1_000_000 * scale)
    with tempfile.TemporaryDirectory() as scratch:
        path = write_events(Path(scratch) / "events.parquet", count)
        out = Path(scratch) / "w.lbundle"
        seconds, peak = command(path, out, "--engine", "spark", "--spark-master", "local[2]")
    return [
        {
            "name": "build_1m_parquet_spark_local_s",
            "value": seconds / scale,
            "unit": "s",
            "budget": 120.0,
            "note": f"{count} events, local[2], JVM start included; driver peak {peak:.0f} MB; "
            f"{load()}",
        }
    ]


BENCHMARKS = [build_parquet, build_jsonl, memory_curve, spark_local]
