"""Check a training set against an eval pack's holdout, on the training team's machine: every
row of their own data (Parquet or JSON lines) whose text equals or nearly equals a text of a
holdout row — the leakage guard's measure (labeler/leakage.py), over every text field of the
holdout (input, output, edited output, retry outputs, candidates) and every text column named.

The file is streamed in Arrow record batches (Parquet row groups, or JSON lines read in
blocks) and each column is hashed a few thousand rows at a time with the vectorised MinHash;
only texts whose band keys are found in the holdout's go on to the exact lookup. Imports
neither Qt nor the workspace, like ``pack verify``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from labeler import leakage
from labeler.errors import ValidationError
from labeler.progress import CancelCheck, ProgressCallback, check_cancel, never_cancel, no_progress

BATCH_ROWS = 65_536
# Holdout texts named per training row at most: a row copying an answer 5,000 holdout items
# share is one finding to fix, not 5,000 lines.
PER_ROW = 10


@dataclass(frozen=True)
class Finding:
    """Row ``row`` (1-based) of the training file, in ``column``, copies a holdout text."""

    row: int
    column: str
    holdout_item: str
    holdout_field: str
    similarity: float
    exact: bool


@dataclass(frozen=True)
class CheckResult:
    training_file: str
    eval_pack: str
    pack_id: str
    verified: bool  # the eval pack's signature was checked against --pubkey
    holdout_rows: int
    holdout_texts: int
    rows: int
    columns: tuple[str, ...]
    seconds: float
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else float("inf")

    def to_json(self) -> dict[str, Any]:
        import dataclasses

        return {**dataclasses.asdict(self), "rows_per_second": round(self.rows_per_second)}


def holdout_index(pack: Path) -> tuple[leakage.HoldoutIndex, int]:
    """Every text of every holdout row of an eval pack, owned by its item id; (index, rows)."""
    path = pack / "labels.jsonl"
    if not path.is_file():
        raise ValidationError(f"{pack}: not a label pack (no labels.jsonl).")
    entries, rows = [], 0
    for number, line in enumerate(path.read_bytes().splitlines(), start=1):
        try:
            row = orjson.loads(line)
        except orjson.JSONDecodeError:
            raise ValidationError(f"{path.name} line {number}: not valid JSON.") from None
        if not isinstance(row, dict) or not isinstance(row.get("item_id"), str):
            raise ValidationError(f"{path.name} line {number}: a row needs its item_id.")
        rows += 1
        texts = leakage.comparable_texts(
            row.get("input"), row.get("output"), row.get("edited_output"), row.get("retries"),
            row.get("candidates"),
        )  # fmt: skip
        entries += [(row["item_id"], name, text) for name, text in texts]
    index = leakage.HoldoutIndex()
    index.add_texts(entries)
    return index, rows


def _eval_manifest(pack: Path, pubkey: Path | None) -> dict[str, Any]:
    if pubkey is not None:
        from labeler.packs.verify import verify_pack

        manifest = verify_pack(pack, pubkey)
    else:
        try:
            manifest = orjson.loads((pack / "manifest.json").read_bytes())
        except (OSError, orjson.JSONDecodeError):
            raise ValidationError(
                f"{pack}: not a label pack (no readable manifest.json)."
            ) from None
    if manifest.get("kind") != "eval":
        raise ValidationError(f"{pack} is a {manifest.get('kind')} pack; give an eval pack.")
    return dict(manifest)


def _batches(path: Path, columns: list[str] | None) -> Iterator[Any]:
    """Record batches of the file (only ``columns`` when given)."""
    import pyarrow as pa
    import pyarrow.json as pj
    import pyarrow.parquet as pq

    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            reader = pq.ParquetFile(path)
            missing = sorted(set(columns or ()) - set(reader.schema_arrow.names))
            if missing:
                raise ValidationError(f"{path.name}: no column '{missing[0]}'.")
            yield from reader.iter_batches(batch_size=BATCH_ROWS, columns=columns)
        elif suffix in (".jsonl", ".ndjson", ".json"):
            options = pj.ReadOptions(block_size=16 << 20)
            yield from pj.open_json(path, read_options=options)
        else:
            raise ValidationError(f"{path}: use a .parquet or a .jsonl training file.")
    except (pa.ArrowInvalid, OSError) as err:
        raise ValidationError(f"{path.name}: cannot be read as {suffix[1:]} ({err}).") from None


def _text_columns(batch: Any, wanted: list[str] | None, name: str) -> list[str]:
    import pyarrow as pa

    strings = [
        f.name
        for f in batch.schema
        if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
    ]
    if wanted is None:
        if not strings:
            raise ValidationError(f"{name}: no text column; name one with --text-column.")
        return strings
    for column in wanted:
        if column not in batch.schema.names:
            raise ValidationError(f"{name}: no column '{column}'.")
        if column not in strings:
            raise ValidationError(f"{name}: column '{column}' does not hold text.")
    return wanted


def check_training(
    training: Path,
    pack: Path,
    text_columns: list[str] | None = None,
    pubkey: Path | None = None,
    progress: ProgressCallback = no_progress,
    should_cancel: CancelCheck = never_cancel,
) -> CheckResult:
    """Every exact or near duplicate of the eval pack's holdout texts in ``training``."""
    manifest = _eval_manifest(pack, pubkey)
    index, holdout_rows = holdout_index(pack)
    index.freeze()  # built once, before the threads read it
    started = time.perf_counter()
    findings: list[Finding] = []
    rows, columns = 0, list(text_columns or [])
    # Arrow's kernels and numpy's release the GIL: chunks hashed on every core at once.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for batch in _batches(training, text_columns):
            check_cancel(should_cancel)
            columns = _text_columns(batch, text_columns, training.name)
            work = [
                (batch.column(column).slice(start, leakage.CHUNK), column, rows + start)
                for column in columns
                for start in range(0, batch.num_rows, leakage.CHUNK)
            ]
            for found in pool.map(lambda job: _chunk_findings(index, *job), work):
                findings += found
            rows += batch.num_rows
            progress(rows, 0, f"{rows} rows")
    findings.sort(key=lambda f: (f.row, f.column, f.holdout_item, f.holdout_field))
    return CheckResult(
        training_file=str(training), eval_pack=str(pack), pack_id=str(manifest.get("pack_id")),
        verified=pubkey is not None, holdout_rows=holdout_rows, holdout_texts=len(index),
        rows=rows, columns=tuple(columns), seconds=round(time.perf_counter() - started, 3),
        findings=tuple(findings),
    )  # fmt: skip


def _chunk_findings(
    index: leakage.HoldoutIndex, values: Any, column: str, first: int
) -> list[Finding]:
    """The findings of up to ``CHUNK`` values of one column; ``first`` rows came before."""
    codes, lengths, norm_of = leakage.arrow_codes(values)
    return [
        Finding(first + m.row + 1, column, m.owner, m.field, m.similarity, m.exact)
        for m in index.matches_of_codes(codes, lengths, norm_of, per_row=PER_ROW)
    ]
