"""``labeler pack check`` at training-set scale: a Parquet training file of 1,000,000 rows
(two text columns, prompt and completion, ~250 characters each) against an eval pack of
2,000 holdout rows (input, output and edited output each), with planted exact and near
copies. Prints rows/s and the projected time for 10,000,000 rows.

    python benchmarks/pack_check_bench.py [--quick] [--rows N]
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from labeler.packs.check import check_training

HOLDOUT_ROWS = 2_000
PLANTED_EVERY = 10_000  # one exact and one near copy of a holdout text per this many rows


def _vocabulary(size: int = 50_000) -> tuple[np.ndarray, np.ndarray]:
    """Words with English-like letter frequencies and lengths, drawn Zipf-distributed (a few
    words very common, as in real text: the hard case for band keys, which then share
    common shingles)."""
    rng = np.random.default_rng(99)
    letters = np.array(list("etaoinshrdlcumwfgypbvkjxqz"))
    weights = np.array([12.7, 9.1, 8.2, 7.5, 7.0, 6.7, 6.3, 6.1, 6.0, 4.3, 4.0, 2.8, 2.8, 2.4,
                        2.4, 2.2, 2.0, 2.0, 1.9, 1.5, 1.0, 0.8, 0.15, 0.15, 0.1, 0.07])  # fmt: skip
    lengths = np.clip(rng.poisson(4.5, size) + 1, 1, 14)
    draws = rng.choice(letters, size=int(lengths.sum()), p=weights / weights.sum())
    cuts = np.cumsum(lengths)[:-1]
    words = np.array(["".join(w) for w in np.split(draws, cuts)], dtype=object)
    zipf = 1 / np.arange(1, size + 1)
    return words, zipf / zipf.sum()


VOCABULARY = _vocabulary()


def _texts(rng: np.random.Generator, count: int, words: int) -> list[str]:
    vocabulary, frequency = VOCABULARY
    picks = vocabulary[rng.choice(len(vocabulary), size=(count, words), p=frequency)]
    return [" ".join(row) for row in picks]


def _eval_pack(folder: Path, rng: np.random.Generator) -> tuple[Path, list[str]]:
    pack = folder / "eval-pack"
    pack.mkdir()
    inputs, outputs = _texts(rng, HOLDOUT_ROWS, 40), _texts(rng, HOLDOUT_ROWS, 40)
    with (pack / "labels.jsonl").open("w") as out:
        for number, (text, answer) in enumerate(zip(inputs, outputs, strict=True)):
            row = {"item_id": f"h{number:05d}", "input": text, "output": answer,
                   "edited_output": answer + " checked"}  # fmt: skip
            out.write(json.dumps(row) + "\n")
    (pack / "manifest.json").write_text(json.dumps({"kind": "eval", "pack_id": "eval-bench"}))
    return pack, outputs


def _training(path: Path, rows: int, holdout: list[str], rng: np.random.Generator) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    planted = 0
    with pq.ParquetWriter(
        path, pa.schema([("prompt", pa.string()), ("completion", pa.string())])
    ) as writer:
        for start in range(0, rows, 100_000):
            count = min(100_000, rows - start)
            prompts, completions = _texts(rng, count, 40), _texts(rng, count, 40)
            for offset in range(0, count, PLANTED_EVERY):
                source = holdout[(start + offset) % len(holdout)]
                completions[offset] = source.upper() + "!"  # exact after normalising
                words = source.split()
                words[5] = "zzzz"
                prompts[offset + 1] = " ".join(words)  # a near copy
                planted += 2
            writer.write_table(pa.table({"prompt": prompts, "completion": completions}))
    return planted


def pack_check(scale: float) -> list[dict]:
    rows = max(20_000, int(1_000_000 * scale))
    rng = np.random.default_rng(1)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        pack, holdout = _eval_pack(folder, rng)
        training = folder / "training.parquet"
        planted = _training(training, rows, holdout, rng)
        started, cpu = time.perf_counter(), time.process_time()
        result = check_training(training, pack)
        took, cpu = time.perf_counter() - started, time.process_time() - cpu
    found = len({f.row for f in result.findings})
    per_second = rows / took
    return [
        {"name": "pack_check_rows_per_s", "value": per_second, "unit": "r/s",
         "budget": float("inf"),
         "note": f"{rows} rows x 2 text columns in {took:.1f} s ({cpu:.1f} s CPU on "
         f"{os.cpu_count()} cores); {found} of {planted} planted "
         f"copies found, {len(result.findings)} findings"},
        {"name": "pack_check_10m_rows_s", "value": 10_000_000 / per_second, "unit": "s",
         "budget": 600.0, "note": f"projected from the measured {rows}-row run"},
    ]  # fmt: skip


BENCHMARKS = [pack_check]


if __name__ == "__main__":
    scale = 0.1 if "--quick" in sys.argv else 1.0
    if "--rows" in sys.argv:
        scale = int(sys.argv[sys.argv.index("--rows") + 1]) / 1_000_000
    for metric in pack_check(scale):
        print(
            f"{metric['name']:<26} {metric['value']:>12,.1f} {metric['unit']:<4} {metric['note']}"
        )
