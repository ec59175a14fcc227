"""Portable backups carry the keys, deleted keychain entries are one sentence, and signing
keys rotate (a member's through a new card, a lead's through a handover roster)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import keyring
import msgspec
import pytest
from click.testing import CliRunner

from labeler.cli import cli
from labeler.crypto import age_keys, minisign, sealed, signing
from labeler.crypto import roster as team
from labeler.crypto.rotation import rotate_signing
from labeler.crypto.signed_files import write_signed
from labeler.errors import KeyUnavailableError, ValidationError
from labeler.team.label_exchange import export_labels, import_labels
from labeler.workspace import Workspace
from tests.conftest import MemoryKeyring, close_session
from tests.team.test_label_exchange import bundle, label_some, seat, trust  # noqa: F401

NOW = "2026-11-24T10:00:00+00:00"


def _entry(backend: MemoryKeyring, prefix: str) -> tuple[str, str]:
    return next(k for k in backend.secrets if k[1].startswith(prefix) and k[1].count("-") == 1)


# -- portable backups ------------------------------------------------------------------------
def test_a_portable_backup_signs_and_opens_sealed_files_on_a_new_laptop(
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    bundle: Path,  # noqa: F811
) -> None:
    ana, lead = seat(tmp_path, "Ana", "labeler", bundle), seat(tmp_path, "Lee", "lead", bundle)
    label_some(ana, 2)
    trust(lead, ana)
    old_public = signing.signing_key(ana.store).public
    recipient = age_keys.recipient(ana.store)
    ws_path = ana.store.path
    monkeypatch.setenv("LABELER_BACKUP_PASSPHRASE", "offsite passphrase")
    with Workspace.open(ws_path) as ws:
        ws.backup(tmp_path / "ana-offsite.lbw", portable=True)
        ws.backup(tmp_path / "ana-plain.lbw")
    close_session(ana)
    lead_keychain = dict(memory_keyring.secrets)
    keyring.set_keyring(MemoryKeyring())  # a new laptop: an empty keychain
    with Workspace.open(tmp_path / "ana-offsite.lbw", passphrase="offsite passphrase") as copy:
        assert copy.key_source == "passphrase"
        assert signing.signing_key(copy.store).public == old_public
        export_labels(copy.session, tmp_path / "ana.llabels")
        # a file sealed to the workspace's recipient opens with the carried identity
        sealed.write_sealed(
            tmp_path / "s.lbundle", "bundle", {}, [sealed.Part("items", [recipient], [b"hi"])],
            signing.signing_key(copy.store), created_at=NOW, roster_version=None,
        )  # fmt: skip
        opened = sealed.open_sealed(tmp_path / "s.lbundle", "bundle", "bundle")
        out = bytearray()
        opened.decrypt("items", age_keys.identities(copy.store), out.extend)
        assert bytes(out) == b"hi" and opened.signer == old_public
        data = b"manifest\n"
        (tmp_path / "m").write_bytes(data)
        (tmp_path / "m.minisig").write_text(
            minisign.sign(signing.signing_key(copy.store), data, "m")
        )
    (tmp_path / "k.pub").write_text(old_public.minisign_file())
    tool = shutil.which("minisign")
    if tool is not None:
        done = subprocess.run([tool, "-V", "-p", str(tmp_path / "k.pub"), "-m", "m"],
                              cwd=tmp_path, capture_output=True)  # fmt: skip
        assert done.returncode == 0, done.stderr
    # the lead's laptop takes the labels signed on the restored laptop
    keyring.get_keyring().secrets.update(lead_keychain)  # type: ignore[attr-defined]
    assert import_labels(lead, tmp_path / "ana.llabels").labels == 2
    close_session(lead)


def test_a_plain_backup_keeps_the_keys_in_the_keychain(
    tmp_path: Path, workspace: Workspace, memory_keyring: MemoryKeyring
) -> None:
    workspace.backup(tmp_path / "plain.lbw")
    with Workspace.open(tmp_path / "plain.lbw") as copy:
        from labeler.store import meta

        assert meta.get(copy.store, signing.PRIVATE_META) is None
        assert meta.get(copy.store, age_keys.IDENTITY_META) is None


# -- deleted keychain entries ----------------------------------------------------------------
def _run(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_a_deleted_signing_or_age_entry_is_one_sentence(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    path = str(tmp_path / "ws.lbw")
    assert _run("init", "--workspace", path).exit_code == 0
    assert _run("profile", "set", "--workspace", path, "--name", "Ana").exit_code == 0
    del memory_keyring.secrets[_entry(memory_keyring, "signing-")]
    for args in (("labels", "export", "-o", str(tmp_path / "a.llabels")),
                 ("pack", "export", "--kind", "eval", "-o", str(tmp_path / "p")),
                 ("keys", "card", "--name", "Ana", "-o", str(tmp_path / "a.card"))):  # fmt: skip
        result = _run(*args, "--workspace", path)
        assert result.exit_code == 2, (args, result.output)
        assert "signing key is missing from the OS keychain" in result.output
        assert "--portable backup" in result.output and "Traceback" not in result.output
        assert "passphrase" not in result.output.replace("--portable", "").split("backup")[0]
    assert not (tmp_path / "a.llabels").exists() and not (tmp_path / "p").exists()
    del memory_keyring.secrets[_entry(memory_keyring, "age-")]
    result = _run("keys", "age-identity", "--reveal", "--workspace", path)
    assert result.exit_code == 2 and "age identity is missing" in result.output
    # and the way back: a new key (and identity) and a new card for the lead
    card = str(tmp_path / "new.card")
    result = _run("keys", "rotate-signing", "--age", "-o", card, "--workspace", path)
    assert result.exit_code == 0, result.output
    assert team.read_card(Path(card)).display_name == "Ana"
    assert _run("labels", "export", "-o", str(tmp_path / "a.llabels"), "--workspace", path
                ).exit_code == 0  # fmt: skip


def test_a_deleted_workspace_key_is_still_its_sentence(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    path = str(tmp_path / "ws.lbw")
    assert _run("init", "--workspace", path).exit_code == 0
    del memory_keyring.secrets[_entry(memory_keyring, "workspace-")]
    result = _run("labels", "export", "-o", str(tmp_path / "a.llabels"), "--workspace", path)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "keychain entry was deleted" in result.output and "--portable backup" in result.output


def test_a_portable_backup_refuses_when_the_signing_key_is_gone(
    tmp_path: Path, workspace: Workspace, memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("LABELER_BACKUP_PASSPHRASE", "offsite passphrase")
    del memory_keyring.secrets[_entry(memory_keyring, "signing-")]
    with pytest.raises(KeyUnavailableError, match="missing from the OS keychain"):
        workspace.backup(tmp_path / "b.lbw", portable=True)
    assert not list(tmp_path.glob("b.lbw*"))


# -- rotation --------------------------------------------------------------------------------
def test_a_member_rotates_and_the_lead_revokes_the_old_key(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    lee, ana = Workspace.create(tmp_path / "lee.lbw"), Workspace.create(tmp_path / "ana.lbw")
    team.init(lee.store, lee.writer, "Lee")
    team.write_card(ana.store, tmp_path / "ana.card", "Ana")
    team.add(lee.store, lee.writer, tmp_path / "ana.card", "labeler", False)
    old = signing.signing_key(ana.store).public
    done = rotate_signing(ana.store, ana.writer)
    assert done.old == old and done.roster is None and done.new != old
    assert signing.signing_key(ana.store).public == done.new
    assert [k.encoded() for k in signing.own_public_keys(ana.store)] == [
        done.new.encoded(),
        old.encoded(),
    ]
    assert not [k for k in memory_keyring.secrets if k[1].endswith("-pending")]
    team.write_card(ana.store, tmp_path / "new.card", "Ana")
    with pytest.raises(ValidationError, match="not on the team roster"):
        team.signer(lee.store, done.new, None, "ana.llabels")
    updated = team.change(lee.store, lee.writer, "Ana", card_path=tmp_path / "new.card")
    revoked_at = updated.payload.revoked[-1].revoked_at
    assert team.signer(lee.store, done.new, None, "ana.llabels").display_name == "Ana"  # type: ignore[union-attr]
    assert team.signer(lee.store, old, "2020-01-01T00:00:00+00:00", "x").display_name == "Ana"  # type: ignore[union-attr]
    with pytest.raises(ValidationError, match="revoked"):
        team.signer(lee.store, old, revoked_at, "ana.llabels")
    for ws in (lee, ana):
        ws.close()


def test_a_rotation_that_stopped_after_the_switch_signs_with_the_parked_key(
    tmp_path: Path, workspace: Workspace, memory_keyring: MemoryKeyring
) -> None:
    salt = workspace.key.salt.hex()
    old_entry = memory_keyring.secrets[("labeler", f"signing-{salt}")]
    done = rotate_signing(workspace.store, workspace.writer, age=True)
    # as if the process died before the keychain's current entry changed
    new_entry = memory_keyring.secrets[("labeler", f"signing-{salt}")]
    memory_keyring.secrets[("labeler", f"signing-{salt}-pending")] = new_entry
    memory_keyring.secrets[("labeler", f"signing-{salt}")] = old_entry
    assert signing.signing_key(workspace.store).public == done.new
    assert memory_keyring.secrets[("labeler", f"signing-{salt}")] == new_entry
    assert ("labeler", f"signing-{salt}-pending") not in memory_keyring.secrets
    assert len(age_keys.identities(workspace.store)) == 2


def test_a_lead_rotates_through_a_roster_the_old_key_signs(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    lee, ana = Workspace.create(tmp_path / "lee.lbw"), Workspace.create(tmp_path / "ana.lbw")
    team.init(lee.store, lee.writer, "Lee")
    team.write_card(ana.store, tmp_path / "ana.card", "Ana")
    team.add(lee.store, lee.writer, tmp_path / "ana.card", "labeler", False)
    team.export(lee.store, tmp_path / "v2.roster")
    old_key = signing.signing_key(lee.store)
    old = old_key.public
    team.accept(ana.store, ana.writer, tmp_path / "v2.roster", lead_key=old.encoded())
    done = rotate_signing(lee.store, lee.writer)
    assert done.roster is not None and done.roster.version == 3
    assert done.roster.lead_key == old.encoded()  # the handover: signed by the old key
    team.export(lee.store, tmp_path / "v3.roster")
    team.change(lee.store, lee.writer, "Ana", restricted=True)  # v4, signed by the new key
    team.export(lee.store, tmp_path / "v4.roster")
    # a member who has not seen the handover refuses the new key's roster
    with pytest.raises(ValidationError, match="import that roster first"):
        team.accept(ana.store, ana.writer, tmp_path / "v4.roster")
    team.accept(ana.store, ana.writer, tmp_path / "v3.roster")
    accepted, changed = team.accept(ana.store, ana.writer, tmp_path / "v4.roster")
    assert changed and accepted.lead_key == done.new.encoded() and team.me(ana.store).restricted  # type: ignore[union-attr]
    # the old lead key, revoked by the handover, can no longer issue rosters
    forged = team.RosterPayload(accepted.payload.team_id, 5, NOW, accepted.members,
                                list(accepted.payload.revoked))  # fmt: skip
    write_signed(tmp_path / "v5.roster", team.FORMAT, team.FORMAT_VERSION,
                 msgspec.to_builtins(forged), old_key)  # fmt: skip
    with pytest.raises(ValidationError, match="revoked"):
        team.accept(ana.store, ana.writer, tmp_path / "v5.roster")
    assert team.current(ana.store).version == 4  # type: ignore[union-attr]
    for ws in (lee, ana):
        ws.close()


def test_the_cli_rotates_a_member_and_a_lead(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    lead, ana = str(tmp_path / "lead.lbw"), str(tmp_path / "ana.lbw")
    for path in (lead, ana):
        assert _run("init", "--workspace", path).exit_code == 0
    assert _run("roster", "init", "--workspace", lead, "--name", "Lee").exit_code == 0
    _run("keys", "card", "--workspace", ana, "--name", "Ana", "-o", str(tmp_path / "ana.card"))
    assert _run("roster", "add", "--workspace", lead, str(tmp_path / "ana.card")).exit_code == 0
    refused = _run("keys", "rotate-signing", "--workspace", ana)
    assert refused.exit_code == 2 and "-o NEW.card" in refused.output
    card = tmp_path / "new.card"
    unnamed = _run("keys", "rotate-signing", "--workspace", ana, "-o", str(card))
    assert unnamed.exit_code == 2 and "--name" in unnamed.output and not card.exists()
    done = _run("keys", "rotate-signing", "--workspace", ana, "-o", str(card), "--name", "Ana")
    assert done.exit_code == 0, done.output
    assert "labeler roster set" in done.output and "--card new.card" in done.output
    assert team.read_card(card).display_name == "Ana"
    set_ = _run("roster", "set", "--workspace", lead, "Ana", "--card", str(card))
    assert set_.exit_code == 0 and "revoked: key of" in set_.output, set_.output
    rotated = _run("keys", "rotate-signing", "--workspace", lead)
    assert rotated.exit_code == 0, rotated.output
    assert "Roster v4, signed by your old key" in rotated.output


def test_a_passphrase_workspace_rotates_inside_its_file(tmp_path: Path, no_keyring) -> None:
    with Workspace.create(tmp_path / "ws.lbw", passphrase="a passphrase") as ws:
        old = signing.signing_key(ws.store).public
        recipient = age_keys.recipient(ws.store)
        done = rotate_signing(ws.store, ws.writer, age=True)
    with Workspace.open(tmp_path / "ws.lbw", passphrase="a passphrase") as ws:
        assert signing.signing_key(ws.store).public == done.new != old
        assert signing.previous_public_keys(ws.store) == [old]
        assert age_keys.recipient(ws.store) != recipient
        kept = [str(i.to_public()) for i in age_keys.identities(ws.store)]
        assert kept == [age_keys.recipient(ws.store), recipient]
