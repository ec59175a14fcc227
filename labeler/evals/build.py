"""Eval bundles: the holdout, answered by the current and the candidate model, as blind pairs.

``build_eval`` reads holdout items from an eval pack folder or a bundle file, two outputs files
(JSON lines ``{"item_id", "model_version", "output"}``), samples ``size`` items across case
types (deterministic with the seed) and writes a bundle of kind "eval" whose items have the
signal "eval": candidates[0] is the current model, candidates[1] the candidate; the workbench
shows them blind and shuffled per labeler, like side-by-side picks. Each pair keeps its holdout
item's subject (the bundle's hash, or the pack's salted pseudonym), so a purge reaches it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import orjson

from labeler import __version__
from labeler.clock import utc_now
from labeler.domain import EVAL_SIGNAL, case_type
from labeler.errors import ValidationError
from labeler.evals.roles import eval_questions
from labeler.jsonio import canonical_json, read_objects
from labeler.labeling.rubric import parse_rubric
from labeler.triage.build import scan_pii
from labeler.triage.bundle_file import (
    FORMAT_VERSION,
    WEEK_PATTERN,
    content_hash,
    read_bundle,
    write_bundle,
)
from labeler.triage.sampling import choose_overlap, keyed_rank, round_robin

SIZE_RANGE = (50, 200)
_SHA256 = re.compile("[0-9a-f]{64}")


def _check_pack_rubric(folder: Path) -> None:
    """The pack's rubric (the team's) must be able to judge the eval: refuse it now, naming
    the missing role, rather than after the team has labeled the pairs."""
    path = folder / "rubric.yaml"
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    if not text.strip():
        return  # a pack without its rubric: the importing workspace's is checked when judged
    guide = folder / "guidance.md"
    guidance = guide.read_text(encoding="utf-8") if guide.is_file() else ""
    eval_questions(parse_rubric(text, guidance, f"{folder.name}/rubric.yaml"), "an eval")


def _holdout_from_pack(folder: Path) -> list[dict[str, Any]]:
    path = folder / "labels.jsonl"
    if not path.is_file():
        raise ValidationError(f"{folder}: not a label pack (no labels.jsonl).")
    _check_pack_rubric(folder)
    rows = []
    for number, line in enumerate(path.read_bytes().splitlines(), start=1):
        try:
            row = orjson.loads(line)
        except orjson.JSONDecodeError:
            raise ValidationError(f"{path.name} line {number}: not valid JSON.") from None
        if row.get("signal") == EVAL_SIGNAL:
            continue  # an eval pair (packs made before items had kinds held them): not holdout
        subject = row.get("subject")
        if subject is not None and not (isinstance(subject, str) and _SHA256.fullmatch(subject)):
            raise ValidationError(f"{path.name} line {number}: field 'subject' is not a sha256.")
        rows.append(
            {"id": row["item_id"], "case_type": row["case_type"], "reason_code": row["reason_code"],
             "input": row["input"], "intent": row["intent"], "model_name": row["model_name"],
             # the pack's salted pseudonym: the workspace that made the pack purges by it
             "subject_hash": row.get("subject")}
        )  # fmt: skip
    return rows


def _holdout_from_bundle(path: Path) -> list[dict[str, Any]]:
    bundle = read_bundle(path)
    if bundle.manifest.get("kind") == "eval":
        raise ValidationError(
            f"{path.name} is an eval bundle; build an eval from a week's bundle or an eval pack."
        )
    return [
        {"id": item["id"], "case_type": case_type(item["signal"], item["reason_code"]),
         "reason_code": item["reason_code"], "input": item["input"], "intent": item["intent"],
         "model_name": item["model"]["name"], "subject_hash": item["subject_hash"]}
        for item in bundle.items
        if item["holdout"]
    ]  # fmt: skip


def read_outputs(path: Path) -> tuple[str, dict[str, str]]:
    """(the model version, output per item id) of one outputs file."""
    outputs: dict[str, str] = {}
    versions: set[str] = set()
    for where, row in read_objects(path):
        if not all(isinstance(row.get(k), str) for k in ("item_id", "model_version", "output")):
            raise ValidationError(f"{where}: needs item_id, model_version and output as strings.")
        if row["item_id"] in outputs:
            raise ValidationError(f"{where}: a second output for item {row['item_id']!r}.")
        outputs[row["item_id"]] = row["output"]
        versions.add(row["model_version"])
    if len(versions) != 1:
        raise ValidationError(
            f"{path.name}: every output must come from one model version ({len(versions)} found)."
        )
    return versions.pop(), outputs


def build_eval(
    holdout: Path,
    current: Path,
    candidate: Path,
    size: int,
    output: Path,
    seed: int = 0,
    week: str | None = None,
) -> dict[str, Any]:
    """Write the eval bundle; ``week`` (default: this ISO week) is the week it belongs to."""
    if not SIZE_RANGE[0] <= size <= SIZE_RANGE[1]:
        raise ValidationError(f"--size must be between {SIZE_RANGE[0]} and {SIZE_RANGE[1]}.")
    items = _holdout_from_pack(holdout) if holdout.is_dir() else _holdout_from_bundle(holdout)
    current_version, current_out = read_outputs(current)
    candidate_version, candidate_out = read_outputs(candidate)
    if current_version == candidate_version:
        raise ValidationError("The current and candidate outputs come from the same model version.")
    eligible = [i for i in items if i["id"] in current_out and i["id"] in candidate_out]
    if not eligible:
        raise ValidationError("No holdout item has an output from both models.")
    key = f"eval:{seed}:{current_version}:{candidate_version}".encode()
    by_case: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in eligible:
        by_case[item["case_type"]].append(item)
    queues = [
        sorted(group, key=lambda i: keyed_rank(key, i["id"]))
        for _, group in sorted(by_case.items())
    ]
    chosen = round_robin(queues, size)
    prefix = hashlib.sha256(key).hexdigest()[:8]
    week = week or "{}-W{:02d}".format(*dt.date.today().isocalendar()[:2])
    if not WEEK_PATTERN.match(week):
        raise ValidationError(f"--week must look like 2026-W48, not {week!r}.")
    now = utc_now()
    today = now[:10] + "T00:00:00Z"
    records, case_types = [], {}
    for source in chosen:
        record: dict[str, Any] = {
            "id": f"eval-{prefix}:{source['id']}", "week": week, "signal": EVAL_SIGNAL,
            "reason_code": source["reason_code"], "captured_at": today,
            "input": source["input"], "intent": source["intent"],
            "model": {"name": source["model_name"], "version": "eval", "settings": {}},
            "output": None, "edited_output": None, "retries": None,
            "candidates": [
                {"model_version": current_version, "output": current_out[source["id"]]},
                {"model_version": candidate_version, "output": candidate_out[source["id"]]},
            ],
            # The pair copies the item's text, so it keeps its subject: a purge reaches it.
            "picked": None, "subject_hash": source["subject_hash"],
        }  # fmt: skip
        record["content_hash"] = content_hash(record)
        spans = scan_pii(record)
        record.update(pii=[s.as_dict() for s in spans], restricted=bool(spans), holdout=True)
        records.append(record)
        case_types[record["id"]] = source["case_type"]
    overlap = choose_overlap(
        [(case_types[r["id"]], r["id"]) for r in records if not r["restricted"]], 15, key
    )
    for record in records:
        record["overlap"] = record["id"] in overlap
    digest = hashlib.sha256("".join(map(canonical_json, records)).encode()).hexdigest()
    manifest = {
        "format_version": FORMAT_VERSION, "kind": "eval", "bundle_id": f"eval-{digest[:12]}",
        "week": week, "created_at": now,
        "builder_version": __version__,
        "options": {"size": size, "seed": seed, "holdout": holdout.name},
        "statistics": {"holdout_items": len(items), "eligible": len(eligible),
                       "per_case_type": dict(sorted(Counter(case_types.values()).items()))},
        "eval": {"current_version": current_version, "candidate_version": candidate_version,
                 "case_types": case_types},
    }  # fmt: skip
    return write_bundle(output, manifest, records)
