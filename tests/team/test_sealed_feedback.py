"""Resolutions feedback on a team: one sealed file per labeler, encrypted to them only,
holding only their items, accepted only from a lead on the roster."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from labeler.cli import cli
from labeler.crypto import age_keys, sealed, team_seal
from labeler.crypto.signed_files import write_signed
from labeler.errors import LabelerError, ValidationError
from labeler.labeling.session import LabelingSession
from labeler.team.feedback import PART, SEALED_KIND, export_resolutions, import_resolutions
from labeler.team.label_exchange import export_labels, import_labels
from labeler.team.reconcile import resolve
from tests.conftest import close_session
from tests.factories import week_bundle
from tests.team.laptops import make_team, snapshot
from tests.team.test_sealed_labels import ANSWERS, label_some


@pytest.fixture
def team(tmp_path: Path, memory_keyring) -> dict[str, LabelingSession]:
    return make_team(tmp_path, week_bundle(tmp_path / "w48.lbundle", 8), bo=True)


def refused(session: LabelingSession, path: Path, message: str) -> None:
    before = snapshot(session)
    with pytest.raises(ValidationError, match=message):
        import_resolutions(session, path)
    assert snapshot(session) == before


def resolved(tmp_path: Path, team: dict[str, LabelingSession]) -> tuple[str, str]:
    ana, bo, lee = team["Ana"], team["Bo"], team["Lee"]
    mine = label_some(ana, 2)
    his = [i for i in label_some(bo, 4) if i not in mine][:1]
    for name, session in (("ana", ana), ("bo", bo)):
        export_labels(session, tmp_path / f"{name}.llabels")
        import_labels(lee, tmp_path / f"{name}.llabels")
    final = {**ANSWERS, "verdict": "acceptable"}
    resolve(lee, lee.open_item(mine[0]), final, "labeler_slip", "close call")
    resolve(lee, lee.open_item(his[0]), final, "labeler_slip", "close call")
    return mine[0], his[0]


def test_each_labeler_gets_their_own_sealed_feedback(
    tmp_path: Path, team: dict[str, LabelingSession]
) -> None:
    ana, bo, lee = team["Ana"], team["Bo"], team["Lee"]
    ana_item, bo_item = resolved(tmp_path, team)
    with pytest.raises(LabelerError, match="--for MEMBER"):
        export_resolutions(lee, tmp_path / "all.lres")
    file = tmp_path / "ana.lres"
    assert export_resolutions(lee, file, "Ana") == 1
    opened = sealed.open_sealed(file, SEALED_KIND, "x")
    assert opened.recipients(PART) == [age_keys.recipient(ana.store)]
    assert ana_item.encode() not in file.read_bytes() and bo_item.encode() not in file.read_bytes()
    assert import_resolutions(ana, file) == 1
    got = ana.store.query("SELECT item_id FROM feedback")
    assert [r[0] for r in got] == [ana_item]
    refused(bo, file, "encrypted to no identity this laptop holds")
    # a labeler cannot pass off feedback: sealed by Bo to Ana
    payload = team_seal.open_from_member(ana.store, file, SEALED_KIND, "x", PART).payload
    forged = tmp_path / "forged.lres"
    readers = [age_keys.recipient(ana.store)]
    team_seal.seal_json(bo.store, forged, SEALED_KIND, {}, PART, payload, readers)
    refused(ana, forged, "not a lead")
    plain = tmp_path / "plain.lres"
    write_signed(plain, "labeler-resolutions", 1, payload, _key(lee))
    refused(ana, plain, "not a sealed resolutions file")
    raw = file.read_bytes()
    for offset in (0, 50, len(raw) // 2, len(raw) - 1):
        bad = tmp_path / f"bad{offset}.lres"
        bad.write_bytes(raw[:offset] + bytes([raw[offset] ^ 1]) + raw[offset + 1 :])
        refused(ana, bad, ".")


def _key(session: LabelingSession):  # type: ignore[no-untyped-def]
    from labeler.crypto.signing import signing_key

    return signing_key(session.store)


def test_cli_for_member_and_refusals(tmp_path: Path, team: dict[str, LabelingSession]) -> None:
    resolved(tmp_path, team)
    paths = {name: str(s.store.path) for name, s in team.items()}
    for session in team.values():
        close_session(session)
    runner = CliRunner()
    out = tmp_path / "bo.lres"
    done = runner.invoke(
        cli, ["--workspace", paths["Lee"], "resolutions", "export", "-o", str(out), "--for", "Bo"]
    )
    assert done.exit_code == 0, done.output
    wrong = runner.invoke(cli, ["--workspace", paths["Ana"], "resolutions", "import", str(out)])
    assert wrong.exit_code == 2 and len(wrong.output.strip().splitlines()) == 1
    right = runner.invoke(cli, ["--workspace", paths["Bo"], "resolutions", "import", str(out)])
    assert right.exit_code == 0 and "Imported 2 resolutions" in right.output  # Bo labeled both
