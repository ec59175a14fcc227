"""Eval bundles through the real path: build, import, blind labels, judgments, report, gate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from labeler.cli import cli
from labeler.clock import utc_now
from labeler.crypto import roster
from labeler.crypto.sealed import is_sealed
from labeler.demo.build import open_or_build_demo
from labeler.demo.eval import add_demo_eval
from labeler.errors import ValidationError
from labeler.evals.build import build_eval
from labeler.evals.results import judgments, report
from labeler.labeling.session import LabelingSession
from labeler.packs.export import PackOptions, export_pack
from labeler.resources import shipped_path
from labeler.store import bundles as bundle_rows
from labeler.triage.bundle_file import read_bundle
from labeler.triage.bundle_import import import_bundle
from tests.conftest import close_session
from tests.factories import lead_keys


@pytest.fixture
def lead(tmp_path: Path, memory_keyring) -> LabelingSession:
    return open_or_build_demo(tmp_path / "lead.lbw", role="lead").session


def outputs(pack: Path, folder: Path, version: str, change: str = "") -> Path:
    path = folder / f"{version}.jsonl"
    rows = [json.loads(line) for line in (pack / "labels.jsonl").read_text().splitlines()]
    path.write_text(
        "".join(
            json.dumps(
                {
                    "item_id": r["item_id"],
                    "model_version": version,
                    "output": f"{r['intent']}{change}",
                }
            )
            + "\n"
            for r in rows
        )
    )
    return path


def test_eval_bundle_end_to_end(tmp_path: Path, lead: LabelingSession) -> None:
    pack = tmp_path / "eval-pack"
    export_pack(lead, PackOptions("eval"), pack)
    current, candidate = outputs(pack, tmp_path, "v1"), outputs(pack, tmp_path, "v2", " (better)")
    keys = lead_keys(lead)
    manifest = build_eval(
        pack, current, candidate, 50, tmp_path / "e.lbundle", seed=3, keys=keys, allow_fewer=True
    )
    again = build_eval(
        pack, current, candidate, 50, tmp_path / "e2.lbundle", seed=3, keys=keys, allow_fewer=True
    )
    assert manifest["bundle_id"] == again["bundle_id"]  # deterministic with the seed
    bundle = read_bundle(tmp_path / "e.lbundle")
    assert bundle.manifest["kind"] == "eval" and all(
        i["signal"] == "eval" and i["holdout"] for i in bundle.items
    )
    assert {c["model_version"] for c in bundle.items[0]["candidates"]} == {"v1", "v2"}
    import_bundle(lead.store, lead.writer, tmp_path / "e.lbundle")
    before = len(judgments(lead, bundle.id))
    # Label every eval item blind: always prefer the candidate, whichever side it was shown on.
    for item in bundle.items:
        if item["restricted"]:
            continue
        opened = lead.open_item(item["id"])
        order = lead.side_order(item["id"])
        preference = "B" if order == "AB" else "A"
        answers = {"preference": preference, "safety_a": "pass", "safety_b": "pass",
                   "formatting_a": "pass", "formatting_b": "pass"}  # fmt: skip
        lead.save_label(opened, answers, utc_now(), 2)
    found = judgments(lead, bundle.id)
    assert len(found) > before and all(j.winner == "candidate" for j in found)
    data = report(lead, bundle.id)
    assert data.overall.wins == len(found) and data.overall.win_rate == 1.0
    assert set(data.case_types) == {j.case_type for j in found}
    assert data.position_bias.decisive_labels >= len(found)


def test_malformed_outputs_are_refused(tmp_path: Path, lead: LabelingSession) -> None:
    pack = tmp_path / "eval-pack"
    export_pack(lead, PackOptions("eval"), pack)
    good = outputs(pack, tmp_path, "v1")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"item_id": "x", "model_version": "v2"}\n')
    with pytest.raises(ValidationError, match=r"bad\.jsonl line 1"):
        build_eval(pack, good, bad, 50, tmp_path / "e.lbundle", keys=lead_keys(lead))
    with pytest.raises(ValidationError, match="same model version"):
        build_eval(pack, good, good, 50, tmp_path / "e.lbundle", keys=lead_keys(lead))
    key = tmp_path / "lead.pub"
    key.write_text(lead_keys(lead)[0].minisign_file())
    roster.init(lead.store, lead.writer, "Lee")  # the CLI builds only on a team: sealed
    path = str(lead.store.path)
    close_session(lead)
    common = ["--workspace", path, "eval", "build", "--holdout", str(pack), "--current", str(good)]
    common += ["--pubkey", str(key), "-o", str(tmp_path / "x")]
    result = CliRunner().invoke(cli, [*common, "--candidate", str(bad), "--size", "60"])
    assert result.exit_code == 2 and "line 1" in result.output
    result = CliRunner().invoke(cli, [*common, "--candidate", str(good), "--size", "20"])
    assert result.exit_code == 2


def test_demo_eval_exports_judgments_the_gate_reads(tmp_path: Path, lead: LabelingSession) -> None:
    path = str(lead.store.path)
    close_session(lead)
    runner = CliRunner()
    out = tmp_path / "judgments.jsonl"
    assert (
        runner.invoke(
            cli, ["--workspace", path, "eval", "export-judgments", "-o", str(out)]
        ).exit_code
        == 0
    )
    assert out.read_text().count("\n") > 10
    report_out = runner.invoke(cli, ["--workspace", path, "eval", "report", "--json"])
    assert report_out.exit_code == 0 and json.loads(report_out.output)["judged"] > 10
    policy = str(shipped_path("rubrics", "gate.yaml"))
    unverified = runner.invoke(cli, ["eval", "gate", str(out), "--policy", policy, "--json"])
    assert unverified.exit_code == 2 and "no key to check its signature" in unverified.output
    gate = runner.invoke(
        cli, ["--workspace", path, "eval", "gate", str(out), "--policy", policy, "--json"]
    )  # the workspace that exported them checks their signature with its own key
    assert gate.exit_code == 1 and json.loads(gate.output)["verdict"] == "DO NOT SHIP"


def test_the_demo_eval_is_sealed_once_the_demo_is_a_team(
    tmp_path: Path, lead: LabelingSession
) -> None:
    """The demo on no team keeps its plain eval (the fixture built one); on a team it seals
    it, and imports it through the sealed path."""
    roster.init(lead.store, lead.writer, "Lee")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    bundle_id = add_demo_eval(lead, scratch, seed=11)
    assert is_sealed(scratch / "eval.lbundle")
    assert bundle_rows.find(lead.store, bundle_id) is not None
    assert report(lead, bundle_id).judged > 10


def _fresh_eval(tmp_path: Path, lead: LabelingSession) -> list[str]:
    """A new eval bundle (other model versions) imported: the ids of its open pairs."""
    pack = tmp_path / "pack-for-bias"
    export_pack(lead, PackOptions("eval"), pack)
    current, candidate = outputs(pack, tmp_path, "v7"), outputs(pack, tmp_path, "v8", " v8")
    build_eval(
        pack, current, candidate, 50, tmp_path / "bias.lbundle", seed=9,
        keys=lead_keys(lead), allow_fewer=True,
    )  # fmt: skip
    import_bundle(lead.store, lead.writer, tmp_path / "bias.lbundle")
    bundle = read_bundle(tmp_path / "bias.lbundle")
    assert report(lead).bundle_id == bundle.id  # the latest imported is the default
    return [i["id"] for i in bundle.items if not i["restricted"]]


def _label_all(lead: LabelingSession, ids: list[str], shown: list[str]) -> None:
    for item_id, preference in zip(ids, shown, strict=True):
        answers = {"preference": preference, "safety_a": "pass", "safety_b": "pass",
                   "formatting_a": "pass", "formatting_b": "pass"}  # fmt: skip
        lead.save_label(lead.open_item(item_id), answers, utc_now(), 2)


def test_position_bias_is_flagged_when_the_left_side_always_wins(
    tmp_path: Path, lead: LabelingSession
) -> None:
    ids = _fresh_eval(tmp_path, lead)
    _label_all(lead, ids, ["A"] * len(ids))  # always the side shown on the left
    bias = report(lead).position_bias
    assert (bias.decisive_labels, bias.left_won, bias.left_share) == (len(ids), len(ids), 1.0)
    assert bias.ci95 is not None and bias.ci95[0] > 0.5 and bias.biased
    assert report(lead).to_json()["position_bias"]["biased"] is True


def test_position_bias_is_not_flagged_when_sides_win_evenly(
    tmp_path: Path, lead: LabelingSession
) -> None:
    ids = _fresh_eval(tmp_path, lead)
    _label_all(lead, ids, ["A" if n % 2 else "B" for n in range(len(ids))])
    bias = report(lead).position_bias
    assert bias.decisive_labels == len(ids) and abs(bias.left_won - len(ids) / 2) <= 0.5
    assert not bias.biased
