"""An eval needs a rubric declaring its roles: a workspace or pack whose rubric lacks one is
refused with the role named, never silently reported as 'not judged yet'."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from labeler.cli import cli
from labeler.demo.build import open_or_build_demo
from labeler.errors import ValidationError
from labeler.evals.build import build_eval
from labeler.packs.export import PackOptions, export_pack
from labeler.resources import default_rubric_path, shipped_path
from labeler.team.rubric_release import install_rubric
from labeler.triage.bundle_import import import_bundle
from labeler.workspace import Workspace
from tests.evals.test_evals import outputs
from tests.evals.test_gate import judgments, pubkey
from tests.factories import lead_keys, resign
from tests.labeling.test_rubrics import without_roles
from tests.team.test_feedback_sides import week_and_eval

TEAM_RUBRIC = without_roles(default_rubric_path().read_text()).replace("id: default", "id: team")


@pytest.fixture
def team_workspace(tmp_path: Path, memory_keyring) -> str:
    """A workspace keeping a team rubric with no roles, with a week and an eval imported."""
    path = tmp_path / "team.lbw"
    team = tmp_path / "team.yaml"
    team.write_text(TEAM_RUBRIC)
    with Workspace.create(path) as ws:
        ws.session.create_profile("Lee", "lead", restricted_access=False)
        install_rubric(ws.session, team, default_rubric_path().with_suffix(".md"))
        for bundle in week_and_eval(tmp_path):
            import_bundle(ws.store, ws.writer, bundle)
        assert ws.session.rubric.id == "team"  # labeling still works under it
    return str(path)


@pytest.mark.parametrize("command", [["eval", "report"], ["eval", "export-judgments", "-o"]])
def test_eval_commands_refuse_a_rubric_without_roles(
    tmp_path: Path, team_workspace: str, command: list[str]
) -> None:
    target = tmp_path / "j.jsonl"
    args = [*command, str(target)] if command[-1] == "-o" else command
    out = CliRunner().invoke(cli, ["--workspace", team_workspace, *args])
    assert out.exit_code == 2 and not target.exists()
    expected = "Rubric team (version 2026.11.1) has no question with the role 'preference'"
    assert expected in out.output


def test_the_gate_refuses_to_record_into_a_workspace_without_roles(
    tmp_path: Path, team_workspace: str
) -> None:
    found = judgments(tmp_path, [("wrong", "candidate", 60)])
    policy = str(shipped_path("rubrics", "gate.yaml"))
    out = CliRunner().invoke(
        cli,
        [
            "--workspace",
            team_workspace,
            "eval",
            "gate",
            str(found),
            "--pubkey",
            str(pubkey(tmp_path)),
            "--policy",
            policy,
        ],
    )
    assert out.exit_code == 2 and "role 'preference'" in out.output
    status = CliRunner().invoke(cli, ["--workspace", team_workspace, "status"])
    assert "no gate run yet" in status.output


def test_eval_build_refuses_a_pack_whose_rubric_lacks_roles(tmp_path: Path, memory_keyring) -> None:
    lead = open_or_build_demo(tmp_path / "lead.lbw", role="lead").session
    pack = tmp_path / "pack"
    export_pack(lead, PackOptions("eval"), pack)
    current, candidate = outputs(pack, tmp_path, "v1"), outputs(pack, tmp_path, "v2", "!")
    old = tmp_path / "old-pack"
    shutil.copytree(pack, old)
    (old / "rubric.yaml").write_text(without_roles(default_rubric_path().read_text()))
    keys = lead_keys(lead)
    resign(old, lead)
    build_eval(old, current, candidate, 50, tmp_path / "ok.lbundle", keys=keys, allow_fewer=True)
    (old / "rubric.yaml").write_text(TEAM_RUBRIC)
    with pytest.raises(ValidationError, match=r"old-pack/rubric\.yaml|role 'preference'"):
        build_eval(
            resign(old, lead), current, candidate, 50, tmp_path / "no.lbundle", keys=keys,
            allow_fewer=True,
        )  # fmt: skip
    assert not (tmp_path / "no.lbundle").exists()
