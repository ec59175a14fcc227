"""Gate runs kept in the workspace: the verdict a team actually ran, with the policy text and
judgments it ran on. Status and the Home tab show the last one, never a recomputation with
some other policy."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import Any

from labeler.clock import utc_now
from labeler.crypto import signing
from labeler.errors import ValidationError
from labeler.evals.gate import GateInputs, Verdict, decide, parse_policy, read_text
from labeler.evals.results import judgments, judgments_jsonl
from labeler.evals.roles import eval_questions
from labeler.evals.signed import sign
from labeler.jsonio import canonical_bytes
from labeler.labeling.session import LabelingSession
from labeler.store import bundles as bundle_rows
from labeler.store import evals as eval_rows
from labeler.store.evals import GateRun

VERDICT_FORMAT, VERDICT_FILE = "labeler-gate-verdict", "gate-verdict.json"


def verdict_document(
    session: LabelingSession,
    inputs: GateInputs,
    verdict: Verdict,
    bundle_id: str | None,
    at: str,
) -> dict[str, Any]:
    """What a gate run signs: the verdict with every reason, the policy (name and sha256),
    the eval (bundle and model versions), the packs the candidate was trained on (from the
    eval's lineage), the judgments (sha256, count, who signed them), when and by whom."""
    manifest = bundle_rows.manifest_of(session.store, bundle_id) if bundle_id else None
    section = (manifest or {}).get("eval") or {}
    lineage = section.get("lineage") or {}
    me = session.profile
    return {
        "format": VERDICT_FORMAT,
        "format_version": 1,
        **verdict.to_json(),
        "policy": {"name": inputs.policy_name, "sha256": inputs.policy_sha256},
        "eval": {
            "bundle_id": bundle_id,
            "current_version": section.get("current_version"),
            "candidate_version": section.get("candidate_version"),
            "holdout_pack": lineage.get("holdout_pack"),
        },
        "trained_on": lineage.get("trained_on", []),
        "judgments": {
            "sha256": inputs.judgments_sha256,
            "count": len(inputs.judgments),
            "signer_key_id": inputs.judgments_signer,
        },
        "run_at": at,
        "run_by": me.display_name if me else None,
        "workspace_id": session.workspace_id,
        "signer_key_id": signing.signing_key(session.store).public.key_id_hex,
    }


def record_run(
    session: LabelingSession, inputs: GateInputs, verdict: Verdict, bundle_id: str | None = None
) -> GateRun:
    """Keep this run; ``bundle_id`` defaults to the eval bundle the judgments are of."""
    # The workspace's rubric must be able to judge an eval for its gate runs to mean anything.
    eval_questions(session.rubric, "recording a gate run")
    me = session.profile
    if bundle_id is None:
        bundle_id = eval_rows.bundle_of(session.store, [j.item_id for j in inputs.judgments])
    at = utc_now()
    document = canonical_bytes(verdict_document(session, inputs, verdict, bundle_id, at))
    run = GateRun(
        id=0,
        at=at,
        run_by=me.id if me else None,
        run_by_name=me.display_name if me else None,
        bundle_id=bundle_id,
        verdict=verdict.word,
        reasons=verdict.reasons,
        figures=verdict.figures(),
        policy_text=inputs.policy_text,
        policy_sha256=inputs.policy_sha256,
        judgments_sha256=inputs.judgments_sha256,
        judgments_count=len(inputs.judgments),
        document=document.decode("utf-8"),
        signature=sign(signing.signing_key(session.store), document, VERDICT_FILE),
    )
    run_id = session.writer.run(lambda tx: eval_rows.add_gate_run(tx, run))
    return dataclasses.replace(run, id=run_id)


def run_in_workspace(
    session: LabelingSession, policy: Path, bundle_id: str | None = None
) -> tuple[Verdict, GateRun]:
    """The app's gate: this workspace's judgments of an eval bundle (the latest by default),
    exactly as ``eval export-judgments`` would write them, against ``policy``; recorded."""
    found = judgments(session, bundle_id)
    if not found:
        raise ValidationError("No eval item has a gold label yet: there is nothing to gate on.")
    text = read_text(policy)
    digest = hashlib.sha256(judgments_jsonl(found)).hexdigest()
    parsed = parse_policy(text, policy.name)
    inputs = GateInputs(parsed, text, tuple(found), digest, policy_name=policy.name)
    verdict = decide(found, inputs.policy)
    chosen = bundle_id or eval_rows.bundle_of(session.store, [j.item_id for j in found])
    return verdict, record_run(session, inputs, verdict, chosen)


def last_run(session: LabelingSession) -> GateRun | None:
    return eval_rows.last_gate_run(session.store)


def all_runs(session: LabelingSession) -> list[GateRun]:
    """Every gate run kept here, in the order they were run."""
    return eval_rows.gate_runs(session.store)
