"""Signed label files between two real workspaces: round trip and every refusal."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from labeler.cli import cli
from labeler.clock import utc_now
from labeler.crypto.signed_files import write_signed
from labeler.crypto.signing import signing_key
from labeler.demo.events import synthetic_events
from labeler.errors import ValidationError
from labeler.labeling.session import LabelingSession
from labeler.store import exchange, meta
from labeler.team.identity import key_labeler_id
from labeler.team.label_exchange import export_labels, import_labels
from labeler.team.rubric_release import export_rubric, import_rubric, install_rubric
from labeler.triage.build import BuildOptions, build_bundle
from labeler.triage.bundle_import import import_bundle
from labeler.workspace import Workspace
from tests.conftest import close_session
from tests.factories import rubric_file

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


def seat(tmp_path: Path, name: str, role: str, bundle: Path | None) -> LabelingSession:
    ws = Workspace.create(tmp_path / f"{name}.lbw")
    if bundle is not None:
        import_bundle(ws.store, ws.writer, bundle)
    session = ws.session
    session.create_profile(name, role, restricted_access=False)
    return session


def label_some(session: LabelingSession, count: int, verdict: str = "correct") -> list[str]:
    ids = [r.id for r in session.queue() if r.signal == "edit"][:count]
    for item_id in ids:
        session.save_label(
            session.open_item(item_id), {**ANSWERS, "verdict": verdict}, utc_now(), 2.0
        )
    return ids


def labeler_id(session: LabelingSession) -> str:
    """The id a labeler's labels carry on other laptops: the one their signing key gives."""
    return key_labeler_id(signing_key(session.store).public)


def trust(lead: LabelingSession, labeler: LabelingSession) -> None:
    key = signing_key(labeler.store).public.encoded()
    lead.writer.run(lambda tx: exchange.trust(tx, key, "Ana", utc_now()))


def counts(session: LabelingSession) -> dict[str, int]:
    return meta.counts(session.store)


def test_round_trip_and_reimport(tmp_path: Path, memory_keyring, bundle: Path) -> None:
    ana, lead = seat(tmp_path, "Ana", "labeler", bundle), seat(tmp_path, "Lee", "lead", bundle)
    ids = label_some(ana, 4)
    file = tmp_path / "ana.llabels"
    assert export_labels(ana, file) == 4
    trust(lead, ana)
    outcome = import_labels(lead, file)
    assert outcome.labels == 4 and outcome.changes
    ana_id = labeler_id(ana)
    stored = lead.store.query("SELECT item_id, answers FROM labels WHERE labeler_id = ?", (ana_id,))
    assert sorted(r[0] for r in stored) == sorted(ids)
    before = counts(lead)
    again = import_labels(lead, file)
    assert not again.changes and counts(lead) == before


def test_newer_export_supersedes_and_older_is_refused(
    tmp_path: Path, memory_keyring, bundle: Path
) -> None:
    ana, lead = seat(tmp_path, "Ana", "labeler", bundle), seat(tmp_path, "Lee", "lead", bundle)
    trust(lead, ana)
    label_some(ana, 2)
    first = tmp_path / "first.llabels"
    export_labels(ana, first)
    label_some(ana, 5, verdict="acceptable")
    second = tmp_path / "second.llabels"
    export_labels(ana, second)
    import_labels(lead, second)
    ana_id = labeler_id(ana)
    verdicts = [
        json.loads(r[0])["verdict"]
        for r in lead.store.query("SELECT answers FROM labels WHERE labeler_id = ?", (ana_id,))
    ]
    assert len(verdicts) == 5 and set(verdicts) == {"acceptable"}
    with pytest.raises(ValidationError, match="older than the export"):
        import_labels(lead, first)


def _refused(lead: LabelingSession, path: Path, message: str) -> None:
    before = counts(lead)
    with pytest.raises(ValidationError, match=message):
        import_labels(lead, path)
    assert counts(lead) == before


def test_unsigned_tampered_untrusted_and_foreign_files_are_refused(
    tmp_path: Path, memory_keyring, bundle: Path
) -> None:
    ana, lead = seat(tmp_path, "Ana", "labeler", bundle), seat(tmp_path, "Lee", "lead", bundle)
    label_some(ana, 3)
    good = tmp_path / "ana.llabels"
    export_labels(ana, good)
    _refused(lead, good, "does not trust")
    trust(lead, ana)
    document = json.loads(good.read_text())
    tampered = tmp_path / "tampered.llabels"
    tampered.write_text(
        json.dumps({**document, "payload": document["payload"].replace("correct", "wrong")})
    )
    _refused(lead, tampered, "signature does not match")
    unsigned = tmp_path / "unsigned.llabels"
    unsigned.write_text(json.dumps({**document, "signature": ""}))
    _refused(lead, unsigned, "unsigned")
    stranger = seat(tmp_path, "Stranger", "lead", None)
    trust(stranger, ana)
    _refused(stranger, good, "bundles this workspace does not have")
    junk = tmp_path / "junk.llabels"
    junk.write_bytes(b"\xff\xfe not json")
    _refused(lead, junk, "not a Labeler label file")


def test_labels_under_a_rubric_this_workspace_never_had_need_the_leads_confirmation(
    tmp_path: Path, memory_keyring, bundle: Path
) -> None:
    ana, lead = seat(tmp_path, "Ana", "labeler", bundle), seat(tmp_path, "Lee", "lead", bundle)
    # Ana labels under a rubric another team's lead released, which Lee never installed
    zed = seat(tmp_path, "Zed", "lead", None)
    stricter = rubric_file(tmp_path / "zed", "2026.12", guidance="A stricter definition of wrong.")
    install_rubric(zed, stricter)
    export_rubric(zed, tmp_path / "zed.lrubric")
    zed_key = signing_key(zed.store).public.encoded()
    ana.writer.run(lambda tx: exchange.trust(tx, zed_key, "Zed", utc_now()))
    assert import_rubric(ana, tmp_path / "zed.lrubric") is not None
    trust(lead, ana)
    label_some(ana, 2)
    file = tmp_path / "ana.llabels"
    export_labels(ana, file)
    _refused(lead, file, "accept-rubric")
    assert import_labels(lead, file, accept_rubric=True).labels == 2


def test_cli_keys_and_labels(tmp_path: Path, memory_keyring, bundle: Path) -> None:
    runner = CliRunner()
    ana, lead = seat(tmp_path, "Ana", "labeler", bundle), seat(tmp_path, "Lee", "lead", bundle)
    label_some(ana, 2)
    ana_ws, lead_ws = str(ana.store.path), str(lead.store.path)
    close_session(ana)
    close_session(lead)
    shown = runner.invoke(cli, ["--workspace", ana_ws, "keys", "show"])
    assert shown.exit_code == 0 and "Fingerprint:" in shown.output
    key = shown.output.split()[2]
    out = tmp_path / "a.llabels"
    assert (
        runner.invoke(cli, ["--workspace", ana_ws, "labels", "export", "-o", str(out)]).exit_code
        == 0
    )
    refused = runner.invoke(cli, ["--workspace", lead_ws, "labels", "import", str(out)])
    assert refused.exit_code == 2 and "keys trust" in refused.output
    assert (
        runner.invoke(
            cli, ["--workspace", lead_ws, "keys", "trust", key, "--name", "Ana"]
        ).exit_code
        == 0
    )
    listed = runner.invoke(cli, ["--workspace", lead_ws, "keys", "trusted"]).output
    assert listed.startswith("Ana: ") and key in listed
    done = runner.invoke(cli, ["--workspace", lead_ws, "labels", "import", str(out)])
    assert done.exit_code == 0 and "2 labels from Ana" in done.output
    pub = tmp_path / "lead.pub"
    assert (
        runner.invoke(
            cli, ["--workspace", lead_ws, "keys", "export-public", "-o", str(pub)]
        ).exit_code
        == 0
    )
    assert pub.read_text().startswith("untrusted comment: minisign public key ")


def _resigned(source: Path, target: Path, key, edit=None) -> Path:
    """``source``'s payload, optionally edited, signed by ``key`` with our own writer."""
    payload = json.loads(json.loads(source.read_text())["payload"])
    if edit is not None:
        edit(payload)
    write_signed(target, "labeler-labels", 1, payload, key)
    return target


def test_a_known_labeler_signed_by_another_key_is_refused(
    tmp_path: Path, memory_keyring, bundle: Path
) -> None:
    ana, lead = seat(tmp_path, "Ana", "labeler", bundle), seat(tmp_path, "Lee", "lead", bundle)
    mallory = seat(tmp_path, "Mallory", "labeler", bundle)
    trust(lead, ana)
    label_some(ana, 3)
    genuine = tmp_path / "ana.llabels"
    export_labels(ana, genuine)
    import_labels(lead, genuine)
    ana_id = labeler_id(ana)
    mallory_key = signing_key(mallory.store)
    lead.writer.run(
        lambda tx: exchange.trust(tx, mallory_key.public.encoded(), "Mallory", utc_now())
    )

    def overrule(payload: dict) -> None:  # Ana's id, newer, every verdict turned
        payload["exported_at"] = utc_now()
        for entry in payload["labels"]:
            entry["answers"]["verdict"] = "wrong"

    forged = _resigned(genuine, tmp_path / "forged.llabels", mallory_key, overrule)
    before = lead.store.query("SELECT item_id, answers FROM labels WHERE labeler_id = ?", (ana_id,))
    _refused(lead, forged, "the key that signed it is Mallory's")
    after = lead.store.query("SELECT item_id, answers FROM labels WHERE labeler_id = ?", (ana_id,))
    assert after == before and len(after) == 3


def test_a_malformed_payload_is_one_sentence(tmp_path: Path, memory_keyring, bundle: Path) -> None:
    ana, lead = seat(tmp_path, "Ana", "labeler", bundle), seat(tmp_path, "Lee", "lead", bundle)
    trust(lead, ana)
    label_some(ana, 3)
    genuine = tmp_path / "ana.llabels"
    export_labels(ana, genuine)
    key = signing_key(ana.store)
    cases = {
        "seconds": (
            lambda p: p["labels"][1].update(seconds_spent="2"),
            r"^seconds\.llabels: field 'seconds_spent' of 'labels\[1\]' must be a number, "
            r"not a string\.$",
        ),
        "role": (
            lambda p: p["labeler"].update(role="boss"),
            r"^role\.llabels: field 'role' of 'labeler' must be one of labeler, lead "
            r"\(not 'boss'\)\.$",
        ),
        "bundles": (
            lambda p: p.update(bundle_ids=[{"id": "w48"}]),
            r"^bundles\.llabels: entry 0 of 'bundle_ids' must be a string, not an object\.$",
        ),
        "side order": (
            lambda p: p["labels"][0].update(side_order="left"),
            r"^side order\.llabels: field 'side_order' of 'labels\[0\]' must be one of AB, BA "
            r"\(not 'left'\)\.$",
        ),
        "missing": (
            lambda p: p["labels"][2].pop("item_id"),
            r"^missing\.llabels: field 'item_id' of 'labels\[2\]' is missing\.$",
        ),
    }
    for name, (edit, message) in cases.items():
        _refused(lead, _resigned(genuine, tmp_path / f"{name}.llabels", key, edit), message)
    payload_list = tmp_path / "list.llabels"
    write_signed(payload_list, "labeler-labels", 1, [1, 2], key)
    _refused(
        lead, payload_list, r"^list\.llabels: the payload must be a JSON object, not a list\.$"
    )
