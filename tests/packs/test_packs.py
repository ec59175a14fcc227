"""Signed packs: what goes in, what never does, verification, minisign, determinism."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labeler.clock import utc_now
from labeler.crypto.signing import signing_key
from labeler.demo.build import open_or_build_demo
from labeler.errors import LabelerError, ValidationError
from labeler.labeling.session import LabelingSession
from labeler.packs.export import PackOptions, export_pack
from labeler.packs.verify import verify_pack
from labeler.store import items as item_rows
from labeler.store import labels as label_rows


@pytest.fixture
def lead(tmp_path: Path, memory_keyring) -> LabelingSession:
    return open_or_build_demo(tmp_path / "lead.lbw", role="lead").session


def pub(session: LabelingSession, folder: Path) -> Path:
    path = folder / "lead.pub"
    path.write_text(signing_key(session.store).public.minisign_file())
    return path


def rows(pack: Path) -> list[dict]:
    return [json.loads(line) for line in (pack / "labels.jsonl").read_text().splitlines()]


def flags(session: LabelingSession) -> dict[str, tuple[bool, bool, bool]]:
    return {
        i.id: (i.holdout, i.restricted, i.redaction_confirmed)
        for i in item_rows.all_items(session.store)
    }


def test_training_and_eval_packs(tmp_path: Path, lead: LabelingSession) -> None:
    training = export_pack(lead, PackOptions("training"), tmp_path / "t")
    evaluation = export_pack(lead, PackOptions("eval"), tmp_path / "e")
    info = flags(lead)
    train_rows, eval_rows = rows(tmp_path / "t"), rows(tmp_path / "e")
    assert train_rows and eval_rows
    assert not any(info[r["item_id"]][0] for r in train_rows)
    assert all(info[r["item_id"]][0] for r in eval_rows)
    assert not any(
        info[r["item_id"]][1] and not info[r["item_id"]][2] for r in train_rows + eval_rows
    )
    excluded = training["counts"]["excluded"]
    assert excluded["holdout"] > 0 and excluded["restricted_unredacted"] > 0
    assert excluded.get("unresolved_disagreement", 0) > 0  # the demo leaves some open
    assert evaluation["eval"]["failure_modes"] + evaluation["eval"]["normal_traffic"] == len(
        eval_rows
    )
    holdout_ids = {h["item_id"] for h in evaluation["holdout"]}
    assert {r["item_id"] for r in eval_rows} <= holdout_ids
    assert {"answer_verdict", "decided", "subject", "rubric_version"} <= set(train_rows[0])
    assert all(r["decided"] in ("agreed", "single", "resolved") for r in train_rows)
    assert (tmp_path / "t" / "rubric.yaml").read_text().startswith("# The default rubric")


def test_same_state_same_bytes_and_loadable(tmp_path: Path, lead: LabelingSession) -> None:
    import duckdb
    import pandas as pd

    export_pack(lead, PackOptions("training"), tmp_path / "a")
    export_pack(lead, PackOptions("training"), tmp_path / "b")
    for name in ("labels.jsonl", "labels.parquet"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    frame = pd.read_parquet(tmp_path / "a" / "labels.parquet")
    lines = pd.read_json(tmp_path / "a" / "labels.jsonl", lines=True)
    assert len(frame) == len(lines) == len(rows(tmp_path / "a"))
    parquet = duckdb.sql(f"SELECT count(*) FROM '{tmp_path / 'a' / 'labels.parquet'}'").fetchall()
    assert parquet[0][0] == len(frame)
    jsonl = tmp_path / "a" / "labels.jsonl"
    assert duckdb.sql(f"SELECT count(*) FROM read_json_auto('{jsonl}')").fetchall()[0][0] == len(
        frame
    )


def test_verify_and_the_real_minisign(tmp_path: Path, lead: LabelingSession) -> None:
    export_pack(lead, PackOptions("eval"), tmp_path / "p")
    key = pub(lead, tmp_path)
    manifest = verify_pack(tmp_path / "p", key)
    assert manifest["kind"] == "eval"
    minisign = shutil.which("minisign")
    if minisign is None:
        # CI installs the Debian package and must run this; a laptop without it skips.
        assert not os.environ.get("CI"), "minisign must be installed in CI (.ci/run does)"
        pytest.skip("minisign is not installed (apt-get install minisign)")
    done = subprocess.run(
        [minisign, "-V", "-p", str(key), "-m", "manifest.json"],
        cwd=tmp_path / "p",
        capture_output=True,
    )
    assert done.returncode == 0, done.stderr


def test_any_single_byte_change_fails_verification(tmp_path: Path, lead: LabelingSession) -> None:
    export_pack(lead, PackOptions("eval"), tmp_path / "p")
    key = pub(lead, tmp_path)
    for path in sorted((tmp_path / "p").iterdir()):
        original = path.read_bytes()
        for offset in {0, len(original) // 2, len(original) - 1}:
            changed = bytearray(original)
            changed[offset] ^= 0x01
            path.write_bytes(bytes(changed))
            with pytest.raises(ValidationError):
                verify_pack(tmp_path / "p", key)
        path.write_bytes(original)
    verify_pack(tmp_path / "p", key)
    (tmp_path / "p" / "extra.csv").write_text("a,b\n")
    with pytest.raises(ValidationError, match="not in the manifest"):
        verify_pack(tmp_path / "p", key)
    (tmp_path / "p" / "extra.csv").unlink()
    (tmp_path / "p" / "labels.parquet").unlink()
    with pytest.raises(ValidationError, match="missing"):
        verify_pack(tmp_path / "p", key)


def test_wrong_key_and_non_lead(tmp_path: Path, lead: LabelingSession, memory_keyring) -> None:
    export_pack(lead, PackOptions("eval"), tmp_path / "p")
    other = open_or_build_demo(tmp_path / "other.lbw").session
    with pytest.raises(ValidationError, match="another key"):
        verify_pack(tmp_path / "p", pub(other, tmp_path))
    with pytest.raises(LabelerError, match="Only a lead"):
        export_pack(other, PackOptions("training"), tmp_path / "q")
    with pytest.raises(ValidationError, match="not empty"):
        export_pack(lead, PackOptions("eval"), tmp_path / "p")


def test_leakage_guard_drops_near_copies_of_holdout_inputs(
    tmp_path: Path, lead: LabelingSession
) -> None:
    holdout = next(
        i for i in item_rows.all_items(lead.store) if i.holdout and i.input and not i.restricted
    )
    target = next(
        i for i in item_rows.all_items(lead.store)
        if not i.holdout and not i.restricted and i.signal == "edit" and lead.label_of(i.id) is None
    )  # fmt: skip
    near = holdout.input.upper() + "!!"  # same words, other case and punctuation
    lead.writer.run(
        lambda tx: tx.conn.execute("UPDATE items SET input = ? WHERE id = ?", (near, target.id))
    )
    lead.save_label(
        lead.open_item(target.id),
        {"verdict": "correct", "safety": "pass", "formatting": "pass"},
        utc_now(),
        1,
    )
    manifest = export_pack(lead, PackOptions("training"), tmp_path / "t")
    assert target.id not in {r["item_id"] for r in rows(tmp_path / "t")}
    assert manifest["leakage_guard"]["excluded"] >= 1


def test_verify_loads_neither_qt_nor_the_store(tmp_path: Path, lead: LabelingSession) -> None:
    export_pack(lead, PackOptions("eval"), tmp_path / "p")
    key = pub(lead, tmp_path)
    code = (
        "import sys\nfrom labeler.cli import main\n"
        "sys.argv = ['labeler', 'pack', 'verify', sys.argv[1], '--pubkey', sys.argv[2]]\n"
        "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\n"
        "loaded = ('PySide6', 'labeler.store', 'labeler.workspace', 'sqlcipher3')\n"
        "print(code, [m for m in sys.modules if m.startswith(loaded)])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "p"), str(key)], capture_output=True, text=True
    )
    assert out.stdout.strip().splitlines()[-1] == "0 []", out.stdout + out.stderr


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    relabel=st.lists(
        st.tuples(st.integers(0, 300), st.sampled_from(["correct", "acceptable", "wrong"])),
        max_size=25,
    ),
    confirm=st.lists(st.integers(0, 300), max_size=5),
    weeks=st.sets(st.sampled_from(["2026-W46", "2026-W47", "2026-W48"])),
)
def test_no_holdout_or_unredacted_restricted_item_ever_reaches_training(
    tmp_path_factory, lead: LabelingSession, relabel, confirm, weeks
) -> None:
    # The week's items (an eval pair takes the eval rubric's answers, and never trains).
    items = [item for item in item_rows.all_items(lead.store) if item.signal != "eval"]
    me = lead.profile
    assert me is not None
    lead.unlocked = True
    for index, verdict in relabel:  # labels on anything, holdout and restricted items included
        item = items[index % len(items)]
        if item.signal == "side_by_side":
            answers = {"preference": "A"}
        else:
            answers = {"verdict": verdict, "safety": "pass", "formatting": "pass"}
            if verdict == "wrong":
                answers["failure_type"] = "wrong"
        lead.save_label(item, answers, utc_now(), 1)
    for index in confirm:
        item = items[index % len(items)]
        if item.restricted and not item.redaction_confirmed:
            lead.confirm_redaction(lead.open_item(item.id), list(item.pii))
    folder = tmp_path_factory.mktemp("pack")
    export_pack(lead, PackOptions("training", tuple(sorted(weeks))), folder / "t")
    current = flags(lead)
    for row in rows(folder / "t"):
        holdout, restricted, confirmed = current[row["item_id"]]
        assert not holdout
        assert not restricted or confirmed
        assert not weeks or row["week"] in weeks
    relabeled = {items[index % len(items)].id for index, _ in relabel}
    assert label_rows.count_for(lead.store, me.id) >= len(relabeled)  # every save landed


def _signed_pack(folder: Path, manifest: dict) -> Path:
    """A pack folder whose manifest says what the test wants, signed by a fresh key."""
    import secrets

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from labeler.crypto import minisign
    from labeler.crypto.signing import SigningKey

    key = SigningKey(secrets.token_bytes(8), Ed25519PrivateKey.generate())
    folder.mkdir()
    data = (json.dumps(manifest, indent=2) + "\n").encode()
    (folder / "manifest.json").write_bytes(data)
    (folder / "manifest.json.minisig").write_text(minisign.sign(key, data, "manifest.json"))
    public = folder.parent / f"{folder.name}.pub"
    public.write_text(key.public.minisign_file())
    return public


def test_a_signed_but_malformed_manifest_is_one_sentence(tmp_path: Path, lead) -> None:
    export_pack(lead, PackOptions("eval"), tmp_path / "real")
    good = json.loads((tmp_path / "real" / "manifest.json").read_text())
    cases = {
        "size": (
            lambda m: m["files"][0].update(size="12"),
            r"manifest\.json: field 'size' of 'files\[0\]' must be a whole number, not a string\.$",
        ),
        "kind": (
            lambda m: m.update(kind="gold"),
            r"manifest\.json: field 'kind' must be one of eval, training \(not 'gold'\)\.$",
        ),
        "files": (lambda m: m.pop("files"), r"manifest\.json: field 'files' is missing\.$"),
        "twice": (
            lambda m: m["files"].append(dict(m["files"][0])),
            r"manifest\.json lists a file twice\.$",
        ),
    }
    for name, (edit, message) in cases.items():
        manifest = json.loads(json.dumps(good))
        edit(manifest)
        public = _signed_pack(tmp_path / name, manifest)
        with pytest.raises(ValidationError, match=message):
            verify_pack(tmp_path / name, public)
