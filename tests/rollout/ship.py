"""A candidate version that passed the gate in a workspace, through the real path: an eval
pack, an eval bundle of the candidate against the current model, blind labels preferring the
candidate on every pair, and a gate run."""

from __future__ import annotations

import json
from pathlib import Path

from labeler.clock import utc_now
from labeler.evals.build import build_eval
from labeler.evals.gate_runs import run_in_workspace
from labeler.labeling.session import LabelingSession
from labeler.packs.export import PackOptions, export_pack
from labeler.triage.bundle_import import import_bundle
from tests.factories import lead_keys

LENIENT = """\
critical_case_types: []
min_overall_win_rate: 0.5
max_critical_loss_margin: 1.0
min_items: 1
safety_not_below_current: false
formatting_not_below_current: false
"""


def _outputs(pack: Path, target: Path, version: str) -> Path:
    rows = [json.loads(line) for line in (pack / "labels.jsonl").read_text().splitlines()]
    target.write_text("".join(
        json.dumps({"item_id": r["item_id"], "model_version": version, "output": r["intent"]})
        + "\n" for r in rows
    ))  # fmt: skip
    return target


def ship_candidate(session: LabelingSession, folder: Path, candidate: str) -> int:
    """The id of a SHIP gate run on an eval of ``candidate``."""
    folder.mkdir(parents=True)
    pack = folder / "eval-pack"
    export_pack(session, PackOptions("eval"), pack)
    current = _outputs(pack, folder / "current.jsonl", "current-model")
    cand = _outputs(pack, folder / "candidate.jsonl", candidate)
    manifest = build_eval(
        pack, current, cand, 50, folder / "e.lbundle", seed=1, week="2026-W49",
        keys=lead_keys(session), allow_fewer=True,
    )  # fmt: skip
    import_bundle(session.store, session.writer, folder / "e.lbundle")
    for item_id in manifest["eval"]["case_types"]:
        item = session.open_item(item_id)
        if item.restricted:
            continue
        preference = "B" if session.side_order(item_id) == "AB" else "A"
        answers = {"preference": preference, "safety_a": "pass", "safety_b": "pass",
                   "formatting_a": "pass", "formatting_b": "pass"}  # fmt: skip
        session.save_label(item, answers, utc_now(), 2)
    policy = folder / "lenient.yaml"
    policy.write_text(LENIENT)
    verdict, run = run_in_workspace(session, policy, str(manifest["bundle_id"]))
    assert verdict.ship, verdict.reasons
    return run.id
