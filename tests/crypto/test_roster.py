"""The team roster across laptops: the lead signs it, everyone accepts only newer ones."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from labeler.cli import cli
from labeler.crypto import roster as team
from labeler.crypto import signing
from labeler.errors import LabelerError, ValidationError
from labeler.workspace import Workspace


@pytest.fixture
def laptops(tmp_path: Path, memory_keyring: object) -> Iterator[dict[str, Workspace]]:
    opened = {name: Workspace.create(tmp_path / f"{name}.lbw") for name in ("lee", "ana", "eve")}
    yield opened
    for ws in opened.values():
        ws.close()


def _key(ws: Workspace) -> str:
    return signing.signing_key(ws.store).public.encoded()


def _team(laptops: dict[str, Workspace], tmp_path: Path) -> Path:
    lee, ana = laptops["lee"], laptops["ana"]
    team.init(lee.store, lee.writer, "Lee")
    team.write_card(ana.store, tmp_path / "ana.card", "Ana")
    team.add(lee.store, lee.writer, tmp_path / "ana.card", "labeler", False)
    return team.export(lee.store, tmp_path / "v2.roster") and tmp_path / "v2.roster"


def test_a_member_accepts_the_lead_roster_once_the_lead_key_is_named(
    laptops: dict[str, Workspace], tmp_path: Path
) -> None:
    ana, lee = laptops["ana"], laptops["lee"]
    path = _team(laptops, tmp_path)
    with pytest.raises(ValidationError, match="does not know the lead's key yet"):
        team.accept(ana.store, ana.writer, path)
    assert team.current(ana.store) is None
    accepted, changed = team.accept(ana.store, ana.writer, path, lead_key=_key(lee))
    assert changed and accepted.version == 2
    me = team.me(ana.store)
    assert me is not None and (me.display_name, me.role, me.restricted) == ("Ana", "labeler", False)
    # the same file again changes nothing; an older one is refused
    assert team.accept(ana.store, ana.writer, path)[1] is False


def test_older_foreign_and_tampered_rosters_are_refused(
    laptops: dict[str, Workspace], tmp_path: Path
) -> None:
    ana, lee, eve = laptops["ana"], laptops["lee"], laptops["eve"]
    v2 = _team(laptops, tmp_path)
    team.accept(ana.store, ana.writer, v2, lead_key=_key(lee))
    team.change(lee.store, lee.writer, "Ana", restricted=True)
    v3 = tmp_path / "v3.roster"
    team.export(lee.store, v3)
    team.accept(ana.store, ana.writer, v3)
    with pytest.raises(ValidationError, match="older than the version 3"):
        team.accept(ana.store, ana.writer, v2)
    # Eve starts her own team with the same people and tries to pass it off as Lee's.
    team.init(eve.store, eve.writer, "Eve")
    forged = tmp_path / "eve.roster"
    team.export(eve.store, forged)
    with pytest.raises(ValidationError, match=r"another team|not signed by your team's lead"):
        team.accept(ana.store, ana.writer, forged)
    # A byte changed in the payload: the signature no longer holds.
    document = json.loads(v3.read_text())
    document["payload"] = document["payload"].replace('"restricted": true', '"restricted": false')
    tampered = tmp_path / "t.roster"
    tampered.write_text(json.dumps(document))
    with pytest.raises(ValidationError, match="signature does not match"):
        team.accept(ana.store, ana.writer, tampered)
    assert team.current(ana.store).version == 3  # type: ignore[union-attr]
    assert team.me(ana.store).restricted  # type: ignore[union-attr]


def test_a_revoked_key_cannot_sign_after_its_revocation(
    laptops: dict[str, Workspace], tmp_path: Path
) -> None:
    lee, ana = laptops["lee"], laptops["ana"]
    _team(laptops, tmp_path)
    public = signing.signing_key(ana.store).public
    member = team.signer(lee.store, public, "2026-12-01T10:00:00+00:00", "ana.llabels")
    assert member is not None and member.display_name == "Ana"
    removed = team.remove(lee.store, lee.writer, "Ana")
    revoked_at = removed.payload.revoked[0].revoked_at
    with pytest.raises(ValidationError, match="revoked"):
        team.signer(lee.store, public, revoked_at, "ana.llabels")
    stranger = signing.signing_key(laptops["eve"].store).public
    with pytest.raises(ValidationError, match="not on the team roster"):
        team.signer(lee.store, stranger, None, "x.llabels")


def test_only_the_lead_changes_the_roster(laptops: dict[str, Workspace], tmp_path: Path) -> None:
    ana, lee = laptops["ana"], laptops["lee"]
    team.accept(ana.store, ana.writer, _team(laptops, tmp_path), lead_key=_key(lee))
    with pytest.raises(LabelerError, match="Only the team's lead"):
        team.change(ana.store, ana.writer, "Ana", restricted=True)


def test_a_card_must_be_signed_by_the_key_it_carries(
    laptops: dict[str, Workspace], tmp_path: Path
) -> None:
    ana = laptops["ana"]
    team.write_card(ana.store, tmp_path / "ana.card", "Ana")
    document = json.loads((tmp_path / "ana.card").read_text())
    payload = json.loads(document["payload"])
    payload["signing_key"] = _key(laptops["eve"])
    document["payload"] = json.dumps(payload)
    (tmp_path / "bad.card").write_text(json.dumps(document))
    with pytest.raises(ValidationError):
        team.read_card(tmp_path / "bad.card")


def test_the_cli_joins_a_member_and_refuses_with_exit_2(tmp_path: Path, memory_keyring) -> None:
    runner = CliRunner()
    lead, ana = str(tmp_path / "lead.lbw"), str(tmp_path / "ana.lbw")

    def run(*args: str) -> object:
        return runner.invoke(cli, list(args), catch_exceptions=False)

    for path in (lead, ana):
        assert run("init", "--workspace", path).exit_code == 0  # type: ignore[attr-defined]
    assert run("roster", "init", "--workspace", lead, "--name", "Lee").exit_code == 0  # type: ignore[attr-defined]
    card = run(
        "keys", "card", "--workspace", ana, "--name", "Ana", "-o", str(tmp_path / "ana.card")
    )
    assert card.exit_code == 0, card.output  # type: ignore[attr-defined]
    added = run("roster", "add", "--workspace", lead, str(tmp_path / "ana.card"), "--restricted")
    assert "roster is now v2" in added.output  # type: ignore[attr-defined]
    run("roster", "export", "--workspace", lead, "-o", str(tmp_path / "team.roster"))
    refused = run("roster", "import", "--workspace", ana, str(tmp_path / "team.roster"))
    assert refused.exit_code == 2 and "--lead-key" in refused.output  # type: ignore[attr-defined]
    with Workspace.open(lead) as ws:
        lead_key = _key(ws)
    accepted = run("roster", "import", "--workspace", ana, str(tmp_path / "team.roster"),
                   "--lead-key", lead_key)  # fmt: skip
    assert accepted.exit_code == 0, accepted.output  # type: ignore[attr-defined]
    assert "Ana — labeler, restricted access" in accepted.output  # type: ignore[attr-defined]


def test_the_roster_not_the_profile_says_role_and_access(
    laptops: dict[str, Workspace], tmp_path: Path
) -> None:
    ana, lee = laptops["ana"], laptops["lee"]
    path = _team(laptops, tmp_path)
    team.change(lee.store, lee.writer, "Ana", restricted=True)
    team.export(lee.store, path)
    team.accept(ana.store, ana.writer, path, lead_key=_key(lee))
    session = ana.session
    session.create_profile("Ana")  # the name alone: role and access are the roster's
    me = session.profile
    assert me is not None and (me.role, me.restricted_access) == ("labeler", True)
    with pytest.raises(ValidationError, match="come from the team roster"):
        session.create_profile("Ana", "lead", True)
    # Removed from the team: a labeler without restricted access, whatever she asks for.
    team.remove(lee.store, lee.writer, "Ana")
    team.export(lee.store, tmp_path / "later.roster")
    team.accept(ana.store, ana.writer, tmp_path / "later.roster")
    session.forget_profile()
    me = session.profile
    assert me is not None and (me.role, me.restricted_access) == ("labeler", False)
    assert not session.can_see_restricted()
    with pytest.raises(ValidationError, match="does not name you"):
        session.create_profile("Ana", "lead", True)


def test_two_members_cannot_share_a_name_and_a_wrong_lead_key_is_named(
    laptops: dict[str, Workspace], tmp_path: Path
) -> None:
    lee, eve, ana = laptops["lee"], laptops["eve"], laptops["ana"]
    path = _team(laptops, tmp_path)
    team.write_card(eve.store, tmp_path / "eve-as-ana.card", " ana ")
    with pytest.raises(ValidationError, match="already called"):
        team.add(lee.store, lee.writer, tmp_path / "eve-as-ana.card", "labeler", False)
    with pytest.raises(ValidationError, match="not by the lead key you gave"):
        team.accept(ana.store, ana.writer, path, lead_key=_key(eve))
    assert team.current(ana.store) is None
