"""Gate runs kept in the workspace: the verdict a team actually ran, with the policy text and
judgments it ran on. Status and the Home tab show the last one, never a recomputation with
some other policy."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

from labeler.clock import utc_now
from labeler.errors import ValidationError
from labeler.evals.gate import GateInputs, Verdict, decide, parse_policy, read_text
from labeler.evals.results import judgments, judgments_jsonl
from labeler.evals.roles import eval_questions
from labeler.labeling.session import LabelingSession
from labeler.store import evals as eval_rows
from labeler.store.evals import GateRun


def record_run(
    session: LabelingSession, inputs: GateInputs, verdict: Verdict, bundle_id: str | None = None
) -> GateRun:
    """Keep this run; ``bundle_id`` defaults to the eval bundle the judgments are of."""
    # The workspace's rubric must be able to judge an eval for its gate runs to mean anything.
    eval_questions(session.rubric, "recording a gate run")
    me = session.profile
    if bundle_id is None:
        bundle_id = eval_rows.bundle_of(session.store, [j.item_id for j in inputs.judgments])
    run = GateRun(
        id=0,
        at=utc_now(),
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
    inputs = GateInputs(parse_policy(text, policy.name), text, tuple(found), digest)
    verdict = decide(found, inputs.policy)
    chosen = bundle_id or eval_rows.bundle_of(session.store, [j.item_id for j in found])
    return verdict, record_run(session, inputs, verdict, chosen)


def last_run(session: LabelingSession) -> GateRun | None:
    return eval_rows.last_gate_run(session.store)
