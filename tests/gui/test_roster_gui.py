"""Team → roster in the app: the first roster asks for the lead's fingerprint; taking it gives
this laptop the role and access the roster says; the dialog shows the team; cards are written."""

from __future__ import annotations

from pathlib import Path

from labeler.crypto import roster
from labeler.crypto.signing import signing_key
from labeler.gui import roster_actions
from labeler.workspace import Workspace
from tests.gui.test_two_laptops import laptops, open_window  # noqa: F401  (the fixture)


def _join(tmp_path: Path, lead_ws: Workspace, ana_ws: Workspace) -> None:
    """Lee starts a team, adds Ana's card, and Ana's laptop takes the roster."""
    roster.init(lead_ws.store, lead_ws.writer, "Lee")
    roster.write_card(ana_ws.store, tmp_path / "ana.card", "Ana")
    roster.add(lead_ws.store, lead_ws.writer, tmp_path / "ana.card", "labeler", False)
    roster.export(lead_ws.store, tmp_path / "team.roster")
    lead_key = signing_key(lead_ws.store).public.encoded()
    roster.accept(ana_ws.store, ana_ws.writer, tmp_path / "team.roster", lead_key=lead_key)


def test_the_first_roster_is_taken_only_once_its_lead_is_confirmed(
    qtbot,
    tmp_path: Path,
    laptops: tuple[Workspace, Workspace],  # noqa: F811
) -> None:
    ana_ws, lead_ws = laptops
    window = open_window(qtbot, ana_ws)
    card = roster_actions.save_card(window, ana_ws, "Ana", tmp_path / "ana.card")
    assert card is not None and roster.read_card(card).display_name == "Ana"
    roster.init(lead_ws.store, lead_ws.writer, "Lee")
    roster.add(lead_ws.store, lead_ws.writer, card, "labeler", True)
    roster.export(lead_ws.store, tmp_path / "team.roster")
    seen: list[str] = []

    def refuse(_parent: object, fingerprint: str) -> bool:
        seen.append(fingerprint)
        return False

    changes: list[object] = []
    assert not roster_actions.import_roster(
        window, ana_ws, tmp_path / "team.roster", changes.append, refuse
    )
    assert seen == [signing_key(lead_ws.store).public.fingerprint()]
    assert roster.current(ana_ws.store) is None and not changes
    assert ana_ws.session.profile is not None and not ana_ws.session.profile.restricted_access
    taken = roster_actions.import_roster(
        window, ana_ws, tmp_path / "team.roster", changes.append, lambda _p, _f: True
    )
    assert taken and changes
    me = ana_ws.session.profile
    assert me is not None and (me.role, me.restricted_access) == ("labeler", True)
    dialog = roster_actions.show_roster_dialog(window, ana_ws)
    names = {dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())}
    assert names == {"Lee", "Ana"} and "v2" in dialog.summary.text()
    dialog.close()
    window.close()


def test_a_roster_from_another_lead_shows_its_sentence(
    qtbot,
    tmp_path: Path,
    laptops: tuple[Workspace, Workspace],  # noqa: F811
) -> None:
    ana_ws, lead_ws = laptops
    window = open_window(qtbot, ana_ws)
    roster.init(lead_ws.store, lead_ws.writer, "Lee")
    roster.export(lead_ws.store, tmp_path / "v1.roster")
    roster_actions.import_roster(window, ana_ws, tmp_path / "v1.roster", print, lambda *_: True)
    with Workspace.create(tmp_path / "eve.lbw") as eve:
        roster.init(eve.store, eve.writer, "Eve")
        roster.export(eve.store, tmp_path / "eve.roster")
    assert not roster_actions.import_roster(
        window, ana_ws, tmp_path / "eve.roster", print, lambda *_: True
    )
    from tests.gui.test_hostile_import import _error_dialog

    box = _error_dialog()
    assert box is not None and "another team" in box.text()
    kept = roster.current(ana_ws.store)
    assert kept is not None and kept.lead_key == signing_key(lead_ws.store).public.encoded()
    window.close()


def test_feedback_on_a_team_is_one_sealed_file_per_labeler(
    qtbot,
    tmp_path: Path,
    laptops: tuple[Workspace, Workspace],  # noqa: F811
) -> None:
    from labeler.crypto.sealed import is_sealed
    from labeler.gui import team_actions
    from labeler.team.feedback import import_resolutions

    ana_ws, lead_ws = laptops
    _join(tmp_path, lead_ws, ana_ws)
    lead_ws.session.forget_profile()
    window = open_window(qtbot, lead_ws)
    (tmp_path / "out").mkdir()
    team_actions.start_export_team_feedback(window, lead_ws, tmp_path / "out")
    target = tmp_path / "out" / "Ana.lresolutions"
    qtbot.waitUntil(target.exists, timeout=10_000)
    assert is_sealed(target)
    ana_ws.session.forget_profile()
    assert import_resolutions(ana_ws.session, target) == 0  # none decided yet: opens, applies
    window.close()


def test_a_deletion_notice_is_applied_from_the_app_once(
    qtbot,
    tmp_path: Path,
    laptops: tuple[Workspace, Workspace],  # noqa: F811
) -> None:
    from PySide6.QtWidgets import QApplication

    from labeler.gui import pack_actions
    from labeler.privacy.notices import purge_with_notice
    from labeler.privacy.purge import NOTICE_APPLIED
    from labeler.store import meta

    ana_ws, lead_ws = laptops
    _join(tmp_path, lead_ws, ana_ws)
    _, header = purge_with_notice(lead_ws.store, lead_ws.writer, "acct-9", tmp_path / "n.ldel")
    window = open_window(qtbot, ana_ws)

    def messages() -> list[str]:
        return [w.text() for w in QApplication.topLevelWidgets()
                if w.objectName() == "messageDialog" and w.isVisible()]  # type: ignore[attr-defined]  # fmt: skip

    pack_actions.start_import_notice(window, ana_ws, tmp_path / "n.ldel", print)
    qtbot.waitUntil(lambda: any("Deleted" in m for m in messages()), timeout=10_000)
    assert meta.get(ana_ws.store, NOTICE_APPLIED + header.notice_id) is not None
    pack_actions.start_import_notice(window, ana_ws, tmp_path / "n.ldel", print)
    qtbot.waitUntil(lambda: any("applied here already" in m for m in messages()), timeout=10_000)
    window.close()
