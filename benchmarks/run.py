"""Run every benchmark and print one table (``--json`` for one object).

    python benchmarks/run.py [--quick] [--json]

``--quick`` runs each at a tenth of the size. Figures are printed, not asserted: budgets are
ceilings to compare against, measured on the machine at hand.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")

from benchmarks import (
    agreement_bench,
    bundle_bench,
    gui_bench,
    hostile_bench,
    lake_bench,
    pack_bench,
    pack_check_bench,
    pii_bench,
    queue_bench,
    rollout_bench,
    rubric_bench,
)

SUITES = [
    bundle_bench,
    lake_bench,
    pii_bench,
    gui_bench,
    queue_bench,
    agreement_bench,
    pack_bench,
    pack_check_bench,
    rollout_bench,
    rubric_bench,
    hostile_bench,
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a tenth of the size")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--only", help="run only metrics whose name contains this")
    args = parser.parse_args()
    scale = 0.1 if args.quick else 1.0
    metrics = []
    for suite in SUITES:
        for bench in suite.BENCHMARKS:
            if args.only and args.only not in bench.__name__:
                continue
            result = bench(scale)
            results = result if isinstance(result, list) else [result]
            for metric in results:
                metric.setdefault("baseline", None)
                metric.setdefault("ratio", None)
                metrics.append(metric)
                if not args.json:
                    print(_row(metric), flush=True)
    if args.json:
        keys = ("name", "value", "unit", "budget", "baseline", "ratio")
        print(json.dumps({"metrics": [{k: m[k] for k in keys} for m in metrics]}, indent=2))
    return 0


def _row(metric: dict) -> str:
    status = "ok" if metric["value"] <= metric["budget"] else "OVER BUDGET"
    baseline = "" if metric["baseline"] is None else f" baseline {metric['baseline']:.3g}"
    return (
        f"{metric['name']:<32} {metric['value']:>10.3f} {metric['unit']:<3} "
        f"budget {metric['budget']:<6g} {status:<11}{baseline}  {metric.get('note', '')}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
