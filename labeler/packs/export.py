"""Label packs: gold labels exported for training (never the holdout) or evaluation (the
holdout), signed with the lead's key so the training team can check them without our app.

Rows are ordered by week and item id and written with fixed settings, so the same workspace
state and options give identical ``labels.jsonl`` and ``labels.parquet`` bytes.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from labeler import leakage
from labeler.clock import utc_now
from labeler.crypto import minisign, signing
from labeler.domain import LOW_INTENT_SIGNALS, NORMAL_CASE, Item
from labeler.errors import LabelerError, ValidationError
from labeler.gcpause import gc_paused
from labeler.jsonio import canonical_json
from labeler.labeling import rubric_versions
from labeler.labeling.session import LabelingSession
from labeler.packs.files import (
    EVAL_NOTES,
    PACK_README,
    TRAINING_NOTES,
    file_entry,
    write_jsonl,
    write_parquet,
)
from labeler.packs.formats import FORMAT_VERSION, PackManifest
from labeler.progress import CancelCheck, ProgressCallback, check_cancel, never_cancel, no_progress
from labeler.store import items as item_rows
from labeler.store import labels as label_rows
from labeler.store import meta
from labeler.store import packs as pack_rows
from labeler.store import privacy as privacy_rows
from labeler.store.connection import WriteStore
from labeler.subjects import pack_pseudonym
from labeler.team.agreement_report import question_figures
from labeler.team.reconcile import Gold, gold_labels

KINDS = ("training", "eval")
MANIFEST, SIGNATURE = "manifest.json", "manifest.json.minisig"


@dataclass(frozen=True)
class PackOptions:
    kind: str
    weeks: tuple[str, ...] = ()


@dataclass
class _Selection:
    items: list[tuple[Item, Gold]] = field(default_factory=list)
    excluded: Counter[str] = field(default_factory=Counter)
    flagged: dict[str, str] = field(default_factory=dict)  # eval: holdout items left out, why


def subject_salt(session: LabelingSession) -> str:
    salt = meta.get(session.store, "pack_subject_salt")
    if salt is None:
        fresh = secrets.token_hex(16)

        def keep(tx: WriteStore) -> str:
            kept = meta.get(tx, "pack_subject_salt")  # another write may have made it first
            if kept is None:
                meta.put(tx, "pack_subject_salt", fresh)
            return kept or fresh

        salt = session.writer.run(keep)
    return salt


def holdout_index(session: LabelingSession) -> leakage.HoldoutIndex:
    """Every text of every holdout item ever seen here (each owned by its item id), and the
    kept input fingerprint of those whose texts are gone."""
    import numpy as np

    index = leakage.HoldoutIndex()
    texted = item_rows.holdout_texts(session.store)
    index.add_texts(
        [
            (row[0], name, text)
            for row in texted
            for name, text in leakage.comparable_texts(*row[1:])
        ]
    )
    have = {row[0] for row in texted}
    for item_id, (exact, blob) in privacy_rows.fingerprints(session.store).items():
        if item_id not in have:
            index.add(exact, np.frombuffer(blob, dtype=np.uint32), item_id, "input")
    return index


def item_texts(item: Item) -> list[tuple[str, str]]:
    return leakage.comparable_texts(
        item.input, item.output, item.edited_output, item.retries, item.candidates
    )


def _near_training(session: LabelingSession, holdout: list[Item]) -> dict[str, str]:
    """Holdout items about to enter an eval pack that a training pack exported here already
    held, or whose texts nearly duplicate a row one held: item id -> the cause."""
    found = {}
    trained = dict(pack_rows.trained_items(session.store))
    for item in holdout:
        if item.id in trained:  # a raised holdout rate made a shipped training item holdout
            found[item.id] = "in_training_pack"
    index = leakage.HoldoutIndex()
    index.add_texts([(item.id, name, text) for item in holdout for name, text in item_texts(item)])
    rows = pack_rows.trained_texts(session.store)
    groups = [leakage.comparable_texts(*row[1:]) for row in rows]
    for hit in leakage.group_matches(index, groups, once=True):
        found.setdefault(hit.match.owner, "near_duplicate_of_training")
    return found


def _exclusion(item: Item, gold: Gold | None, labeled: bool, kind: str) -> str | None:
    if item.signal in LOW_INTENT_SIGNALS:
        return "low_intent"
    if kind == "training" and item.holdout:
        return "holdout"
    if item.restricted and not item.redaction_confirmed:
        return "restricted_unredacted"
    if item.text_purged:
        return "text_purged"
    if gold is None:
        return "unresolved_disagreement" if labeled else "unlabeled"
    if gold.excluded:
        return "defective_item"
    return None


def select(
    session: LabelingSession, options: PackOptions, should_cancel: CancelCheck = never_cancel
) -> _Selection:
    golds = gold_labels(session)
    labeled = label_rows.labeled_item_ids(session.store)
    selection = _Selection()
    passed: list[tuple[Item, Gold]] = []
    # A pack holds the week's items only: an eval pair is a measurement of two models, not
    # a label to train or evaluate on, and an eval pack of pairs would nest the next eval.
    week_items = item_rows.all_items(session.store, options.weeks, kind=item_rows.WEEK)
    for number, item in enumerate(week_items):
        if number % 4096 == 0:
            check_cancel(should_cancel)
        if options.kind == "eval" and not item.holdout:
            continue
        gold = golds.get(item.id)
        reason = _exclusion(item, gold, item.id in labeled, options.kind)
        if reason is not None:
            selection.excluded[reason] += 1
        else:
            assert gold is not None
            passed.append((item, gold))
    if options.kind == "training":  # all candidates at once: the signatures are vectorised
        groups = [item_texts(item) for item, _ in passed]
        index = holdout_index(session)
        leaking = {hit.group for hit in leakage.group_matches(index, groups, per_row=1)}
        for number, (item, gold) in enumerate(passed):
            if number in leaking:
                selection.excluded["near_duplicate_of_holdout"] += 1
            else:
                selection.items.append((item, gold))
    else:  # the other direction: a holdout item a training pack already shipped is no holdout
        flagged = _near_training(session, [item for item, _ in passed])
        selection.flagged = flagged
        for item, gold in passed:
            if item.id in flagged:
                selection.excluded[flagged[item.id]] += 1
            else:
                selection.items.append((item, gold))
    return selection


def _salted(salt: str, subject_hash: str | None) -> str | None:
    return None if subject_hash is None else pack_pseudonym(salt, subject_hash)


def _row(item: Item, gold: Gold, questions: list[str], salt: str, rubric: Any) -> dict[str, Any]:
    dumps = canonical_json
    row: dict[str, Any] = {
        "item_id": item.id, "week": item.week, "reason_code": item.reason_code,
        "signal": item.signal,
        "case_type": item.case_type, "input": item.input, "intent": item.intent,
        "model_name": item.model_name, "model_version": item.model_version,
        "model_settings": dumps(item.model_settings), "output": item.output,
        "edited_output": item.edited_output,
        "retries": None if item.retries is None else dumps(item.retries),
        "candidates": None if item.candidates is None else dumps(item.candidates),
        "picked": item.picked, "decided": gold.decided, "resolution_id": gold.resolution_id,
        "rubric_id": rubric.id, "rubric_version": rubric.version,
        "subject": _salted(salt, item.subject_hash),
        "content_hash": item.content_hash,
    }  # fmt: skip
    for question in questions:
        row[f"answer_{question}"] = gold.answers.get(question)
    return row


def export_pack(
    session: LabelingSession,
    options: PackOptions,
    out_dir: Path,
    progress: ProgressCallback = no_progress,
    should_cancel: CancelCheck = never_cancel,
) -> dict[str, Any]:
    """Write the pack into ``out_dir`` (new or empty) and return its manifest.

    A pack is complete or absent: on any failure (a full disk, a cancel) the files written
    so far are deleted, and the folder too when this export made it.
    """
    signing.signing_key(session.store)  # a key out of reach is its sentence before any work
    made = not out_dir.exists()
    try:
        with gc_paused():
            return _export(session, options, out_dir, progress, should_cancel)
    except BaseException as err:
        _remove_partial(out_dir, made)
        if isinstance(err, OSError):
            raise LabelerError(
                f"Cannot write the pack in {out_dir}: {err.strerror or err}; nothing was kept."
            ) from None
        raise


def _remove_partial(out_dir: Path, made: bool) -> None:
    """Delete what a failed export wrote (only our files: the folder was new or empty)."""
    names = ("labels.jsonl", "labels.parquet", "rubric.yaml", "guidance.md", "README.md",
             MANIFEST, SIGNATURE)  # fmt: skip
    for name in names:
        (out_dir / name).unlink(missing_ok=True)
    if made:
        with contextlib.suppress(OSError):
            out_dir.rmdir()


def _export(
    session: LabelingSession,
    options: PackOptions,
    out_dir: Path,
    progress: ProgressCallback,
    should_cancel: CancelCheck,
) -> dict[str, Any]:
    me = session.profile
    if me is None or me.role != "lead":
        raise LabelerError("Only a lead exports label packs.")
    if options.kind not in KINDS:
        raise ValidationError("The pack kind must be 'training' or 'eval'.")
    if out_dir.exists() and any(out_dir.iterdir()):
        raise ValidationError(f"{out_dir} is not empty; choose a new folder for the pack.")
    progress(0, 4, "Choosing items")
    selection = select(session, options, should_cancel)
    rubric = session.rubric
    questions = [q.id for q in rubric.questions if q.kind != "free_text"]
    salt = subject_salt(session)
    rows = [_row(item, gold, questions, salt, rubric) for item, gold in selection.items]
    progress(1, 4, f"Writing {len(rows)} rows")
    out_dir.mkdir(parents=True, exist_ok=True)
    columns = list(rows[0]) if rows else ["item_id"]
    write_jsonl(out_dir / "labels.jsonl", rows)
    write_parquet(out_dir / "labels.parquet", rows, columns)
    kept = rubric_versions.by_hash(session.store, rubric.content_hash)
    (out_dir / "rubric.yaml").write_text(kept.row.yaml if kept else "", encoding="utf-8")
    (out_dir / "guidance.md").write_text(rubric.guidance, encoding="utf-8")
    check_cancel(should_cancel)
    progress(2, 4, "Signing")
    manifest = _manifest(session, options, selection, rows, questions)
    (out_dir / "README.md").write_text(
        PACK_README.format(
            count=len(rows),
            kind_notes=TRAINING_NOTES if options.kind == "training" else EVAL_NOTES,
            rubric_id=rubric.id, rubric_version=rubric.version, **manifest,
        ),
        encoding="utf-8",
    )  # fmt: skip
    names = ("labels.jsonl", "labels.parquet", "rubric.yaml", "guidance.md", "README.md")
    manifest["files"] = [file_entry(out_dir / name) for name in names]
    # What we sign must be what 'pack verify' accepts: checked against the one declaration
    # (a failure here is a bug, so it keeps its traceback).
    msgspec.convert(manifest, PackManifest)
    manifest_bytes = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8")
    (out_dir / MANIFEST).write_bytes(manifest_bytes)
    key = signing.signing_key(session.store)
    (out_dir / SIGNATURE).write_text(minisign.sign(key, manifest_bytes, MANIFEST), encoding="utf-8")
    members = [(item.id, item.subject_hash) for item, _ in selection.items]
    session.writer.run(lambda tx: pack_rows.record(tx, manifest, str(out_dir), members))
    progress(4, 4, "Done")
    return manifest


def _manifest(
    session: LabelingSession,
    options: PackOptions,
    selection: _Selection,
    rows: list[dict[str, Any]],
    questions: list[str],
) -> dict[str, Any]:
    rubric = session.rubric
    me = session.profile
    assert me is not None
    per_answer = {
        q: dict(Counter(str(r[f"answer_{q}"]) for r in rows if r[f"answer_{q}"] is not None))
        for q in questions
    }
    items = [item for item, _ in selection.items]
    manifest: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "pack_id": f"{options.kind}-{uuid.uuid4().hex[:12]}",
        "kind": options.kind,
        "created_at": utc_now(),
        "creator_id": me.id,
        "creator_name": me.display_name,
        "signer_key_id": signing.signing_key(session.store).public.key_id_hex,
        "workspace_id": session.workspace_id,
        "weeks": sorted({item.week for item in items}) or list(options.weeks),
        "bundle_ids": sorted({item.bundle_id for item in items}),
        "rubric": {"id": rubric.id, "version": rubric.version, "hash": rubric.content_hash},
        "counts": {
            "rows": len(rows),
            "per_reason_code": dict(Counter(item.reason_code or "none" for item in items)),
            "per_case_type": dict(Counter(item.case_type for item in items)),
            "per_answer": per_answer,
            "decided": dict(Counter(r["decided"] for r in rows)),
            "excluded": dict(selection.excluded),
        },
        "leakage_guard": _guard_summary(options.kind, selection),
        "agreement": _agreement_summary(session, set(r["week"] for r in rows)),
    }  # fmt: skip
    if options.kind == "eval":
        manifest["eval"] = {
            "failure_modes": sum(1 for item in items if item.case_type != NORMAL_CASE),
            "normal_traffic": sum(1 for item in items if item.case_type == NORMAL_CASE),
        }
        manifest["holdout"] = [
            {"item_id": i, "content_hash": h}
            for i, _, h in item_rows.holdout_inputs(session.store, kind=item_rows.WEEK)
        ]
    return manifest


def _guard_summary(kind: str, selection: _Selection) -> dict[str, Any]:
    """What the guard compared and what it left out (training: near copies of the holdout;
    eval: holdout items a training pack already held, or nearly copied)."""
    measure = (
        "every text field (input, output, edited output, retry outputs, candidates; others "
        f"than the input from {leakage.MIN_FIELD_CHARS} characters), across fields: "
        "normalised text equal, or character 5-gram Jaccard >= 0.8 "
        "(one-permutation MinHash 128, LSH 32x4, 2 bands)"
    )
    if kind == "training":
        return {
            "measure": measure,
            "excluded": selection.excluded.get("near_duplicate_of_holdout", 0),
        }
    return {
        "measure": measure + "; against every training pack exported from this workspace",
        "excluded": len(selection.flagged),
        "flagged": [{"item_id": k, "cause": v} for k, v in sorted(selection.flagged.items())],
    }


def _agreement_summary(session: LabelingSession, weeks: set[str]) -> dict[str, Any]:
    return {
        s.question: {"n": s.n, "alpha": s.alpha, "flag": s.flag}
        for s in question_figures(session, weeks)
    }
