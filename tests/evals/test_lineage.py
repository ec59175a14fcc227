"""Eval build's lineage: the holdout pack and every training pack the candidate was trained
on must verify; holdout items those packs hold or nearly copy (any text field) are left out
and named; an eval smaller than asked for is refused unless the lead says so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from labeler.cli import cli
from labeler.crypto import roster
from labeler.crypto.signing import signing_key
from labeler.demo.build import open_or_build_demo
from labeler.errors import ValidationError
from labeler.evals.build import build_eval
from labeler.labeling.session import LabelingSession
from labeler.packs.export import PackOptions, export_pack
from labeler.triage.bundle_file import read_bundle
from labeler.workspace import Workspace
from tests.conftest import close_session
from tests.evals.test_evals import outputs
from tests.factories import lead_keys, resign, sealed_parts


@pytest.fixture
def lead(tmp_path: Path, memory_keyring) -> LabelingSession:
    return open_or_build_demo(tmp_path / "lead.lbw", role="lead").session


def _rows(pack: Path) -> list[dict]:
    return [json.loads(line) for line in (pack / "labels.jsonl").read_text().splitlines()]


def _write_rows(pack: Path, rows: list[dict]) -> None:
    (pack / "labels.jsonl").write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in rows))


def _setup(tmp_path: Path, lead: LabelingSession) -> tuple[Path, Path, Path, Path]:
    pack, train = tmp_path / "eval-pack", tmp_path / "train"
    export_pack(lead, PackOptions("eval"), pack)
    export_pack(lead, PackOptions("training"), train)
    current, candidate = outputs(pack, tmp_path, "v1"), outputs(pack, tmp_path, "v2", "!")
    return pack, train, current, candidate


def test_a_holdout_pack_must_verify(tmp_path: Path, lead: LabelingSession) -> None:
    pack, _, current, candidate = _setup(tmp_path, lead)
    keys = lead_keys(lead)
    out = tmp_path / "e.lbundle"
    with pytest.raises(ValidationError, match="no key to verify the pack"):
        build_eval(pack, current, candidate, 50, out, allow_fewer=True)
    other = Workspace.create(tmp_path / "other.lbw")
    stranger = signing_key(other.store).public
    other.close()
    with pytest.raises(ValidationError, match="signed by a key that is not trusted here"):
        build_eval(pack, current, candidate, 50, out, keys=[stranger], allow_fewer=True)
    rows = _rows(pack)
    _write_rows(pack, [{**rows[0], "input": "changed after signing"}, *rows[1:]])
    with pytest.raises(ValidationError, match=r"labels\.jsonl .*\(changed after signing\)"):
        build_eval(pack, current, candidate, 50, out, keys=keys, allow_fewer=True)
    resign(pack, lead)
    (pack / "manifest.json.minisig").unlink()
    with pytest.raises(ValidationError, match=r"manifest\.json\.minisig is missing"):
        build_eval(pack, current, candidate, 50, out, keys=keys, allow_fewer=True)
    assert not out.exists()


def test_fewer_eligible_items_than_asked_is_refused_unless_allowed(
    tmp_path: Path, lead: LabelingSession
) -> None:
    pack, _, current, candidate = _setup(tmp_path, lead)
    key = tmp_path / "lead.pub"
    key.write_text(lead_keys(lead)[0].minisign_file())
    eligible = len(_rows(pack))
    assert eligible < 100
    roster.init(lead.store, lead.writer, "Lee")  # the CLI builds only on a team: sealed
    path = str(lead.store.path)
    close_session(lead)
    args = ["--workspace", path, "eval", "build", "--holdout", str(pack), "--current",
            str(current), "--candidate", str(candidate), "--size", "100", "--pubkey", str(key),
            "-o", str(tmp_path / "e.lbundle")]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert f"Only {eligible} holdout items are eligible" in result.output
    assert "not the 100 asked for; give --allow-fewer" in result.output
    assert not (tmp_path / "e.lbundle").exists()
    result = CliRunner().invoke(cli, [*args, "--allow-fewer"])
    assert result.exit_code == 0, result.output
    assert f"WARNING: only {eligible} pairs, not the 100 asked for" in result.output
    manifest, _ = sealed_parts(tmp_path / "e.lbundle", path)
    assert manifest["statistics"]["sampled"] == eligible and manifest["options"]["allow_fewer"]


def test_trained_on_packs_are_named_and_their_copies_left_out(
    tmp_path: Path, lead: LabelingSession
) -> None:
    pack, train, current, candidate = _setup(tmp_path, lead)
    holdout = _rows(pack)
    copied = next(r for r in holdout if r["output"] and len(r["output"]) > 60)
    held = next(r for r in holdout if r["item_id"] != copied["item_id"])
    rows = _rows(train)
    # The training team's pack (made elsewhere, before the guard): one row answers another
    # request with a holdout item's output, and one is a holdout item itself.
    rows[0] = {**rows[0], "output": copied["output"] + " Hope this helps."}
    rows.append({**rows[1], "item_id": held["item_id"], "content_hash": held["content_hash"]})
    _write_rows(train, rows)
    resign(train, lead)
    manifest = build_eval(pack, current, candidate, 50, tmp_path / "e.lbundle",
                          keys=lead_keys(lead), trained_on=[train], allow_fewer=True)  # fmt: skip
    lineage = manifest["eval"]["lineage"]
    train_manifest = json.loads((train / "manifest.json").read_text())
    (ref,) = lineage["trained_on"]
    assert ref["pack_id"] == train_manifest["pack_id"] and ref["kind"] == "training"
    assert (
        ref["signer_key_id"] == lead_keys(lead)[0].key_id_hex and len(ref["manifest_sha256"]) == 64
    )
    assert (
        lineage["holdout_pack"]["pack_id"]
        == json.loads((pack / "manifest.json").read_text())["pack_id"]
    )
    left = {e["item_id"]: e["cause"] for e in lineage["left_out"]}
    assert left == {
        copied["item_id"]: "near_duplicate_of_training",
        held["item_id"]: "in_training_pack",
    }
    sources = {item["id"].split(":", 1)[1] for item in read_bundle(tmp_path / "e.lbundle").items}
    assert not sources & set(left) and manifest["statistics"]["left_out"] == 2


def test_trained_on_must_be_a_verified_training_pack(tmp_path: Path, lead: LabelingSession) -> None:
    pack, train, current, candidate = _setup(tmp_path, lead)
    keys = lead_keys(lead)
    with pytest.raises(ValidationError, match="is a eval pack; give a training pack"):
        build_eval(pack, current, candidate, 50, tmp_path / "e.lbundle", keys=keys,
                   trained_on=[pack], allow_fewer=True)  # fmt: skip
    (train / "manifest.json.minisig").unlink()
    with pytest.raises(ValidationError, match="minisig is missing"):
        build_eval(pack, current, candidate, 50, tmp_path / "e.lbundle", keys=keys,
                   trained_on=[train], allow_fewer=True)  # fmt: skip


def test_the_workspace_keys_verify_by_default(tmp_path: Path, lead: LabelingSession) -> None:
    pack, train, current, candidate = _setup(tmp_path, lead)
    roster.init(lead.store, lead.writer, "Lee")
    path = str(lead.store.path)
    close_session(lead)
    args = ["--workspace", path, "eval", "build", "--holdout", str(pack), "--current", str(current),
            "--candidate", str(candidate), "--trained-on", str(train), "--allow-fewer",
            "-o", str(tmp_path / "e.lbundle")]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "Holdout: eval pack eval-" in result.output and "(verified, key " in result.output
    assert "Trained on: training-" in result.output
