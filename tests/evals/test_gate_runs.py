"""Gate runs are recorded where they run, and status shows the last one actually run —
never a verdict recomputed with the shipped policy."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from labeler.cli import cli
from labeler.demo.build import open_or_build_demo
from labeler.evals.gate import decide, load_policy, parse_judgments
from labeler.evals.gate_runs import last_run, run_in_workspace
from labeler.evals.results import judgments as workspace_judgments
from labeler.evals.results import judgments_jsonl
from labeler.resources import shipped_path
from labeler.store import evals as eval_rows
from labeler.workspace import Workspace
from tests.conftest import close_session
from tests.evals.test_gate import judgments, pubkey

# A clean win with enough items of both critical case types for the shipped policy.
CLEAN = [("wrong", "candidate", 50), ("unsafe", "candidate", 10)]

SHIPPED = shipped_path("rubrics", "gate.yaml")


@pytest.fixture
def workspace_path(tmp_path: Path, memory_keyring) -> str:
    with Workspace.create(tmp_path / "lead.lbw") as ws:
        ws.session.create_profile("Lee", "lead", restricted_access=False)
    return str(tmp_path / "lead.lbw")


def strict_policy(tmp_path: Path) -> Path:
    """The shipped policy, but demanding more judged items than any eval here has."""
    path = tmp_path / "strict-gate.yaml"
    text = SHIPPED.read_text().replace("min_items: 50", "min_items: 500")
    path.write_bytes(text.replace("\n", "\r\n").encode())  # CRLF: hashed as the file is
    return path


def status_json(path: str) -> dict:
    out = CliRunner().invoke(cli, ["--workspace", path, "status", "--json"])
    assert out.exit_code == 0, out.output
    return json.loads(out.output)


def test_status_shows_the_gate_the_team_ran_not_the_shipped_one(
    tmp_path: Path, workspace_path: str
) -> None:
    assert status_json(workspace_path)["gate"] is None
    status = CliRunner().invoke(cli, ["--workspace", workspace_path, "status"])
    assert "last eval gate: no gate run yet" in status.output
    found = judgments(tmp_path, [*CLEAN, ("normal", "tie", 20)])
    assert decide(parse_judgments(found), load_policy(SHIPPED)).ship  # shipped policy: SHIP
    policy = strict_policy(tmp_path)
    run = CliRunner().invoke(
        cli,
        [
            "--workspace",
            workspace_path,
            "eval",
            "gate",
            str(found),
            "--pubkey",
            str(pubkey(tmp_path)),
            "--policy",
            str(policy),
        ],
    )
    assert run.exit_code == 1 and run.output.startswith("DO NOT SHIP")
    assert "Recorded as gate run 1" in run.output
    gate = status_json(workspace_path)["gate"]
    assert gate["verdict"] == "DO NOT SHIP"
    assert gate["policy_sha256"] == hashlib.sha256(policy.read_bytes()).hexdigest()
    assert gate["judgments_sha256"] == hashlib.sha256(found.read_bytes()).hexdigest()
    assert gate["judgments_count"] == 80 and gate["run_by"] == "Lee"
    assert gate["reasons"] == ["min_items: too few items: 80 judged, the policy needs 500"]
    text = CliRunner().invoke(cli, ["--workspace", workspace_path, "status"]).output
    assert "last eval gate: DO NOT SHIP" in text and gate["policy_sha256"][:12] in text


def test_every_run_is_kept_with_its_policy_text(tmp_path: Path, workspace_path: str) -> None:
    found = judgments(tmp_path, CLEAN)
    policy = strict_policy(tmp_path)
    for chosen in (policy, SHIPPED):
        CliRunner().invoke(
            cli,
            [
                "eval",
                "gate",
                str(found),
                "--pubkey",
                str(pubkey(tmp_path)),
                "--policy",
                str(chosen),
                "--workspace",
                workspace_path,
            ],
        )
    with Workspace.open(workspace_path) as ws:
        runs = eval_rows.gate_runs(ws.store)
    assert [r.verdict for r in runs] == ["DO NOT SHIP", "SHIP"]
    assert runs[0].policy_text.encode() == policy.read_bytes()
    assert runs[1].policy_text == SHIPPED.read_text()
    assert runs[1].bundle_id is None  # the judgments name no eval item of this workspace
    assert status_json(workspace_path)["gate"]["verdict"] == "SHIP"  # the last one run


def test_without_a_workspace_the_verdict_is_printed_and_not_recorded(tmp_path: Path) -> None:
    found = judgments(tmp_path, CLEAN)
    out = CliRunner().invoke(
        cli,
        ["eval", "gate", str(found), "--pubkey", str(pubkey(tmp_path)), "--policy", str(SHIPPED)],
    )
    assert out.exit_code == 0 and out.output.startswith("SHIP")
    assert "Not recorded: no workspace" in out.output
    as_json = CliRunner().invoke(
        cli,
        [
            "eval",
            "gate",
            str(found),
            "--pubkey",
            str(pubkey(tmp_path)),
            "--policy",
            str(SHIPPED),
            "--json",
        ],
    )
    data = json.loads(as_json.output)
    assert data["recorded"] is None and data["not_recorded"].startswith("no workspace")
    assert data["verdict"] == "SHIP" and data["wins"] == 60


def test_a_named_workspace_that_is_missing_is_bad_input(tmp_path: Path) -> None:
    found = judgments(tmp_path, CLEAN)
    missing = str(tmp_path / "nowhere.lbw")
    out = CliRunner().invoke(
        cli,
        [
            "--workspace",
            missing,
            "eval",
            "gate",
            str(found),
            "--pubkey",
            str(pubkey(tmp_path)),
            "--policy",
            str(SHIPPED),
        ],
    )
    assert out.exit_code == 2 and not (tmp_path / "nowhere.lbw").exists()


def test_the_apps_gate_run_is_recorded_with_its_eval_bundle(tmp_path: Path, memory_keyring) -> None:
    lead = open_or_build_demo(tmp_path / "lead.lbw", role="lead").session
    (bundle,) = eval_rows.bundles(lead.store)
    demo_run = last_run(lead)  # the demo lead ran the shipped gate
    assert demo_run is not None and demo_run.bundle_id == bundle.bundle_id
    policy = strict_policy(tmp_path)
    verdict, run = run_in_workspace(lead, policy)
    assert not verdict.ship and run == last_run(lead) and run.id == demo_run.id + 1
    exported = judgments_jsonl(workspace_judgments(lead))
    assert run.judgments_sha256 == hashlib.sha256(exported).hexdigest()
    assert run.policy_sha256 == hashlib.sha256(policy.read_bytes()).hexdigest()
    assert run.bundle_id == bundle.bundle_id and run.run_by_name == "Demo lead"
    path = str(lead.store.path)
    close_session(lead)
    # The file export-judgments writes is the one the app gated on: the same hash.
    out = tmp_path / "j.jsonl"
    CliRunner().invoke(cli, ["--workspace", path, "eval", "export-judgments", "-o", str(out)])
    assert hashlib.sha256(out.read_bytes()).hexdigest() == run.judgments_sha256
    gate = CliRunner().invoke(
        cli, ["--workspace", path, "eval", "gate", str(out), "--policy", str(SHIPPED), "--json"]
    )
    recorded = json.loads(gate.output)["recorded"]
    assert recorded["run_id"] == run.id + 1
    assert status_json(path)["gate"]["bundle_id"] == bundle.bundle_id
