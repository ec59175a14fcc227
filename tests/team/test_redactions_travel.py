"""A restricted labeler's confirmed redaction rides in their sealed label file and is applied
on the lead's laptop, so the item goes into a pack without being redacted twice."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from labeler.clock import utc_now
from labeler.crypto import roster, team_seal
from labeler.errors import ValidationError
from labeler.labeling.session import LabelingSession
from labeler.packs.export import PackOptions, export_pack
from labeler.store import audit
from labeler.store import items as item_rows
from labeler.team.label_exchange import PART, SEALED_KIND, export_labels, import_labels
from labeler.triage.bundle_file import content_hash, write_bundle
from tests.factories import edit_item
from tests.team.laptops import make_team, snapshot

ANSWERS = {"verdict": "correct", "safety": "pass", "formatting": "pass"}
EMAIL = "wilhelmina.okonkwo@example.com"
SECRET_ID = "item-2026-W48-000001"


def restricted_bundle(path: Path) -> Path:
    items = [edit_item(0)]
    item = edit_item(1)
    item["input"] = f"Mail {EMAIL} about the refund"
    for key in ("restricted", "pii", "overlap", "holdout"):
        item.pop(key)
    item["content_hash"] = content_hash(item)
    start = item["input"].index(EMAIL)
    item.update(
        restricted=True, overlap=False, holdout=False,
        pii=[{"kind": "email", "start": start, "end": start + len(EMAIL), "field": "input"}],
    )  # fmt: skip
    items.append(item)
    manifest = {"format_version": 1, "kind": "week", "bundle_id": "restricted-w48",
                "week": "2026-W48", "created_at": "2026-11-24T00:00:00Z"}  # fmt: skip
    write_bundle(path, manifest, items)
    return path


@pytest.fixture
def team(tmp_path: Path, memory_keyring) -> dict[str, LabelingSession]:
    bundle = restricted_bundle(tmp_path / "w48.lbundle")
    return make_team(tmp_path, bundle, restricted=("Ana",), bo=True)


def redact_and_label(ana: LabelingSession) -> None:
    ana.unlock_restricted()
    item = ana.open_item(SECRET_ID)
    ana.confirm_redaction(item, item.pii)
    ana.save_label(ana.open_item(SECRET_ID), ANSWERS, utc_now(), 1)


def test_the_redaction_is_applied_on_the_leads_laptop(
    tmp_path: Path, team: dict[str, LabelingSession]
) -> None:
    ana, lee = team["Ana"], team["Lee"]
    redact_and_label(ana)
    file = tmp_path / "ana.llabels"
    export_labels(ana, file)
    assert EMAIL.encode() not in file.read_bytes()
    before = item_rows.get(lee.store, SECRET_ID)
    assert before is not None and EMAIL in (before.input or "")
    assert not before.redaction_confirmed
    import_labels(lee, file)
    after = item_rows.get(lee.store, SECRET_ID)
    assert after is not None and after.redaction_confirmed
    assert after.input == "Mail [EMAIL] about the refund"
    assert any(e[2] == "redact_imported" for e in audit.entries(lee.store, SECRET_ID))
    manifest = export_pack(lee, PackOptions("training"), tmp_path / "pack")
    lines = (tmp_path / "pack" / "labels.jsonl").read_text().splitlines()
    rows = [json.loads(line) for line in lines]
    assert SECRET_ID in {row["item_id"] for row in rows}
    assert manifest["counts"]["excluded"].get("restricted_unredacted", 0) == 0
    # importing it again: nothing changes (redacted already)
    state = snapshot(lee)
    import_labels(lee, file)
    assert snapshot(lee) == state


def _payload_with(session: LabelingSession, file: Path, redactions: list[Any]) -> dict[str, Any]:
    payload = team_seal.open_from_member(session.store, file, SEALED_KIND, "x", PART).payload
    return {**payload, "redactions": redactions}


def _reseal(session: LabelingSession, path: Path, payload: dict[str, Any], lee: Any) -> Path:
    current = roster.current(lee.store)
    assert current is not None
    readers = [m.age_recipient for m in current.with_role("lead")]
    team_seal.seal_json(session.store, path, SEALED_KIND, {}, PART, payload, readers)
    return path


def test_bad_redactions_are_refused_whole(tmp_path: Path, team: dict[str, LabelingSession]) -> None:
    ana, bo, lee = team["Ana"], team["Bo"], team["Lee"]
    redact_and_label(ana)
    file = tmp_path / "ana.llabels"
    export_labels(ana, file)
    entry = team_seal.open_from_member(ana.store, file, SEALED_KIND, "x", PART).payload[
        "redactions"
    ][0]
    cases = {
        "outside the": {**entry, "spans": [{**entry["spans"][0], "end": 10_000}]},
        "not in this workspace": {**entry, "item_id": "item-nowhere"},
        "unknown kind": {**entry, "spans": [{**entry["spans"][0], "kind": "shoe_size"}]},
        "no text field": {**entry, "spans": [{**entry["spans"][0], "field": "retries[3].output"}]},
    }  # fmt: skip
    for index, (message, bad) in enumerate(cases.items()):
        path = _reseal(ana, tmp_path / f"bad{index}.llabels", _payload_with(ana, file, [bad]), lee)
        state = snapshot(lee)
        with pytest.raises(ValidationError, match=message):
            import_labels(lee, path)
        assert snapshot(lee) == state
    # Bo has no restricted access: a file of his carrying a redaction is refused
    bo.save_label(bo.open_item("item-2026-W48-000000"), ANSWERS, utc_now(), 1)
    bo_file = tmp_path / "bo.llabels"
    export_labels(bo, bo_file)
    forged = _reseal(bo, tmp_path / "bo2.llabels", _payload_with(bo, bo_file, [entry]), lee)
    state = snapshot(lee)
    with pytest.raises(ValidationError, match="no restricted access"):
        import_labels(lee, forged)
    assert snapshot(lee) == state
