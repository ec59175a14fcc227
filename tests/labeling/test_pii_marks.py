"""Personal data a person marks: a name the detector misses, found in every field, marked by
someone with access, redacted everywhere; anyone may route an item to the restricted queue;
the lead reads the audit log of all of it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from labeler.cli import cli
from labeler.clock import utc_now
from labeler.domain import Item, PiiSpan
from labeler.errors import LabelerError, ValidationError
from labeler.labeling.audit_log import audit_entries
from labeler.labeling.pii_marks import merged, occurrences
from labeler.labeling.session import RestrictedError
from labeler.store import items as item_rows
from labeler.triage.bundle_file import content_hash, write_bundle
from labeler.triage.bundle_import import import_bundle
from labeler.workspace import Workspace
from tests.sqlcipher_pages import contains

NAME = "Wilhelmina Okonkwo-Brandt"


def pair_bundle(path: Path) -> Path:
    """One side-by-side item whose input, a retry and a candidate name the customer."""
    item = {
        "id": "item-named", "week": "2026-W48", "signal": "side_by_side",
        "reason_code": "wrong", "captured_at": "2026-11-24T10:00:00Z",
        "input": f"Write to {NAME} about her refund", "intent": "Draft a reply",
        "model": {"name": "m", "version": "1", "settings": {}}, "output": None,
        "edited_output": None, "retries": None,
        "candidates": [{"model_version": "1", "output": f"Dear {NAME}, your refund..."},
                       {"model_version": "2", "output": "Dear customer, your refund..."}],
        "picked": 0, "subject_hash": None,
    }  # fmt: skip
    item["content_hash"] = content_hash(item)
    item.update(restricted=False, pii=[], overlap=False, holdout=False)
    manifest = {"format_version": 1, "kind": "week", "bundle_id": "named", "week": "2026-W48",
                "created_at": "2026-11-24T00:00:00Z"}  # fmt: skip
    write_bundle(path, manifest, [item])
    return path


@pytest.fixture
def lead(tmp_path: Path, memory_keyring) -> Workspace:
    ws = Workspace.create(tmp_path / "lead.lbw")
    import_bundle(ws.store, ws.writer, pair_bundle(tmp_path / "named.lbundle"))
    ws.session.create_profile("Lee", "lead", restricted_access=True)
    yield ws
    ws.close()


def named_item(ws: Workspace) -> Item:
    item = item_rows.get(ws.store, "item-named")
    assert item is not None
    return item


def test_every_occurrence_in_every_field_is_found(lead: Workspace) -> None:
    spans = occurrences(named_item(lead), NAME, "name")
    assert sorted(s.field for s in spans) == ["candidates[0].output", "input"]
    assert occurrences(named_item(lead), NAME.lower(), "name") == []
    assert len(occurrences(named_item(lead), NAME.lower(), "name", match_case=False)) == 2
    with pytest.raises(ValidationError, match="Unknown kind"):
        occurrences(named_item(lead), NAME, "favourite colour")
    first = PiiSpan("name", 9, 20, "input")  # overlaps the input's occurrence: that one is left out
    in_candidate = next(s for s in spans if s.field.startswith("candidates"))
    assert merged([first], spans) == [in_candidate, first]


def test_marked_names_are_redacted_everywhere_and_gone_from_the_file(lead: Workspace) -> None:
    session = lead.session
    with pytest.raises(RestrictedError):
        session.mark_pii(named_item(lead), occurrences(named_item(lead), NAME, "name"))
    session.unlock_restricted()
    session.mark_pii(named_item(lead), occurrences(named_item(lead), NAME, "name"))
    item = session.open_item("item-named")
    assert item.restricted and not item.redaction_confirmed
    assert {s.kind for s in item.pii} == {"name"}
    session.confirm_redaction(item, item.pii)
    after = session.open_item("item-named")
    assert after.input == "Write to [NAME] about her refund"
    assert after.candidates is not None and after.candidates[0]["output"].startswith("Dear [NAME]")
    assert not contains(lead.store.path, lead.key.raw, NAME)
    actions = [e.action for e in audit_entries(session)]
    assert actions[:3] == ["unlock_restricted", "mark_pii:2", "open"]
    assert actions[3:] == ["redact", "open"]


def test_anyone_can_send_an_item_to_the_restricted_queue(tmp_path: Path, memory_keyring) -> None:
    with Workspace.create(tmp_path / "ana.lbw") as ana:
        import_bundle(ana.store, ana.writer, pair_bundle(tmp_path / "named.lbundle"))
        ana.session.create_profile("Ana", "labeler", restricted_access=False)
        assert [r.id for r in ana.session.queue()] == ["item-named"]
        ana.session.send_to_restricted(ana.session.open_item("item-named"))
        assert ana.session.queue() == []  # it left her queue: she has no access
        with pytest.raises(LabelerError, match="Only a lead"):
            audit_entries(ana.session)
        ana.session.create_profile("Ana", "lead", restricted_access=False)
        ana.session._profile = None  # read it again
        (entry,) = audit_entries(ana.session)
        assert (entry.action, entry.item_id, entry.labeler) == (
            "send_restricted",
            "item-named",
            "Ana",
        )


def test_the_audit_command_is_a_leads(tmp_path: Path, lead: Workspace) -> None:
    lead.session.unlock_restricted()
    path = str(lead.store.path)
    out = CliRunner().invoke(cli, ["--workspace", path, "audit", "--json"])
    assert out.exit_code == 0, out.output
    assert '"unlock_restricted"' in out.output
    with Workspace.open(path) as same:
        same.session.create_profile("Lee", "labeler", restricted_access=True)
    out = CliRunner().invoke(cli, ["--workspace", path, "audit"])
    assert out.exit_code == 2 and "Only a lead reads the audit log" in out.output
    assert utc_now()  # the clock is the one format the entries use
