"""Eval bundles: the holdout, answered by the current and the candidate model, as blind pairs.

``build_eval`` reads holdout items from an eval pack folder or a bundle file, two outputs files
(JSON lines ``{"item_id", "model_version", "output"}``), samples ``size`` items across case
types (deterministic with the seed) and writes a bundle of kind "eval" whose items have the
signal "eval": candidates[0] is the current model, candidates[1] the candidate; the workbench
shows them blind and shuffled per labeler, like side-by-side picks. Each pair keeps its holdout
item's subject (the bundle's hash, or the pack's salted pseudonym), so a purge reaches it.

On a team the eval is sealed like a week's bundle (``seal``: signed by the lead or triage
member, encrypted to the roster; a pair is restricted when its holdout item was, or its texts
hold personal data, and goes only to the members with restricted access), and a sealed week's
bundle as the holdout is opened as the building workspace may read it (``store``). The CLI
and the app refuse to build one in a workspace on no team (``seal_for_eval``): a bundle is
never written in plaintext. ``seal=None`` (library callers, the demo on no team) writes the
plain inner format, which only a workspace on no team imports.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from labeler import __version__
from labeler.clock import utc_now
from labeler.crypto import roster, sealed
from labeler.crypto.signing import PublicKey
from labeler.domain import EVAL_SIGNAL, case_type
from labeler.errors import LabelerError, ValidationError
from labeler.evals import lineage
from labeler.evals.roles import eval_questions
from labeler.jsonio import canonical_json, read_objects
from labeler.labeling.rubric import parse_rubric
from labeler.store.connection import Store
from labeler.triage.build import scan_pii
from labeler.triage.bundle_file import (
    FORMAT_VERSION,
    WEEK_PATTERN,
    BundleSource,
    content_hash,
    open_bundle,
    write_bundle,
)
from labeler.triage.bundle_import import SENSITIVE_REASON, open_for
from labeler.triage.sampling import choose_overlap, keyed_rank, round_robin
from labeler.triage.sealed_bundle import SealTo, seal_to_team, write_sealed_bundle

SIZE_RANGE = (50, 200)
_SHA256 = re.compile("[0-9a-f]{64}")
NO_TEAM = (
    "An eval bundle is sealed to the team roster, and this workspace has none: build it in the "
    "lead's workspace once it is on a team ('labeler roster init' starts one, 'labeler roster "
    "import' takes the lead's); a bundle is never written in plaintext."
)


def seal_for_eval(store: Store) -> SealTo:
    """The team an eval built in this workspace is sealed to (what the CLI and the app give).

    A workspace on no team is refused, as 'labeler bundle build' refuses it: keeping a plain
    path there was the alternative, rejected because the pairs copy customer text.
    """
    if roster.current(store) is None:
        raise LabelerError(NO_TEAM)
    return seal_to_team(store)


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


def _holdout_row(
    row: dict[str, Any], case: str, model_name: Any, subject: str | None, restricted: bool = False
) -> dict[str, Any]:
    """What the eval keeps of a holdout item: its context, whether it was restricted and, for
    the contamination check, every text and its content hash."""
    return {
        "id": row.get("item_id", row.get("id")), "case_type": case, "restricted": restricted,
        "reason_code": row["reason_code"], "input": row["input"], "intent": row["intent"],
        "model_name": model_name, "output": row.get("output"),
        "edited_output": row.get("edited_output"), "retries": row.get("retries"),
        "candidates": row.get("candidates"), "content_hash": row.get("content_hash"),
        "subject_hash": subject,
    }  # fmt: skip


def _holdout_from_pack(folder: Path) -> list[dict[str, Any]]:
    _check_pack_rubric(folder)
    rows = []
    for number, row in enumerate(lineage.pack_rows(folder), start=1):
        if row.get("signal") == EVAL_SIGNAL:
            continue  # an eval pair (packs made before items had kinds held them): not holdout
        subject = row.get("subject")
        if subject is not None and not (isinstance(subject, str) and _SHA256.fullmatch(subject)):
            raise ValidationError(f"labels.jsonl line {number}: field 'subject' is not a sha256.")
        # the pack's salted pseudonym: the workspace that made the pack purges by it
        rows.append(_holdout_row(row, row["case_type"], row["model_name"], subject))
    return rows


def _open_week(path: Path, store: Store | None) -> BundleSource:
    """The week's bundle as ``store``'s workspace may read it (``open_for``: a sealed one
    checked against its roster, restricted items withheld from a laptop without access); with
    no store, a plain bundle only."""
    if store is not None:
        return open_for(store, path)
    if sealed.is_sealed(path):
        raise ValidationError(
            f"{path.name} is a sealed bundle: build the eval in a workspace on the team it is "
            "sealed to (--workspace)."
        )
    return open_bundle(path)


def _holdout_from_bundle(path: Path, store: Store | None) -> tuple[list[dict[str, Any]], int]:
    """The holdout items of a week's bundle, and how many of its items this laptop may not
    read (withheld: restricted, and no restricted access here)."""
    source = _open_week(path, store)
    if source.manifest.get("kind") == "eval":
        raise ValidationError(
            f"{path.name} is an eval bundle; build an eval from a week's bundle or an eval pack."
        )
    closed = set(source.sealed_restricted)
    rows = []
    for _, parsed in source.items():
        if not parsed.holdout:
            continue
        item = msgspec.to_builtins(parsed)
        case = case_type(item["signal"], item["reason_code"])
        restricted = bool(item["restricted"]) or item["id"] in closed
        rows.append(
            _holdout_row(item, case, item["model"]["name"], item["subject_hash"], restricted)
        )
    return rows, len(source.withheld)


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


@dataclass(frozen=True)
class _Lineage:
    holdout_pack: lineage.PackRef | None
    trained_on: tuple[lineage.PackRef, ...]
    left_out: tuple[lineage.LeftOut, ...]
    withheld: int = 0  # the week bundle's items this laptop may not read (not lineage)

    def to_json(self) -> dict[str, Any]:
        return {
            "holdout_pack": self.holdout_pack.to_json() if self.holdout_pack else None,
            "trained_on": [ref.to_json() for ref in self.trained_on],
            "left_out": [dataclasses.asdict(entry) for entry in self.left_out],
        }


def _sources(
    holdout: Path, keys: Sequence[PublicKey], trained_on: Sequence[Path], store: Store | None
) -> tuple[list[dict[str, Any]], _Lineage]:
    """The holdout items the eval may use, and the lineage that says why: a holdout pack and
    every training pack must verify against ``keys``; holdout items the training packs hold
    or nearly copy are left out."""
    withheld = 0
    if holdout.is_dir():
        holdout_ref: lineage.PackRef | None = lineage.verified(holdout, keys, "eval")
        items = _holdout_from_pack(holdout)
    else:  # a week's bundle file: sealed by triage (its seal checked on opening), or plain
        holdout_ref = None
        items, withheld = _holdout_from_bundle(holdout, store)
    trained = [(lineage.verified(p, keys, "training"), lineage.pack_rows(p)) for p in trained_on]
    found = lineage.left_out(items, trained)
    excluded = {entry.item_id for entry in found}
    usable = [item for item in items if item["id"] not in excluded]
    refs = tuple(ref for ref, _ in trained)
    return usable, _Lineage(holdout_ref, refs, tuple(found), withheld)


def build_eval(
    holdout: Path,
    current: Path,
    candidate: Path,
    size: int,
    output: Path,
    seed: int = 0,
    week: str | None = None,
    *,
    keys: Sequence[PublicKey] = (),
    trained_on: Sequence[Path] = (),
    allow_fewer: bool = False,
    seal: SealTo | None = None,
    store: Store | None = None,
) -> dict[str, Any]:
    """Write the eval bundle; ``week`` (default: this ISO week) is the week it belongs to.

    ``keys``: the public keys a holdout pack and the ``trained_on`` packs may be signed by.
    Fewer eligible items than ``size`` is refused unless ``allow_fewer``: an eval quietly
    smaller than asked for would reach the gate as if it were the size the team chose.
    ``seal``: the team the eval is sealed to (``seal_for_eval``); None writes it plain.
    ``store``: the workspace a week's bundle given as ``holdout`` is opened in (needed for a
    sealed one); items it withholds from this laptop cannot be in the eval, and the
    manifest's ``statistics.withheld`` counts them.
    """
    if not SIZE_RANGE[0] <= size <= SIZE_RANGE[1]:
        raise ValidationError(f"--size must be between {SIZE_RANGE[0]} and {SIZE_RANGE[1]}.")
    items, found = _sources(holdout, keys, trained_on, store)
    current_version, current_out = read_outputs(current)
    candidate_version, candidate_out = read_outputs(candidate)
    if current_version == candidate_version:
        raise ValidationError("The current and candidate outputs come from the same model version.")
    eligible = [i for i in items if i["id"] in current_out and i["id"] in candidate_out]
    if not eligible:
        raise ValidationError("No holdout item has an output from both models.")
    if len(eligible) < size and not allow_fewer:
        raise ValidationError(
            f"Only {len(eligible)} holdout items are eligible (an output from both models"
            + (f", {len(found.left_out)} left out for the training packs" if found.left_out else "")
            + f"), not the {size} asked for; give --allow-fewer to build an eval of "
            f"{len(eligible)}, or a larger holdout."
        )
    key = f"eval:{seed}:{current_version}:{candidate_version}".encode()
    chosen = _sample(eligible, key, size)
    week = week or "{}-W{:02d}".format(*dt.date.today().isocalendar()[:2])
    if not WEEK_PATTERN.match(week):
        raise ValidationError(f"--week must look like 2026-W48, not {week!r}.")
    versions = (current_version, current_out, candidate_version, candidate_out)
    records, case_types = _records(chosen, week, key, versions)
    counts = {"holdout_items": len(items) + len(found.left_out), "eligible": len(eligible)}
    options = {"size": size, "seed": seed, "holdout": holdout.name, "allow_fewer": allow_fewer}
    manifest = _manifest(records, case_types, week, options, counts, found)
    manifest["eval"].update(current_version=current_version, candidate_version=candidate_version)
    if seal is None:
        return write_bundle(output, manifest, records)
    return write_sealed_bundle(output, manifest, records, seal)


def _manifest(
    records: list[dict[str, Any]],
    case_types: dict[str, str],
    week: str,
    options: dict[str, Any],
    counts: dict[str, int],
    found: _Lineage,
) -> dict[str, Any]:
    """The eval bundle's manifest but its model versions; its id is a digest of the pairs
    (same inputs, same id)."""
    digest = hashlib.sha256("".join(map(canonical_json, records)).encode()).hexdigest()
    statistics: dict[str, Any] = {
        **counts, "left_out": len(found.left_out), "sampled": len(records),
        "per_case_type": dict(sorted(Counter(case_types.values()).items())),
    }  # fmt: skip
    if found.withheld:  # said on every laptop: the eval cannot hold what this one never read
        statistics["withheld"] = found.withheld
    return {
        "format_version": FORMAT_VERSION, "kind": "eval", "bundle_id": f"eval-{digest[:12]}",
        "week": week, "created_at": utc_now(), "builder_version": __version__,
        "options": options, "statistics": statistics,
        "eval": {"case_types": case_types, "lineage": found.to_json()},  # + the versions
    }  # fmt: skip


def _sample(eligible: list[dict[str, Any]], key: bytes, size: int) -> list[dict[str, Any]]:
    """``size`` items round-robin across case types, each in an order keyed by ``key``."""
    by_case: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in eligible:
        by_case[item["case_type"]].append(item)
    queues = [
        sorted(group, key=lambda i: keyed_rank(key, i["id"]))
        for _, group in sorted(by_case.items())
    ]
    return round_robin(queues, size)


def _records(
    chosen: list[dict[str, Any]], week: str, key: bytes, versions: tuple[str, Any, str, Any]
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The eval items (blind pairs: candidates[0] the current model) and each one's case type."""
    current_version, current_out, candidate_version, candidate_out = versions
    prefix = hashlib.sha256(key).hexdigest()[:8]
    today = utc_now()[:10] + "T00:00:00Z"
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
        # Restricted as the importer would route it, and as its holdout item was: sealed, a
        # restricted pair goes only to the members with restricted access.
        restricted = (
            bool(spans) or source["restricted"] or record["reason_code"] == SENSITIVE_REASON
        )
        record.update(pii=[s.as_dict() for s in spans], restricted=restricted, holdout=True)
        records.append(record)
        case_types[record["id"]] = source["case_type"]
    overlap = choose_overlap(
        [(case_types[r["id"]], r["id"]) for r in records if not r["restricted"]], 15, key
    )
    for record in records:
        record["overlap"] = record["id"] in overlap
    return records, case_types
