"""Restricted items: hidden without access, unlocked explicitly and audited, redacted for good."""

from __future__ import annotations

import pytest

from labeler.domain import Item
from labeler.gui.main_window import MainWindow
from labeler.labeling.session import RestrictedError
from labeler.store import audit
from labeler.store import items as item_rows
from labeler.workspace import Workspace
from tests.sqlcipher_pages import contains


def restricted_items(ws: Workspace) -> list[Item]:
    rows = ws.store.query("SELECT id FROM items WHERE restricted ORDER BY id")
    found = [item_rows.get(ws.store, r[0]) for r in rows]
    return [i for i in found if i is not None]


def test_restricted_hidden_without_access(window: MainWindow, demo_workspace: Workspace) -> None:
    session = window.session
    session.create_profile("No access", "labeler", restricted_access=False)
    window.refresh_queue()
    ids = {window.queue.model.row_at(r).id for r in range(window.queue.model.rowCount())}  # type: ignore[union-attr]
    hidden = restricted_items(demo_workspace)
    assert hidden and not ids & {i.id for i in hidden}
    with pytest.raises(RestrictedError):
        session.open_item(hidden[0].id)
    with pytest.raises(RestrictedError):
        session.unlock_restricted()


def test_unlock_shows_them_and_each_opening_is_audited(
    window: MainWindow, demo_workspace: Workspace
) -> None:
    session = window.session
    hidden = restricted_items(demo_workspace)
    with pytest.raises(RestrictedError):
        session.open_item(hidden[0].id)  # access, but not unlocked yet
    session.unlock_restricted()  # keychain workspace: the explicit act is the confirmation
    window.refresh_queue()
    assert window.queue.select(hidden[0].id)
    assert window.current is not None and window.current.id == hidden[0].id
    assert window.item_view.banner.isVisibleTo(window)
    log = audit.entries(demo_workspace.store, hidden[0].id)
    me = session.profile
    assert me is not None and [(e[1], e[2]) for e in log] == [(me.id, "open")]


def test_passphrase_workspace_unlock_needs_the_passphrase(tmp_path, no_keyring) -> None:
    from labeler.crypto.keys import DEMO_PASSPHRASE
    from labeler.demo.build import open_or_build_demo

    ws = open_or_build_demo(tmp_path / "pp.lbw")
    try:
        session = ws.session
        with pytest.raises(RestrictedError):
            session.unlock_restricted("not it")
        session.unlock_restricted(DEMO_PASSPHRASE)
        assert session.unlocked
    finally:
        ws.close()


def test_redaction_destroys_the_original_text(tmp_path, demo_workspace: Workspace) -> None:
    from labeler.triage.build import BuildOptions, build_bundle
    from labeler.triage.bundle_import import import_bundle
    from tests.triage.test_sampling import make_events, write

    secret = "zq-unique-7731@example.com"
    events = make_events([(0, 1, 5)], week="2026-W49")
    events[0]["event_id"] = "leak-1"
    events[0]["input"] = f"Please write to {secret} about order 1182."
    events[0]["output"] = f"Sure, I will email {secret} today."
    bundle = tmp_path / "one.lbundle"
    build_bundle([write(tmp_path / "e.jsonl", events)], BuildOptions(week="2026-W49"), bundle)
    import_bundle(demo_workspace.store, demo_workspace.writer, bundle)
    session = demo_workspace.session
    session.unlock_restricted()
    item = session.open_item("leak-1")
    assert item.restricted and {s.field for s in item.pii} == {"input", "output"}
    key = demo_workspace.store.key.raw
    assert contains(demo_workspace.path, key, secret)  # the decryption sees it before
    session.confirm_redaction(item, list(item.pii))
    after = session.open_item(item.id)
    assert after.redaction_confirmed and after.pii == []
    assert after.input == "Please write to [EMAIL] about order 1182."
    assert after.output == "Sure, I will email [EMAIL] today."
    assert not contains(demo_workspace.path, key, secret)
