"""Rubric versions on real workspaces: the history, installing (lead), and the signed file
that carries a version from the lead's laptop to a labeler's — and every refusal, each with
nothing written (the workspace's bytes are hashed before and after)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from labeler.cli import cli
from labeler.clock import utc_now
from labeler.crypto import roster
from labeler.crypto.signed_files import write_signed
from labeler.crypto.signing import signing_key
from labeler.errors import LabelerError, ValidationError
from labeler.labeling import rubric_versions
from labeler.labeling.session import LabelingSession
from labeler.resources import default_rubric_path
from labeler.store import exchange, migrations
from labeler.team.rubric_release import (
    FORMAT,
    export_rubric,
    import_rubric,
    install_rubric,
)
from labeler.triage.bundle_import import import_bundle
from labeler.workspace import Workspace
from tests.conftest import close_session
from tests.factories import rubric_file, week_bundle

CLEARER = {
    "definition: Usable as is, though the user's edit or retry improved it.": (
        "definition: Usable as is; the edit only changed its style."
    )
}


def seat(tmp_path: Path, name: str, role: str, bundle: Path | None = None) -> LabelingSession:
    ws = Workspace.create(tmp_path / f"{name}.lbw")
    if bundle is not None:
        import_bundle(ws.store, ws.writer, bundle)
    ws.session.create_profile(name, role, restricted_access=False)
    return ws.session


def trusts(session: LabelingSession, other: LabelingSession, name: str) -> None:
    key = signing_key(other.store).public.encoded()
    session.writer.run(lambda tx: exchange.trust(tx, key, name, utc_now()))


def fingerprint(session: LabelingSession) -> str:
    """A hash of the database file and its WAL: what any write changes. (Not the -shm file:
    readers write their read marks there.)"""
    path = session.store.path
    wal = path.with_name(path.name + "-wal")
    data = path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    return hashlib.sha256(data).hexdigest()


def refused(session: LabelingSession, action, message: str, error=ValidationError) -> None:
    before = fingerprint(session)
    with pytest.raises(error, match=message):
        action()
    assert fingerprint(session) == before, "a refusal wrote to the workspace"


@pytest.fixture
def lead(tmp_path: Path, memory_keyring) -> LabelingSession:
    return seat(tmp_path, "Lee", "lead")


def test_a_workspace_starts_with_the_shipped_default_as_version_one(lead) -> None:
    assert lead.rubric.version == "2026.11.1"
    (first,) = rubric_versions.versions(lead.store)
    assert first.row.source == "default" and first.row.current and first.row.seq == 1
    assert first.row.content_hash == lead.rubric.content_hash
    assert first.row.yaml == default_rubric_path().read_text()


def test_a_lead_installs_a_newer_version_and_the_history_keeps_both(tmp_path: Path, lead) -> None:
    first = lead.rubric
    release = install_rubric(lead, rubric_file(tmp_path / "v2", "2026.12", replace=CLEARER))
    assert lead.rubric.version == "2026.12" and release.rubric == lead.rubric
    assert [(c.clause, c.field) for c in release.diff.changes] == [
        ("verdict/acceptable", "definition")
    ]
    history = rubric_versions.versions(lead.store)
    assert [(v.row.version, v.row.current, v.row.source) for v in history] == [
        ("2026.11.1", False, "default"),
        ("2026.12", True, "install"),
    ]
    assert history[1].row.installed_by_name == "Lee"
    assert history[0].rubric.content_hash == first.content_hash  # the old one is kept as it was
    # a reopened workspace reads the same current version
    path = lead.store.path
    close_session(lead)
    with Workspace.open(path) as ws:
        assert ws.session.rubric.version == "2026.12"


def test_install_refuses_what_is_not_a_newer_valid_version(tmp_path: Path, lead) -> None:
    v2 = rubric_file(tmp_path / "v2", "2026.12", replace=CLEARER)
    install_rubric(lead, v2)
    refused(lead, lambda: install_rubric(lead, v2), "already installed here with exactly")
    older = rubric_file(tmp_path / "old", "2026.11.5", replace=CLEARER)
    refused(lead, lambda: install_rubric(lead, older), "2026.11.5 of rubric default is not newer")
    same = rubric_file(tmp_path / "same", "2026.12", guidance="Other guidance.")
    refused(lead, lambda: install_rubric(lead, same), "not newer than the installed 2026.12")
    broken = rubric_file(tmp_path / "bad", "2027.1", replace={"kind: free_text": "kind: essay"})
    refused(lead, lambda: install_rubric(lead, broken), "question 'note' has kind 'essay'")
    lost = rubric_file(tmp_path / "lost", "2027.1")
    (tmp_path / "lost" / "default.md").unlink()
    refused(lead, lambda: install_rubric(lead, lost), "guidance file 'default.md' is missing")
    lead.create_profile("Lee", "labeler", restricted_access=False)
    newer = rubric_file(tmp_path / "v3", "2027.1")
    refused(lead, lambda: install_rubric(lead, newer), "Only a lead", LabelerError)
    assert [v.row.version for v in rubric_versions.versions(lead.store)] == ["2026.11.1", "2026.12"]


def test_a_team_rubric_of_another_id_replaces_the_default(tmp_path: Path, lead) -> None:
    team = rubric_file(tmp_path / "team", "1", replace={"id: default": "id: team"})
    release = install_rubric(lead, team, guidance=default_rubric_path().with_suffix(".md"))
    assert (lead.rubric.id, lead.rubric.version) == ("team", "1")
    assert release.diff.changes == ()  # the same questions under another name


def test_the_migration_keeps_a_workspaces_stored_rubric_as_its_first_version(
    tmp_path: Path, memory_keyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A workspace from before rubric versions: the rubric it kept in meta becomes version 1,
    and its resolutions are recorded as decided under it."""
    path = tmp_path / "old.lbw"
    text = rubric_file(tmp_path / "kept", "2026.10").read_text()
    # the migrations before this one (found by name: a migration landing first renumbers it)
    before = next(
        n for n, m in enumerate(migrations.MIGRATIONS) if m.__name__.endswith("_rubric_versions")
    )
    with monkeypatch.context() as patch:
        patch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:before])
        # The Labeler of that schema had no team roster to look at (its table comes later).
        patch.setattr(roster, "current", lambda store: None)
        with Workspace.create(path) as ws:
            import_bundle(ws.store, ws.writer, week_bundle(tmp_path / "w.lbundle", 2))

            def old_layout(tx) -> None:
                tx.conn.execute("INSERT INTO meta VALUES ('rubric_yaml', ?)", (text,))
                tx.conn.execute("INSERT INTO meta VALUES ('rubric_guidance', 'Old guide.')")
                tx.conn.execute(
                    "INSERT INTO resolutions(item_id, answers, cause, note, resolved_by, "
                    "resolved_at) VALUES ('item-2026-W48-000000', '{}', 'labeler_slip', 'n', "
                    "'lee', '2026-11-01T00:00:00Z')"
                )

            ws.writer.run(old_layout)
            assert ws.info().schema_version == before
    with Workspace.open(path) as ws:
        assert ws.info().schema_version == migrations.SCHEMA_VERSION
        rubric = ws.session.rubric
        (first,) = rubric_versions.versions(ws.store)
        assert (first.row.version, first.row.source, rubric.guidance) == (
            "2026.10",
            "workspace",
            "Old guide.",
        )
        # the migration's hash is the one labels made under this rubric carry
        expected = hashlib.sha256(text.encode() + b"\0" + b"Old guide.").hexdigest()
        assert first.row.content_hash == rubric.content_hash == expected
        assert ws.store.scalar("SELECT rubric_hash FROM resolutions") == expected
        assert ws.store.scalar("SELECT count(*) FROM meta WHERE key LIKE 'rubric_%'") == 0


# -- two laptops -------------------------------------------------------------------------


@pytest.fixture
def laptops(tmp_path: Path, memory_keyring) -> tuple[LabelingSession, LabelingSession, Path]:
    """The lead has installed 2026.12 and exported it signed; Ana trusts the lead's key."""
    bundle = week_bundle(tmp_path / "w48.lbundle", 6)
    lee, ana = seat(tmp_path, "Lee", "lead", bundle), seat(tmp_path, "Ana", "labeler", bundle)
    install_rubric(lee, rubric_file(tmp_path / "v2", "2026.12", replace=CLEARER))
    file = tmp_path / "lee-2026.12.lrubric"
    export_rubric(lee, file)
    trusts(ana, lee, "Lee")
    return lee, ana, file


def test_a_labelers_laptop_takes_the_leads_signed_version(laptops) -> None:
    lee, ana, file = laptops
    assert ana.rubric.version == "2026.11.1"
    unchanged = fingerprint(ana)
    release = import_rubric(ana, file)
    assert fingerprint(ana) != unchanged  # the fingerprint sees a write
    assert release is not None and ana.rubric.content_hash == lee.rubric.content_hash
    assert [c.clause for c in release.diff.changes] == ["verdict/acceptable"]
    row = rubric_versions.versions(ana.store)[-1].row
    assert (row.source, row.signed_by_name, row.current) == ("import", "Lee", True)
    assert row.signed_by_key == signing_key(lee.store).public.encoded()
    assert row.file_sha256 == hashlib.sha256(file.read_bytes()).hexdigest()
    # the same file again changes nothing
    before = fingerprint(ana)
    assert import_rubric(ana, file) is None and fingerprint(ana) == before


def _envelope(file: Path) -> dict:
    return json.loads(file.read_text())


def test_tampered_unsigned_untrusted_and_foreign_files_are_refused(tmp_path: Path, laptops) -> None:
    lee, ana, file = laptops
    document = _envelope(file)
    tampered = tmp_path / "tampered.lrubric"
    changed = document["payload"].replace("only changed its style", "changed nothing at all")
    tampered.write_text(json.dumps({**document, "payload": changed}))
    refused(ana, lambda: import_rubric(ana, tampered), "signature does not match")
    unsigned = tmp_path / "unsigned.lrubric"
    unsigned.write_text(json.dumps({**document, "signature": ""}))
    refused(ana, lambda: import_rubric(ana, unsigned), "unsigned")
    # Ana's own key, which her workspace does not trust as a lead's
    forged = tmp_path / "forged.lrubric"
    write_signed(forged, FORMAT, 1, json.loads(document["payload"]), signing_key(ana.store))
    refused(ana, lambda: import_rubric(ana, forged), "does not trust")
    # signed by the lead, but its texts are not the rubric it names
    payload = json.loads(document["payload"])
    payload["rubric"]["version"] = "2027.1"
    mislabeled = tmp_path / "mislabeled.lrubric"
    write_signed(mislabeled, FORMAT, 1, payload, signing_key(lee.store))
    refused(ana, lambda: import_rubric(ana, mislabeled), "not the one it names")
    junk = tmp_path / "junk.lrubric"
    junk.write_bytes(b"\xff not json")
    refused(ana, lambda: import_rubric(ana, junk), "not a Labeler rubric file")
    assert ana.rubric.version == "2026.11.1"


def test_an_older_version_is_refused_on_a_laptop_that_has_a_newer_one(
    tmp_path: Path, laptops
) -> None:
    lee, ana, v2 = laptops
    install_rubric(lee, rubric_file(tmp_path / "v3", "2027.1", replace=CLEARER))
    v3 = tmp_path / "lee-2027.1.lrubric"
    export_rubric(lee, v3)
    import_rubric(ana, v3)  # Ana skipped 2026.12
    refused(ana, lambda: import_rubric(ana, v2), "2026.12 of rubric default is not newer")
    assert ana.rubric.version == "2027.1"


def test_cli_install_show_export_and_import(tmp_path: Path, memory_keyring) -> None:
    runner = CliRunner()
    bundle = week_bundle(tmp_path / "w48.lbundle", 2)
    lee, ana = seat(tmp_path, "Lee", "lead", bundle), seat(tmp_path, "Ana", "labeler", bundle)
    trusts(ana, lee, "Lee")
    _ = lee.rubric, ana.rubric
    lee_ws, ana_ws = str(lee.store.path), str(ana.store.path)
    close_session(lee)
    close_session(ana)
    v2 = rubric_file(tmp_path / "v2", "2026.12", replace=CLEARER)
    out = runner.invoke(cli, ["--workspace", lee_ws, "rubric", "install", str(v2)])
    assert out.exit_code == 0, out.output
    assert "Installed rubric default version 2026.12" in out.output
    assert "~ verdict/acceptable  definition  [re-check]" in out.output
    again = runner.invoke(cli, ["--workspace", lee_ws, "rubric", "install", str(v2)])
    assert again.exit_code == 2 and again.output.count("\n") == 1
    assert "already installed" in again.output
    shown = runner.invoke(cli, ["--workspace", lee_ws, "rubric", "show"])
    assert "Rubric default version 2026.12 (current)" in shown.output
    assert (
        "the shipped default, on first use" in shown.output and "installed by Lee" in shown.output
    )
    diff = runner.invoke(cli, ["--workspace", lee_ws, "rubric", "show", "--diff", "2026.11.1.."])
    assert "was: Usable as is, though" in diff.output and diff.exit_code == 0
    as_json = runner.invoke(
        cli, ["--workspace", lee_ws, "rubric", "show", "--diff", "2026.11.1..2026.12", "--json"]
    )
    assert json.loads(as_json.output)["changes"][0]["clause"] == "verdict/acceptable"
    one = runner.invoke(cli, ["--workspace", lee_ws, "rubric", "show", "--version", "2026.11.1"])
    assert "Rubric default version 2026.11.1 —" in one.output
    missing = runner.invoke(cli, ["--workspace", lee_ws, "rubric", "show", "--version", "9"])
    assert missing.exit_code == 2 and "No rubric version '9'" in missing.output
    file = tmp_path / "v2.lrubric"
    out = runner.invoke(cli, ["--workspace", lee_ws, "rubric", "export", "-o", str(file)])
    assert out.exit_code == 0 and file.exists()
    out = runner.invoke(cli, ["--workspace", ana_ws, "rubric", "import", str(file)])
    assert out.exit_code == 0 and "Imported rubric default version 2026.12" in out.output
    # a labeler's workspace cannot install or export
    for args in (["install", str(v2)], ["export", "-o", str(tmp_path / "x.lrubric")]):
        out = runner.invoke(cli, ["--workspace", ana_ws, "rubric", *args])
        assert out.exit_code == 2 and "Only a lead" in out.output
    assert not (tmp_path / "x.lrubric").exists()
