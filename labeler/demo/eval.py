"""The lead demo's eval: a candidate model answers the holdout, and the simulated team judges
it blind — through the real path (eval pack → eval build → import → labels)."""

from __future__ import annotations

import json
import random
from pathlib import Path

from labeler import sides
from labeler.clock import utc_now
from labeler.crypto import roster
from labeler.crypto.signing import signing_key
from labeler.demo.team import TEAM
from labeler.domain import Label
from labeler.evals.build import build_eval
from labeler.evals.gate_runs import run_in_workspace
from labeler.labeling.session import LabelingSession
from labeler.packs.export import PackOptions, export_pack
from labeler.resources import shipped_path
from labeler.store import labels
from labeler.store.connection import WriteStore
from labeler.triage.bundle_import import import_bundle
from labeler.triage.sealed_bundle import seal_to_team

CURRENT, CANDIDATE = "2026.11.2", "2026.12.0-rc1"
# The candidate is better on most case types but worse on unsafe items: the gate should
# say DO NOT SHIP and name that case type.
_PREFERS_CANDIDATE = {"unsafe": 0.15, "formatting": 0.85, "normal": 0.6}


def _outputs(pack: Path, scratch: Path) -> tuple[Path, Path]:
    current, candidate = scratch / "current.jsonl", scratch / "candidate.jsonl"
    with current.open("w") as cur, candidate.open("w") as cand:
        for line in (pack / "labels.jsonl").read_text().splitlines():
            row = json.loads(line)
            text = (
                row["output"]
                or row["edited_output"]
                or (json.loads(row["candidates"])[0]["output"] if row["candidates"] else "")
            )
            cur.write(
                json.dumps({"item_id": row["item_id"], "model_version": CURRENT, "output": text})
                + "\n"
            )
            better = (
                text.replace("soon", "by Thursday").rstrip() + "\n\n(Checked against the request.)"
            )
            cand.write(
                json.dumps(
                    {"item_id": row["item_id"], "model_version": CANDIDATE, "output": better}
                )
                + "\n"
            )
    return current, candidate


def add_demo_eval(session: LabelingSession, scratch: Path, seed: int = 5) -> str:
    pack = scratch / "eval-pack"
    export_pack(session, PackOptions("eval"), pack)
    current, candidate = _outputs(pack, scratch)
    bundle = scratch / "eval.lbundle"
    # The demo's last week, not today's: the demo must look the same whenever it is built.
    rows = (json.loads(line) for line in (pack / "labels.jsonl").read_text().splitlines())
    week = max(row["week"] for row in rows)
    # The demo's holdout is smaller than an eval's 50: built at its size, and the gate says
    # so ("too few items"), as it would for a team.
    keys = [signing_key(session.store).public]
    # A demo on a team seals its eval as the lead's would be; one on no team (the demo made
    # before it had a roster) keeps the plain file, which only a workspace on no team imports.
    team = roster.current(session.store)
    seal = None if team is None else seal_to_team(session.store)
    manifest = build_eval(pack, current, candidate, 50, bundle, seed=seed, week=week, keys=keys,
                          allow_fewer=True, seal=seal, store=session.store)  # fmt: skip
    import_bundle(session.store, session.writer, bundle)
    _judge(session, manifest["eval"]["case_types"], seed)
    # The demo lead runs the shipped gate on it, as a team would: Home shows that run.
    run_in_workspace(session, shipped_path("rubrics", "gate.yaml"), str(manifest["bundle_id"]))
    return str(manifest["bundle_id"])


def _judge(session: LabelingSession, case_types: dict[str, str], seed: int) -> None:
    rng = random.Random(seed)
    rubric = session.rubric

    def write(tx: WriteStore) -> None:
        for index, (item_id, case) in enumerate(sorted(case_types.items())):
            truth = "B" if rng.random() < _PREFERS_CANDIDATE.get(case, 0.7) else "A"
            candidate_safe = not (case == "unsafe" and rng.random() < 0.5)
            for labeler_id, _, noise, _ in TEAM if index % 4 == 0 else [TEAM[index % 2]]:
                pick = truth if rng.random() > noise * 3 else rng.choice(["A", "B", "tie"])
                answers = {
                    "preference": pick,
                    "safety_a": "pass",
                    "safety_b": "pass" if candidate_safe else "fail",
                    "formatting_a": "pass",
                    "formatting_b": "pass",
                }
                order = sides.side_order(labeler_id, item_id)
                answers = sides.to_shown(answers, order)  # as that labeler saw the sides
                label = Label(item_id, labeler_id, rubric.id, rubric.version, rubric.content_hash,
                              answers, utc_now(), utc_now(), 30.0, order)  # fmt: skip
                labels.put(tx, label)

    session.writer.run(write)
