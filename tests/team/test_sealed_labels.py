"""Sealed label files between a team's laptops: signed by the labeler, encrypted to the leads
(and the labeler), refused whole when forged, foreign, stale or changed in any byte."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from labeler.cli import cli
from labeler.clock import utc_now
from labeler.crypto import age_keys, sealed, signing, team_seal
from labeler.crypto.signed_files import write_signed
from labeler.demo.events import synthetic_events
from labeler.errors import ValidationError
from labeler.labeling.session import LabelingSession
from labeler.team.label_exchange import PART, SEALED_KIND, export_labels, import_labels
from labeler.triage.build import BuildOptions, build_bundle
from tests.conftest import close_session
from tests.team.laptops import make_team, snapshot

ANSWERS = {"verdict": "correct", "safety": "pass", "formatting": "pass"}


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    events = tmp_path / "events.jsonl"
    events.write_text(
        "".join(json.dumps(e) + "\n" for e in synthetic_events(dt.date(2026, 11, 23)))
    )
    path = tmp_path / "w48.lbundle"
    build_bundle([events], BuildOptions(week="2026-W48"), path)
    return path


def label_some(session: LabelingSession, count: int, verdict: str = "correct") -> list[str]:
    ids = [r.id for r in session.queue() if r.signal == "edit"][:count]
    for item_id in ids:
        session.save_label(
            session.open_item(item_id), {**ANSWERS, "verdict": verdict}, utc_now(), 2.0
        )
    return ids


def refused(session: LabelingSession, path: Path, message: str) -> None:
    before = snapshot(session)
    with pytest.raises(ValidationError, match=message):
        import_labels(session, path)
    assert snapshot(session) == before


def test_sealed_round_trip_to_the_lead(tmp_path: Path, memory_keyring, bundle: Path) -> None:
    people = make_team(tmp_path, bundle)
    ana, lee = people["Ana"], people["Lee"]
    ids = label_some(ana, 4)
    file = tmp_path / "ana.llabels"
    assert export_labels(ana, file) == 4
    assert sealed.is_sealed(file)
    raw = file.read_bytes()
    assert not any(item_id.encode() in raw for item_id in ids)  # nothing in clear
    opened = sealed.open_sealed(file, SEALED_KIND, "label file")
    leads = {m.age_recipient for m in _roster(lee).with_role("lead")}
    assert set(opened.recipients(PART)) == leads | {age_keys.recipient(ana.store)}
    # the author can read their own export again
    assert team_seal.open_from_member(ana.store, file, SEALED_KIND, "x", PART).payload
    outcome = import_labels(lee, file)
    assert outcome.labels == 4 and outcome.labeler == "Ana"
    member = _roster(lee).by_key(signing.signing_key(ana.store).public.encoded())
    assert member is not None
    stored = lee.store.query("SELECT item_id FROM labels WHERE labeler_id = ?", (member.id,))
    assert sorted(r[0] for r in stored) == sorted(ids)
    before = snapshot(lee)
    assert not import_labels(lee, file).changes and snapshot(lee) == before


def _roster(session: LabelingSession):  # type: ignore[no-untyped-def]
    from labeler.crypto import roster

    found = roster.current(session.store)
    assert found is not None
    return found


def test_plain_foreign_stale_and_tampered_files_are_refused(
    tmp_path: Path, memory_keyring, bundle: Path
) -> None:
    people = make_team(tmp_path, bundle, bo=True)
    ana, bo, lee = people["Ana"], people["Bo"], people["Lee"]
    label_some(ana, 2)
    first = tmp_path / "first.llabels"
    export_labels(ana, first)
    label_some(ana, 4, verdict="acceptable")
    second = tmp_path / "second.llabels"
    export_labels(ana, second)
    # A plain signed file (the format of a workspace not on a team) is refused on a team.
    plain = tmp_path / "plain.llabels"
    payload = team_seal.open_from_member(ana.store, second, SEALED_KIND, "x", PART).payload
    write_signed(plain, "labeler-labels", 1, payload, signing.signing_key(ana.store))
    refused(lee, plain, "not a sealed Labeler label file")
    # Bo holds no identity the file is encrypted to.
    refused(bo, second, "encrypted to no identity this laptop holds")
    # Signed by someone not on the roster, though encrypted to the lead.
    eve = make_team(tmp_path / "eve", None)["Lee"]
    forged = tmp_path / "forged.llabels"
    sealed.write_sealed(
        forged, SEALED_KIND, {}, [sealed.Part(PART, _roster(lee).recipients(),
                                              [json.dumps(payload).encode()])],
        signing.signing_key(eve.store), created_at=utc_now(), roster_version=2,
    )  # fmt: skip
    refused(lee, forged, "not on the team roster")
    # Every single byte changed gives a sentence and writes nothing.
    raw = second.read_bytes()
    for offset in sorted({0, 30, len(raw) // 3, len(raw) // 2, len(raw) - 200, len(raw) - 1}):
        bad = tmp_path / f"bad{offset}.llabels"
        bad.write_bytes(raw[:offset] + bytes([raw[offset] ^ 1]) + raw[offset + 1 :])
        refused(lee, bad, ".")
    assert import_labels(lee, second).labels == 4
    refused(lee, first, "older than the export")


def test_cli_refusals_are_one_sentence_and_exit_2(
    tmp_path: Path, memory_keyring, bundle: Path
) -> None:
    people = make_team(tmp_path, bundle, bo=True)
    ana, bo = people["Ana"], people["Bo"]
    label_some(ana, 2)
    paths = {name: str(s.store.path) for name, s in people.items()}
    for session in people.values():
        close_session(session)
    runner = CliRunner()
    out = tmp_path / "ana.llabels"
    done = runner.invoke(cli, ["--workspace", paths["Ana"], "labels", "export", "-o", str(out)])
    assert done.exit_code == 0, done.output
    raw = out.read_bytes()
    bad = tmp_path / "bad.llabels"
    bad.write_bytes(raw[:-10] + bytes([raw[-10] ^ 0x40]) + raw[-9:])
    for who, path in (("Bo", out), ("Lee", bad)):
        result = runner.invoke(cli, ["--workspace", paths[who], "labels", "import", str(path)])
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    good = runner.invoke(cli, ["--workspace", paths["Lee"], "labels", "import", str(out)])
    assert good.exit_code == 0 and "2 labels from Ana" in good.output
    del bo


def test_stock_age_and_minisign_open_a_sealed_label_file(
    tmp_path: Path, memory_keyring, bundle: Path
) -> None:
    people = make_team(tmp_path, bundle)
    ana, lee = people["Ana"], people["Lee"]
    ids = label_some(ana, 2)
    file = tmp_path / "ana.llabels"
    export_labels(ana, file)
    seal = subprocess.run(["unzip", "-p", str(file), "seal.json"], capture_output=True, check=True)
    (tmp_path / "seal.json").write_bytes(seal.stdout)
    with zipfile.ZipFile(file) as archive:
        (tmp_path / "seal.json.minisig").write_bytes(archive.read("seal.json.minisig"))
    (tmp_path / "ana.pub").write_text(signing.signing_key(ana.store).public.minisign_file())
    subprocess.run(
        ["minisign", "-Vm", str(tmp_path / "seal.json"), "-p", str(tmp_path / "ana.pub")],
        check=True, capture_output=True,
    )  # fmt: skip
    key = tmp_path / "lee.key"
    key.write_text(str(age_keys.identity(lee.store)) + "\n")
    key.chmod(0o600)
    part = subprocess.run(
        f"unzip -p '{file}' labels.age | age -d -i '{key}'",
        shell=True, check=True, capture_output=True,
    )  # fmt: skip
    payload = json.loads(part.stdout)
    assert sorted(entry["item_id"] for entry in payload["labels"]) == sorted(ids)
    (tmp_path / "seal.json").write_bytes(seal.stdout.replace(b'"labels"', b'"label5"', 1))
    tampered = subprocess.run(
        ["minisign", "-Vm", str(tmp_path / "seal.json"), "-p", str(tmp_path / "ana.pub")],
        capture_output=True,
    )
    assert tampered.returncode != 0
