"""Writing a pack's files: rows to JSON lines and Parquet (same rows, stable bytes), the
rubric, the README for the training team, and the file list with sizes and hashes."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import orjson

PACK_README = """# Label pack {pack_id} ({kind})

Made by Labeler on {created_at} from workspace {workspace_id}, rubric {rubric_id} version
{rubric_version}. {count} rows. `manifest.json` lists every file with its size and sha256 and
is signed (`manifest.json.minisig`, minisign, Ed25519) by the lead's key.

## Check it first

    minisign -V -p lead.pub -m manifest.json     # the signature
    labeler pack verify . --pubkey lead.pub      # the signature, every file's size and hash,
                                                 # and that no file is missing or added

## Load it

`labels.jsonl` and `labels.parquet` hold the same rows. With pandas:

    import pandas as pd
    df = pd.read_parquet("labels.parquet")      # or pd.read_json("labels.jsonl", lines=True)

With DuckDB:

    SELECT * FROM 'labels.parquet';             -- or read_json_auto('labels.jsonl')

## Columns

- `item_id`, `week`, `reason_code`, `signal`, `case_type`: what the item is; `case_type` is the
  reason code, `normal` for normal traffic, `unspecified` for a high-intent signal without one.
- `input`, `intent`, `model_name`, `model_version`, `model_settings` (JSON text): the context.
- `output`, `edited_output`, `retries` (JSON text: the retry path), `candidates` (JSON text:
  the two side-by-side outputs; preferences name them A = the first, B = the second), `picked`.
- `answer_<question>`: the gold answer to each rubric question (`rubric.yaml`, guidance in
  `guidance.md`); `decided`: `agreed` (all labelers agreed), `single` (one labeler) or
  `resolved` (the lead settled a disagreement, `resolution_id` names the note).
- `rubric_id`, `rubric_version`, `subject` (a salted hash of the customer reference, for
  deletion requests), `content_hash`.

{kind_notes}
"""

TRAINING_NOTES = """This is a **training** pack: never a holdout item, never an item whose
input equals or nearly equals (character 5-gram Jaccard >= 0.8) any holdout item's, never a
restricted item without a confirmed redaction, never an unresolved disagreement. Check a
training set against the holdout list in the signed manifest of the eval pack."""

EVAL_NOTES = """This is an **eval** pack: the holdout — items that never enter training — with
the top failure modes and a slice of normal traffic, counted separately in the manifest, which also
lists every holdout item id and content hash."""


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    """One JSON object a line, keys sorted, UTF-8 (orjson: ~10x the stdlib's speed here)."""
    dumps, option = orjson.dumps, orjson.OPT_SORT_KEYS
    path.write_bytes(b"".join(dumps(row, option=option) + b"\n" for row in rows))


def write_parquet(path: Path, rows: list[dict[str, Any]], columns: list[str]) -> None:
    """Same rows as the JSON lines; explicit schema and settings so the bytes are stable."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    integer = {"picked", "resolution_id"}
    schema = pa.schema([(c, pa.int64() if c in integer else pa.string()) for c in columns])
    # Column lists, not from_pylist: converting 100k dicts row by row took a second here.
    table = pa.table({c: [row[c] for row in rows] for c in columns}, schema=schema)
    pq.write_table(table, path, compression="zstd", write_statistics=False, store_schema=False)


def file_entry(path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return {"name": path.name, "size": path.stat().st_size, "sha256": digest.hexdigest()}
