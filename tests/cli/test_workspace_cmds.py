"""CLI: init, info, backup, keys rotate; errors are one sentence and exit code 2."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from labeler.cli import cli


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_init_then_info_json(tmp_path: Path, memory_keyring) -> None:
    path = tmp_path / "ws.lbw"
    result = run("--workspace", str(path), "init")
    assert result.exit_code == 0, result.output
    result = run("info", "--workspace", str(path), "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["items"] == 0 and data["key_source"] == "keychain"
    assert data["schema_version"] >= 1


def test_info_on_demo_workspace_counts_items(tmp_path: Path, no_keyring) -> None:
    path = tmp_path / "demo.lbw"
    assert run("demo", "--workspace", str(path), "--no-gui").exit_code == 0
    result = run("--workspace", str(path), "info", env={"LABELER_PASSPHRASE": "labeler-demo"})
    assert result.exit_code == 0
    assert "Key source:     passphrase" in result.output
    data = json.loads(
        run(
            "--workspace", str(path), "info", "--json", env={"LABELER_PASSPHRASE": "labeler-demo"}
        ).output
    )
    assert data["items"] > 50 and data["bundles"] == 1


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _plain(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t(x)")
    conn.commit()
    conn.close()


def _random(path: Path) -> None:
    path.write_bytes(hashlib.shake_256(b"x").digest(8192))


def _truncated(path: Path) -> None:
    runner_result = run("--workspace", str(path), "init", env={"LABELER_PASSPHRASE": "pw"})
    assert runner_result.exit_code == 0
    path.write_bytes(path.read_bytes()[:6000])


def _wrong_passphrase(path: Path) -> None:
    assert run("--workspace", str(path), "init", env={"LABELER_PASSPHRASE": "right"}).exit_code == 0


@pytest.mark.parametrize("make", [_plain, _random, _truncated, _wrong_passphrase])
def test_bad_files_exit_2_unchanged(tmp_path: Path, no_keyring, make) -> None:
    path = tmp_path / "bad.lbw"
    make(path)
    before = _sha(path)
    result = run("--workspace", str(path), "info", env={"LABELER_PASSPHRASE": "wrong"})
    assert result.exit_code == 2
    assert result.output.startswith("Error: ")
    assert result.output.count("\n") == 1  # one sentence, no traceback
    assert "Traceback" not in result.output
    assert _sha(path) == before


def test_no_passphrase_without_terminal_is_clear(tmp_path: Path, no_keyring) -> None:
    path = tmp_path / "ws.lbw"
    result = run("--workspace", str(path), "init")
    assert result.exit_code == 2
    assert "LABELER_PASSPHRASE" in result.output
    assert not path.exists()


def test_backup_and_rotate(tmp_path: Path, memory_keyring) -> None:
    path = tmp_path / "ws.lbw"
    assert run("--workspace", str(path), "init").exit_code == 0
    result = run("--workspace", str(path), "backup", "-o", str(tmp_path / "b.lbw"))
    assert result.exit_code == 0 and "Backed up 0 items" in result.output
    assert run("--workspace", str(tmp_path / "b.lbw"), "info").exit_code == 0
    result = run("--workspace", str(path), "keys", "rotate")
    assert result.exit_code == 0, result.output
    assert run("--workspace", str(path), "info").exit_code == 0


def _commands(group: click.Group, prefix: str = ""):
    for name, command in group.commands.items():
        yield prefix + name, command
        if isinstance(command, click.Group):
            yield from _commands(command, prefix + name + " ")


def test_every_command_has_help() -> None:
    for name, command in _commands(cli):
        assert command.help and command.help.strip(), f"'labeler {name}' has no help text"
        result = run(*name.split(), "--help")
        assert result.exit_code == 0


def test_version() -> None:
    from labeler import __version__

    assert __version__ in run("--version").output


def test_profile_set_and_show(tmp_path: Path, memory_keyring) -> None:
    path = str(tmp_path / "ws.lbw")
    assert run("--workspace", path, "init").exit_code == 0
    assert "No profile yet" in run("--workspace", path, "profile", "show").output
    result = run(
        "--workspace", path, "profile", "set", "--name", "Ana", "--role", "lead", "--restricted"
    )
    assert result.exit_code == 0 and "Ana (lead)" in result.output
    first_id = result.output.strip().split()[-1]
    again = run("--workspace", path, "profile", "set", "--name", "Ana K")
    assert again.output.strip().split()[-1] == first_id  # the id is stable
    assert (
        "Ana K (labeler, without restricted access)"
        in run("--workspace", path, "profile", "show").output
    )


def test_the_demo_is_a_sealed_team(tmp_path: Path, memory_keyring) -> None:
    """'labeler demo' sets the workspace up as a real team's: a roster the lead signed, and
    its week imported from a bundle the lead sealed (a plain one would now be refused)."""
    from labeler.crypto import roster
    from labeler.errors import ValidationError
    from labeler.triage.bundle_import import import_bundle
    from labeler.workspace import Workspace
    from tests.factories import week_bundle

    for role in ("labeler", "lead"):
        path = tmp_path / f"{role}.lbw"
        assert run("demo", "--workspace", str(path), "--no-gui", "--role", role).exit_code == 0
        with Workspace.open(path) as ws:
            team = roster.current(ws.store)
            me = roster.me(ws.store)
            assert team is not None and me is not None and me.role == role
            assert ws.session.profile is not None and ws.session.profile.role == role
            assert ws.info().bundles >= 1
            with pytest.raises(ValidationError, match="not a sealed bundle"):
                import_bundle(ws.store, ws.writer, week_bundle(tmp_path / f"{role}.lbundle", 2))
