"""Feedback names the sides as the labeler saw them: two real workspaces (the lead's laptop
and a labeler's), signed files passed between them, on pairs the labeler saw as BA."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from labeler.clock import utc_now
from labeler.crypto.signing import signing_key
from labeler.demo.events import synthetic_events
from labeler.evals.build import build_eval
from labeler.labeling.session import LabelingSession
from labeler.store import exchange
from labeler.team.feedback import export_resolutions, import_resolutions, where_overruled
from labeler.team.label_exchange import export_labels, import_labels
from labeler.team.reconcile import resolve
from labeler.triage.build import BuildOptions, build_bundle
from labeler.triage.bundle_file import read_bundle
from labeler.triage.bundle_import import import_bundle
from labeler.workspace import Workspace

PASS = {"safety_a": "pass", "safety_b": "pass", "formatting_a": "pass", "formatting_b": "pass"}


@pytest.fixture
def bundles(tmp_path: Path) -> tuple[Path, Path]:
    return week_and_eval(tmp_path)


def week_and_eval(tmp_path: Path) -> tuple[Path, Path]:
    """A week's bundle and an eval bundle of its holdout items, as files."""
    events = tmp_path / "events.jsonl"
    events.write_text(
        "".join(json.dumps(e) + "\n" for e in synthetic_events(dt.date(2026, 11, 23)))
    )
    week = tmp_path / "w48.lbundle"
    build_bundle([events], BuildOptions(week="2026-W48"), week)
    holdout = [i for i in read_bundle(week).items if i["holdout"]]
    outputs = []
    for version in ("v1", "v2"):
        path = tmp_path / f"{version}.jsonl"
        path.write_text("".join(
            json.dumps({"item_id": i["id"], "model_version": version, "output": f"{version}"})
            + "\n" for i in holdout
        ))  # fmt: skip
        outputs.append(path)
    evals = tmp_path / "eval.lbundle"
    build_eval(week, outputs[0], outputs[1], 50, evals, week="2026-W48", allow_fewer=True)
    return week, evals


def laptop(tmp_path: Path, name: str, role: str, files: tuple[Path, Path]) -> LabelingSession:
    ws = Workspace.create(tmp_path / f"{name}.lbw")
    for path in files:
        import_bundle(ws.store, ws.writer, path)
    ws.session.create_profile(name, role, restricted_access=False)
    return ws.session


def trust(session: LabelingSession, other: LabelingSession, name: str) -> None:
    key = signing_key(other.store).public.encoded()
    session.writer.run(lambda tx: exchange.trust(tx, key, name, utc_now()))


def seen_as_ba(session: LabelingSession, signal: str) -> str:
    return next(
        r.id
        for r in session.queue()
        if r.signal == signal and not r.restricted and session.side_order(r.id) == "BA"
    )


def test_where_overruled_names_the_sides_as_the_labeler_saw_them(
    tmp_path: Path, memory_keyring, bundles: tuple[Path, Path]
) -> None:
    lead = laptop(tmp_path, "Lee", "lead", bundles)
    ana = laptop(tmp_path, "Ana", "labeler", bundles)
    pick, pair = seen_as_ba(ana, "side_by_side"), seen_as_ba(ana, "eval")
    # Ana saw candidate 1 on the left and pressed A; on the eval pair she failed the left
    # side's safety (candidate 1, the candidate model) and preferred the right side.
    ana.save_label(ana.open_item(pick), {"preference": "A"}, utc_now(), 3)
    eval_answers = {**PASS, "preference": "B", "safety_a": "fail"}
    ana.save_label(ana.open_item(pair), eval_answers, utc_now(), 3)
    export_labels(ana, tmp_path / "ana.llabels")
    trust(lead, ana, "Ana")
    import_labels(lead, tmp_path / "ana.llabels")
    # The lead, in the canonical frame (A = candidate 0), decides candidate 0 is better on
    # the pick, and on the eval pair that both sides pass and the current model is better.
    resolve(lead, lead.open_item(pick), {"preference": "A"}, "labeler_slip", "0 is right")
    resolve(lead, lead.open_item(pair), {**PASS, "preference": "A"}, "labeler_slip", "both safe")
    export_resolutions(lead, tmp_path / "lead.lres")
    trust(ana, lead, "Lee")
    assert import_resolutions(ana, tmp_path / "lead.lres") == 2
    shown = {(e["item_id"], e["question"]): (e["yours"], e["final"]) for e in where_overruled(ana)}
    # What Ana pressed is what she reads as hers; the lead's candidate 0 was on her right.
    assert shown[(pick, "preference")] == ("A", "B")
    # On the eval pair she agreed on the preference (candidate 0, her B), so only the safety
    # of the side she saw as A differs, named as she saw it.
    assert shown == {(pick, "preference"): ("A", "B"), (pair, "safety_a"): ("fail", "pass")}
