"""Agreement benchmarks (issues: paired labeling; 11, the app's spine).

- ``agreement_100k_s``: the statistics alone, 100,000 pairs for every choice question.
- ``agreement_cli_{1k,10k,100k}_s``: the whole ``labeler agreement --json`` process (a
  subprocess, wall clock, best of 3 after a warm-up) on workspaces of that many paired items:
  four weekly bundles (the pooled figures cover them all, the week a quarter), two labelers
  on every pair and a third on 10%, 20% blind side-by-side picks, 1% missing answers, 2% of
  disagreements resolved, plus a fifth as many single-labeled items; item texts of ~1.4 KB.
  The 10k figure carries the old implementation's as its baseline.
  With ``--quick`` each runs on a tenth of the items and is not extrapolated: a whole
  process is mostly fixed costs at that size.
- ``agreement_cli_100k_one_week_s``: the same 100,000 pairs in a single week, the worst case:
  the week's and the pooled intervals each resample all of them.

The 100k run also prints where the process's time goes (import, open, read, figures,
bootstrap, print), measured in one instrumented process.

    python benchmarks/agreement_bench.py --phases WORKSPACE   # the breakdown, as JSON
"""

from __future__ import annotations

import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.agreement_data import PASSPHRASE, Layout, build, recent_week
from benchmarks.child import child_env
from labeler.labeling.rubric import load_rubric
from labeler.resources import default_rubric_path
from labeler.team.agreement import cohen_kappa, krippendorff_alpha, percent_agreement

ROOT = Path(__file__).resolve().parents[1]
OLD_TIMEOUT_S = 600


def agreement_100k(scale: float) -> dict:
    count = int(100_000 * scale)
    rng = random.Random(3)
    rubric = load_rubric(default_rubric_path())
    questions = [q for q in rubric.questions if q.kind != "free_text"]
    pairs = {}
    for question in questions:
        choices = [c.id for c in question.choices]
        first = [rng.choice(choices) for _ in range(count)]
        second = [a if rng.random() < 0.8 else rng.choice(choices) for a in first]
        pairs[question.id] = (first, second, choices)
    started = time.perf_counter()
    for first, second, choices in pairs.values():
        percent_agreement(first, second)
        cohen_kappa(first, second, categories=choices)
        krippendorff_alpha(list(zip(first, second, strict=True)), "nominal")
    seconds = (time.perf_counter() - started) / scale
    note = f"{len(questions)} questions x {count} pairs: percent, kappa, alpha"
    return {"name": "agreement_100k_s", "value": seconds, "unit": "s", "budget": 1.0, "note": note}


def layout(paired: int, weeks: int = 4) -> Layout:
    return Layout(paired=paired, weeks=weeks, singles=paired // 5, third=0.1, side_by_side=0.2,
                  evals=0.0, missing=0.01, resolved=0.02, text_size=600,
                  first_week=recent_week(weeks - 1), seed=7)  # fmt: skip


def _env() -> dict[str, str]:
    return child_env(PASSPHRASE)


def cli_seconds(workspace: Path, runs: int = 3) -> float:
    """Best wall-clock time of ``labeler agreement --json`` as its own process."""
    command = [sys.executable, "-m", "labeler", "--workspace", str(workspace), "agreement",
               "--json"]  # fmt: skip
    best = float("inf")
    for attempt in range(runs + 1):  # the first run warms the file cache and is not counted
        started = time.perf_counter()
        subprocess.run(command, env=_env(), check=True, stdout=subprocess.DEVNULL)
        if attempt:
            best = min(best, time.perf_counter() - started)
    return best


_OLD = """
import json, sys
from labeler.workspace import Workspace
from tests.team.agreement_reference import report
with Workspace.open(sys.argv[1]) as ws:
    print(json.dumps(report(ws.session), indent=2, sort_keys=True, ensure_ascii=False))
"""


def old_seconds(workspace: Path) -> float | None:
    """The implementation this replaced (tests/team/agreement_reference.py), as a process."""
    started = time.perf_counter()
    try:
        subprocess.run([sys.executable, "-c", _OLD, str(workspace)], env=_env(), check=True,
                       stdout=subprocess.DEVNULL, timeout=OLD_TIMEOUT_S, cwd=ROOT)  # fmt: skip
    except subprocess.TimeoutExpired:
        return None
    return time.perf_counter() - started


def phases(workspace: Path) -> dict[str, float]:
    """Seconds per phase of one agreement report in this process (run it in a fresh one):
    the report's steps in its order, with the bootstrap timed apart from the figures."""
    started = time.perf_counter()
    from labeler.cli import cli  # noqa: F401  (what the command imports before it runs)
    from labeler.cli.common import echo_json
    from labeler.team import agreement_report as ar
    from labeler.team.unit_stats import figures, interval
    from labeler.workspace import Workspace

    imported = time.perf_counter()
    with Workspace.open(workspace) as ws:
        session = ws.session
        assert session.rubric is not None  # read and parsed, as the command does
        opened = time.perf_counter()
        data = ar._compared(session)  # the reads (two threads), and coding the labels
        read = time.perf_counter()
        chosen = data.weeks[-1] if data.weeks else None
        in_week = data.in_weeks([chosen] if chosen else [])
        in_pooled = data.in_weeks(ar._pooled_weeks(data.weeks, chosen, 4))
        reasons = ar._reasons(session, data, chosen, in_week)
        coded = [data.question(column) for column in range(len(data.questions))]
        for q in coded:
            ar._block(q, in_week, reasons)
            figures(q.units, q.types, q.rows(in_pooled), None)
            ar._trend(data, q)
        decided = ar._decided(session, data)
        ar._labeler_vs_gold(session, data, decided)
        ar._disagreements(data, decided, in_week)
        counted = time.perf_counter()
        rng = np.random.default_rng(0)
        for mask in (in_week, in_pooled):  # the report's order: the week's, then pooled
            for q in coded:
                interval(q.types, q.rows(mask), q.units.level, rng)
        resampled = time.perf_counter()
        report = ar.report(session)
        again = time.perf_counter()
        with open(os.devnull, "w") as sink:
            stdout, sys.stdout = sys.stdout, sink
            try:
                echo_json(report.to_json())
            finally:
                sys.stdout = stdout
        printed = time.perf_counter()
    return {"import": imported - started, "open": opened - imported, "read": read - opened,
            "figures": counted - read, "bootstrap": resampled - counted,
            "print": printed - again}  # fmt: skip


def _phases_of(workspace: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--phases", str(workspace)], env=_env(),
                         check=True, capture_output=True, text=True)  # fmt: skip
    return dict(json.loads(out.stdout))


def agreement_cli(scale: float) -> list[dict[str, Any]]:
    metrics = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        for label, paired in (("1k", 1_000), ("10k", 10_000), ("100k", 100_000)):
            count = max(int(paired * scale), 100)
            started = time.perf_counter()
            workspace = build(folder / f"{label}.lbw", layout(count))
            built = time.perf_counter() - started
            seconds = cli_seconds(workspace)
            metric: dict[str, Any] = {
                "name": f"agreement_cli_{label}_s", "value": seconds, "unit": "s",
                "budget": 3.0, "note": f"{count} paired items, whole process (built in "
                f"{built:.0f} s)" + ("" if scale == 1.0 else ", quick: not extrapolated"),
            }  # fmt: skip
            if label == "10k" and scale == 1.0:
                old = old_seconds(workspace)
                metric["baseline"] = old
                metric["ratio"] = None if old is None else old / seconds
                metric["note"] += (f"; old implementation {old:.0f} s" if old is not None
                                   else f"; old implementation > {OLD_TIMEOUT_S} s")  # fmt: skip
            if label == "100k":
                split = _phases_of(workspace)
                metric["note"] += "; " + ", ".join(f"{k} {v:.2f}" for k, v in split.items())
            metrics.append(metric)
            workspace.unlink()
        count = int(100_000 * scale)
        workspace = build(folder / "one-week.lbw", layout(count, weeks=1))
        metrics.append({
            "name": "agreement_cli_100k_one_week_s", "value": cli_seconds(workspace),
            "unit": "s", "budget": 3.0,
            "note": f"{count} paired items in one week: every interval resamples them all",
        })  # fmt: skip
    sizes = [m for m in metrics if m["name"].endswith(("1k_s", "0k_s"))]
    for smaller, larger in itertools.pairwise(sizes):
        larger["note"] += f"; x{larger['value'] / smaller['value']:.1f} for 10x the items"
    return metrics


BENCHMARKS = [agreement_100k, agreement_cli]

if __name__ == "__main__":
    if sys.argv[1:2] == ["--phases"]:
        print(json.dumps(phases(Path(sys.argv[2]))))
    else:
        for metric in agreement_cli(float(sys.argv[1]) if sys.argv[1:] else 1.0):
            print(f"{metric['name']:<32} {metric['value']:>8.2f} s  {metric['note']}")
