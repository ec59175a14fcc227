"""Deletion notices across three laptops: the lead purges, every laptop applies the notice
once, a re-import cannot bring the subject back, and a bad notice changes nothing."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from labeler.cli import cli
from labeler.clock import utc_now
from labeler.crypto import age_keys, sealed, signing, team_seal
from labeler.errors import LabelerError, ValidationError
from labeler.labeling.session import LabelingSession
from labeler.packs.export import PackOptions, export_pack
from labeler.privacy.notices import KIND, PART, apply_notice, purge_with_notice
from labeler.store import items as item_rows
from labeler.triage.bundle_import import import_bundle
from labeler.triage.sealed_bundle import seal_to_team
from tests.conftest import close_session
from tests.privacy.test_privacy import MARKER, subject_bundle
from tests.team.laptops import make_team, snapshot

ANSWERS = {"verdict": "correct", "safety": "pass", "formatting": "pass"}


def theirs(session: LabelingSession) -> list[str]:
    return [i.id for i in item_rows.all_items(session.store) if i.input and MARKER in i.input]


def label(session: LabelingSession, ids: list[str]) -> None:
    for item_id in ids:
        session.save_label(session.open_item(item_id), ANSWERS, utc_now(), 1)


@pytest.fixture
def team(tmp_path: Path, memory_keyring) -> dict[str, LabelingSession]:
    return make_team(tmp_path, subject_bundle(tmp_path / "w48"), bo=True)


def refused(session: LabelingSession, path: Path, message: str) -> None:
    before = snapshot(session)
    with pytest.raises(ValidationError, match=message):
        apply_notice(session.store, session.writer, path)
    assert snapshot(session) == before


def test_the_notice_reaches_every_laptop_and_applies_once(
    tmp_path: Path, team: dict[str, LabelingSession]
) -> None:
    lee, ana = team["Lee"], team["Ana"]
    subject_items = theirs(ana)
    assert len(subject_items) == 3
    label(ana, subject_items)
    trained = [i for i in theirs(lee) if not item_rows.get(lee.store, i).holdout]  # type: ignore[union-attr]
    label(lee, trained)
    manifest = export_pack(lee, PackOptions("training"), tmp_path / "pack")
    notice = tmp_path / "acct.ldel"
    result, header = purge_with_notice(lee.store, lee.writer, "acct-purge-me", notice)
    assert result.items == 3 and not theirs(lee)
    assert {(r.pack_id, r.item_id) for r in header.pack_rows} == {
        (manifest["pack_id"], i) for i in trained
    }
    raw = notice.read_bytes()
    assert b"acct-purge-me" not in raw and MARKER.encode() not in raw
    # the subject's hash is only inside the age part
    from labeler.subjects import subject_hash

    assert subject_hash("acct-purge-me").encode() not in raw  # type: ignore[union-attr]
    # the lead's own laptop wrote it: importing it there changes nothing
    assert apply_notice(lee.store, lee.writer, notice).applied is False
    outcome = apply_notice(ana.store, ana.writer, notice)
    assert outcome.applied and outcome.result is not None
    assert outcome.result.items == 3 and outcome.result.labels == 3
    assert not theirs(ana)
    left = ana.store.query(
        "SELECT count(*) FROM labels WHERE item_id IN (SELECT value FROM json_each(?))",
        (json.dumps(subject_items),),
    )
    assert left[0][0] == 0
    before = snapshot(ana)
    assert apply_notice(ana.store, ana.writer, notice).applied is False  # idempotent
    assert snapshot(ana) == before
    # a bundle bringing the subject back: skipped
    # (sealed by the lead, as a team's bundles are)
    week49 = subject_bundle(tmp_path / "w49", "2026-W49", seal_to_team(lee.store))
    again = import_bundle(ana.store, ana.writer, week49)
    assert again.skipped_purged == 3 and not theirs(ana)
    # Bo applies it through the CLI
    bo_path = str(team["Bo"].store.path)
    close_session(team["Bo"])
    runner = CliRunner()
    out = runner.invoke(cli, ["--workspace", bo_path, "notice", "import", str(notice), "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["applied"] is True and json.loads(out.output)["items"] == 3
    out = runner.invoke(cli, ["--workspace", bo_path, "notice", "import", str(notice)])
    assert out.exit_code == 0 and "applied here already" in out.output


def test_bad_notices_change_nothing(tmp_path: Path, team: dict[str, LabelingSession]) -> None:
    lee, ana, bo = team["Lee"], team["Ana"], team["Bo"]
    notice = tmp_path / "acct.ldel"
    purge_with_notice(lee.store, lee.writer, "acct-purge-me", notice)
    # a labeler cannot sign one
    with pytest.raises(LabelerError, match="Only the team's lead"):
        purge_with_notice(ana.store, ana.writer, "acct-keep", tmp_path / "ana.ldel")
    header = sealed.open_sealed(notice, KIND, "x").header
    by_ana = tmp_path / "by-ana.ldel"
    payload = {"notice_id": header["notice_id"], "subject_hash": "0" * 64}
    everyone = [m.age_recipient for m in _members(lee)]
    team_seal.seal_json(ana.store, by_ana, KIND, header, PART, payload, everyone)
    refused(bo, by_ana, "not a lead")
    # sealed by the lead, but to the lead only
    lead_only = tmp_path / "lead-only.ldel"
    team_seal.seal_json(
        lee.store, lead_only, KIND, {**header, "notice_id": "1" * 32}, PART,
        {**payload, "notice_id": "1" * 32}, [age_keys.recipient(lee.store)],
    )  # fmt: skip
    refused(bo, lead_only, "encrypted to no identity this laptop holds")
    # a stranger's notice
    eve = make_team(tmp_path / "eve", None)["Lee"]
    forged = tmp_path / "forged.ldel"
    sealed.write_sealed(
        forged, KIND, header, [sealed.Part(PART, everyone, [json.dumps(payload).encode()])],
        signing.signing_key(eve.store), created_at=utc_now(), roster_version=1,
    )  # fmt: skip
    refused(bo, forged, "not on the team roster")
    # any changed byte
    raw = notice.read_bytes()
    for offset in sorted({0, 40, len(raw) // 4, len(raw) // 2, len(raw) - 300, len(raw) - 1}):
        bad = tmp_path / f"bad{offset}.ldel"
        bad.write_bytes(raw[:offset] + bytes([raw[offset] ^ 1]) + raw[offset + 1 :])
        refused(bo, bad, ".")
    # the CLI: one sentence, exit 2
    path = str(bo.store.path)
    close_session(bo)
    out = CliRunner().invoke(cli, ["--workspace", path, "notice", "import", str(by_ana)])
    assert out.exit_code == 2 and len(out.output.strip().splitlines()) == 1
    assert "Traceback" not in out.output


def test_the_lead_must_write_a_notice_on_a_team(
    tmp_path: Path, team: dict[str, LabelingSession]
) -> None:
    lee = team["Lee"]
    path = str(lee.store.path)
    close_session(lee)
    runner = CliRunner()
    out = runner.invoke(cli, ["--workspace", path, "purge", "--subject", "acct-purge-me"])
    assert out.exit_code == 2 and "-o NOTICE.ldel" in out.output
    notice = tmp_path / "n.ldel"
    out = runner.invoke(
        cli, ["--workspace", path, "purge", "--subject", "acct-purge-me", "-o", str(notice)]
    )
    assert out.exit_code == 0 and "Purged 3 items" in out.output and notice.exists()
    # the training team reads the pack rows with the stock tools (no identity needed)
    seal = subprocess.run(["unzip", "-p", str(notice), "seal.json"], capture_output=True)
    assert json.loads(seal.stdout)["header"]["pack_rows"] == []
    with zipfile.ZipFile(notice) as archive:
        assert sorted(archive.namelist()) == ["seal.json", "seal.json.minisig", "subject.age"]


def _members(session: LabelingSession) -> list:  # type: ignore[type-arg]
    from labeler.crypto import roster

    found = roster.current(session.store)
    assert found is not None
    return found.members


def test_a_laptop_with_no_roster_refuses_a_notice(
    tmp_path: Path, team: dict[str, LabelingSession]
) -> None:
    lee = team["Lee"]
    notice = tmp_path / "acct.ldel"
    purge_with_notice(lee.store, lee.writer, "acct-purge-me", notice)
    alone = make_team(tmp_path / "alone", None)["Lee"]
    from labeler.crypto import roster

    assert roster.current(alone.store) is not None  # a team of its own: not Lee's
    refused(alone, notice, "not on the team roster")
    from tests.team.laptops import seat

    nobody = seat(tmp_path / "nobody", "Nia", "labeler", None)
    refused(nobody, notice, "no team roster")
