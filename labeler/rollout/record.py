"""Rollout checks kept in the workspace and signed by its key, beside the SHIP gate run of
the candidate version (the verdict that let it ship). Status, Home and the Rollout tab show
what was recorded here, never a recomputation."""

from __future__ import annotations

import dataclasses
from typing import Any

from labeler.clock import utc_now
from labeler.crypto import signing
from labeler.evals.signed import sign
from labeler.jsonio import canonical_bytes
from labeler.labeling.session import LabelingSession
from labeler.rollout.check import RolloutVerdict
from labeler.rollout.plan import Plan
from labeler.store import evals as eval_rows
from labeler.store import rollouts as rollout_rows
from labeler.store.evals import GateRun
from labeler.store.rollouts import RolloutRun

DOCUMENT_FORMAT = "labeler-rollout-verdict"
FILE_NAME = "rollout-verdict.json"


def _gate_summary(run: GateRun | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {"run_id": run.id, "verdict": run.verdict, "at": run.at, "bundle_id": run.bundle_id,
            "policy_sha256": run.policy_sha256, "judgments_sha256": run.judgments_sha256,
            "signature": run.signature}  # fmt: skip


def document(
    session: LabelingSession, verdict: RolloutVerdict, gate: GateRun | None, at: str
) -> dict[str, Any]:
    """What is signed: the whole verdict, who checked when, and the gate run it rests on."""
    me = session.profile
    return {
        "format": DOCUMENT_FORMAT,
        "format_version": 1,
        **verdict.to_json(),
        "checked_at": at,
        "checked_by": me.display_name if me else None,
        "workspace_id": session.workspace_id,
        "signer_key_id": signing.signing_key(session.store).public.key_id_hex,
        "gate_run": _gate_summary(gate),
    }


def record_check(session: LabelingSession, plan: Plan, verdict: RolloutVerdict) -> RolloutRun:
    """Sign the verdict with the workspace key and keep it; the run comes back numbered."""
    gate = eval_rows.ship_run_for(session.store, verdict.candidate)
    at = utc_now()
    data = canonical_bytes(document(session, verdict, gate, at))
    signature = sign(signing.signing_key(session.store), data, FILE_NAME)
    me = session.profile
    run = RolloutRun(
        id=0, at=at, run_by=me.id if me else None, run_by_name=me.display_name if me else None,
        baseline=verdict.baseline, candidate=verdict.candidate, stage=verdict.stage,
        verdict=verdict.verdict, reasons=verdict.reasons, figures=verdict.to_json(),
        plan_text=plan.text, plan_sha256=plan.sha256, gate_run_id=gate.id if gate else None,
        document=data.decode("utf-8"), signature=signature,
    )  # fmt: skip
    run_id = session.writer.run(lambda tx: rollout_rows.add(tx, run))
    return dataclasses.replace(run, id=run_id)


def latest_checks(session: LabelingSession) -> list[RolloutRun]:
    """The last check of each candidate version, the most recent first."""
    return rollout_rows.last_per_candidate(session.store)


def gate_of(session: LabelingSession, run: RolloutRun) -> GateRun | None:
    return None if run.gate_run_id is None else eval_rows.gate_run(session.store, run.gate_run_id)
