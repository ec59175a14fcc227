"""Faults of the machine through the real CLI: a full disk (a real, small tmpfs), a link to
nothing or a folder where the workspace should be, a locked, read-only or broken keychain, a
deleted keychain entry, a refused keyring backend, a damaged page. One sentence, exit 2, the
workspace untouched, and nothing half-written left behind."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.errors import KeyringLocked, PasswordSetError

from labeler.cli.faults import fault_sentence
from labeler.clock import utc_now
from labeler.crypto import keys
from labeler.errors import WorkspaceError
from labeler.privacy import backups
from labeler.store import connection
from labeler.store.errors import DatabaseError, StoreError
from labeler.triage.bundle_import import import_bundle
from labeler.workspace import Workspace
from tests.conftest import MemoryKeyring
from tests.factories import week_bundle
from tests.hostile import fingerprint, refused, run

ANSWERS = {"verdict": "correct", "safety": "pass", "formatting": "pass"}


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs, so a full disk is real; skipped where mounting is not allowed."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {done.stderr.decode()[:80]}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path, leave: int) -> None:
    """Fill the disk until ``leave`` bytes are free."""
    (disk / "filler").unlink(missing_ok=True)
    stats = os.statvfs(disk)
    free = stats.f_bavail * stats.f_frsize
    with (disk / "filler").open("wb") as handle:
        handle.write(b"\0" * max(0, free - leave))


def lead_workspace(path: Path, bundle: Path) -> Path:
    with Workspace.create(path) as ws:
        import_bundle(ws.store, ws.writer, bundle)
        session = ws.session
        session.create_profile("Lee", "lead", restricted_access=False)
        for row in session.queue()[:4]:
            session.save_label(session.open_item(row.id), ANSWERS, utc_now(), 1.0)
    return path


# --- a full disk -------------------------------------------------------------------------------


def test_full_disk_bundle_import_and_profile(
    small_disk: Path, tmp_path: Path, memory_keyring
) -> None:
    ws = small_disk / "ws.lbw"
    Workspace.create(ws).close()
    bundle = week_bundle(tmp_path / "week.lbundle", 200, size=20)
    fill(small_disk, leave=64 * 1024)
    refused(ws, ["bundle", "import", str(bundle)], r"The disk holding .*ws\.lbw is full: free")
    refused(ws, ["profile", "set", "--name", "Ana"], r"The disk holding .*ws\.lbw is full")
    fill(small_disk, leave=0)  # not even room for the shared-memory file an open makes
    refused(ws, ["info"], r"The disk holding .*ws\.lbw is full")
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler", "ws.lbw"]


def test_full_disk_label_and_pack_export_leave_nothing_half_written(
    small_disk: Path, tmp_path: Path, memory_keyring
) -> None:
    ws = lead_workspace(tmp_path / "lead.lbw", week_bundle(tmp_path / "w.lbundle", 30))
    assert run("--workspace", str(ws), "pack", "export", "--kind", "training",
               "-o", str(tmp_path / "first")).exit_code == 0  # fmt: skip
    fill(small_disk, leave=0)
    refused(
        ws,
        ["labels", "export", "-o", str(small_disk / "lee.llabels")],
        r"Cannot write .*lee\.llabels: No space left on device\.$",
    )
    refused(
        ws,
        ["pack", "export", "--kind", "training", "-o", str(small_disk / "pack")],
        r"Cannot write the pack in .*pack: No space left on device; nothing was kept\.$",
    )
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler"]  # no pack folder, no .partial


def test_full_disk_pack_export_midway_removes_the_partial_folder(
    small_disk: Path, tmp_path: Path, memory_keyring
) -> None:
    """Room for the first files but not the rest: the files written are deleted too."""
    ws = lead_workspace(tmp_path / "lead.lbw", week_bundle(tmp_path / "w.lbundle", 30, size=40))
    assert run("--workspace", str(ws), "pack", "export", "--kind", "training",
               "-o", str(tmp_path / "first")).exit_code == 0  # fmt: skip
    sizes = {p.name: p.stat().st_size for p in (tmp_path / "first").iterdir()}
    fill(small_disk, leave=sizes["labels.jsonl"] + 8192)
    refused(
        ws,
        ["pack", "export", "--kind", "training", "-o", str(small_disk / "pack")],
        r"No space left on device; nothing was kept\.$",
    )
    assert not (small_disk / "pack").exists()


def test_full_disk_backup_leaves_no_partial_copy(
    small_disk: Path, tmp_path: Path, memory_keyring
) -> None:
    """The attempt is recorded in the workspace (so a kill mid-copy is cleaned up on the next
    open) and the record removed again: the workspace's content is as it was."""
    ws = lead_workspace(tmp_path / "lead.lbw", week_bundle(tmp_path / "w.lbundle", 60, size=40))
    fill(small_disk, leave=64 * 1024)
    result = run("--workspace", str(ws), "backup", "-o", str(small_disk / "copy.lbw"))
    assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.output
    assert "is full: free some space" in result.stderr
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler"]
    with Workspace.open(ws) as opened:
        assert backups.existing(opened.store) == []
        assert "partial" not in (connection_meta(opened) or "")


def connection_meta(ws: Workspace) -> str | None:
    from labeler.store import meta

    return meta.get(ws.store, backups.KEY)


# --- where the workspace should be -------------------------------------------------------------


def test_a_link_to_nothing_or_a_folder_where_the_workspace_should_be(
    tmp_path: Path, memory_keyring
) -> None:
    link = tmp_path / "link.lbw"
    link.symlink_to(tmp_path / "gone" / "ws.lbw")
    for args in (["info"], ["status"], ["bundle", "import", str(tmp_path / "x.lbundle")]):
        refused(link, args, r"link\.lbw is a link to .*gone/ws\.lbw, which does not exist")
    assert link.is_symlink() and not (tmp_path / "gone").exists()  # nothing made through it
    with pytest.raises(WorkspaceError, match="which does not exist"):
        Workspace.open_or_create(link)
    assert not (tmp_path / "gone").exists()
    folder = tmp_path / "folder.lbw"
    folder.mkdir()
    refused(folder, ["info"], r"folder\.lbw is a folder, not a workspace file\.$")
    refused(folder, ["init"], r"folder\.lbw is a folder, not a workspace file\.$")
    assert list(folder.iterdir()) == []


# --- the keychain ------------------------------------------------------------------------------


class LockedKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("the login keychain is locked")


class ReadOnlyKeyring(MemoryKeyring):
    def set_password(self, service: str, username: str, password: str) -> None:
        raise PasswordSetError("read-only keychain")


class BrokenKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise RuntimeError("org.freedesktop.DBus.Error.ServiceUnknown")


def _as(backend: MemoryKeyring, source: MemoryKeyring, monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"{type(backend).__module__}.{type(backend).__qualname__}"
    monkeypatch.setattr(keys, "PROTECTING_BACKENDS", keys.PROTECTING_BACKENDS | {name})
    backend.secrets = source.secrets
    keyring.set_keyring(backend)


def test_a_locked_read_only_or_broken_keychain_is_one_sentence(
    tmp_path: Path, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = tmp_path / "ws.lbw"
    Workspace.create(ws).close()
    _as(LockedKeyring(), memory_keyring, monkeypatch)
    refused(ws, ["info"], r"The OS keychain is locked: unlock it and try again; nothing was")
    _as(BrokenKeyring(), memory_keyring, monkeypatch)
    refused(ws, ["info"], r"The OS keychain could not be read \(RuntimeError: org\.freedesktop")
    _as(ReadOnlyKeyring(), memory_keyring, monkeypatch)
    refused(ws, ["keys", "rotate"], r"The OS keychain refused to store a key \(PasswordSetError")
    refused(tmp_path / "new.lbw", ["init"], r"The OS keychain refused to store a key")
    assert not (tmp_path / "new.lbw").exists()
    assert run("--workspace", str(ws), "info").exit_code == 0  # reading needs no write


def test_a_deleted_keychain_entry_says_what_happened(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    ws = tmp_path / "ws.lbw"
    Workspace.create(ws).close()
    memory_keyring.secrets = {
        k: v for k, v in memory_keyring.secrets.items() if "workspace-" not in k[1]
    }
    message = refused(ws, ["info"], r"The OS keychain holds no key for .*ws\.lbw: if it was made")
    assert "--portable backup" in message and "LABELER_PASSPHRASE" in message


class PlaintextFile(MemoryKeyring):
    """Stands for a plaintext file backend that no deny-list knew."""


PlaintextFile.__module__ = "someones_keyring.plaintext"


def test_a_keyring_not_on_the_allow_list_is_refused_by_name(tmp_path: Path) -> None:
    keyring.set_keyring(PlaintextFile())
    assert not keys.keychain_available()
    refused(
        tmp_path / "ws.lbw",
        ["init"],
        r"the keyring backend someones_keyring\.plaintext\.PlaintextFile is not one known to "
        r"protect secrets\) and no passphrase was given: set LABELER_PASSPHRASE",
    )


# --- backups and key rotation ------------------------------------------------------------------


def test_rotation_names_the_backups_it_orphans(tmp_path: Path, memory_keyring) -> None:
    ws = tmp_path / "ws.lbw"
    Workspace.create(ws).close()
    copy = tmp_path / "before.lbw"
    assert run("--workspace", str(ws), "backup", "-o", str(copy)).exit_code == 0
    portable = tmp_path / "portable.lbw"
    env = {"LABELER_BACKUP_PASSPHRASE": "a long backup passphrase"}
    assert (
        run("--workspace", str(ws), "backup", "--portable", "-o", str(portable), env=env).exit_code
        == 0
    )
    rotated = run("--workspace", str(ws), "keys", "rotate")
    assert rotated.exit_code == 0
    assert "no longer open" in rotated.output and str(copy) in rotated.output
    assert str(portable) not in rotated.output  # its own passphrase still opens it
    refused(copy, ["info"], r"The key in the OS keychain does not open .*before\.lbw")
    again = run("--workspace", str(ws), "keys", "rotate")
    assert str(copy) not in again.output  # named once


def test_an_interrupted_backups_partial_copy_is_deleted_on_the_next_open(
    tmp_path: Path, memory_keyring
) -> None:
    """The first half of a real backup (recorded, then the copy written), then the process
    'dies': the next open deletes the partial copy, which holds every text."""
    ws_path = lead_workspace(tmp_path / "lead.lbw", week_bundle(tmp_path / "w.lbundle", 10))
    partial = tmp_path / "copy.lbw.partial"
    with Workspace.open(ws_path) as ws:
        backups.started(ws.writer, partial, portable=False)
        key = ws.key
        ws.writer.run(lambda tx: connection.export_copy(tx, partial, key), transaction=False)
    assert partial.exists()
    with Workspace.open(ws_path) as ws:
        assert not partial.exists()
        assert backups.existing(ws.store) == []


# --- a damaged page ----------------------------------------------------------------------------


def damage(path: Path, page: int) -> None:
    data = bytearray(path.read_bytes())
    data[page * connection.PAGE_SIZE + 200] ^= 0xFF
    path.write_bytes(bytes(data))


def test_a_damaged_page_is_found_on_open_and_nothing_is_written(
    tmp_path: Path, memory_keyring
) -> None:
    ws = lead_workspace(tmp_path / "lead.lbw", week_bundle(tmp_path / "w.lbundle", 60, size=20))
    pages = ws.stat().st_size // connection.PAGE_SIZE
    assert pages > 10
    damage(ws, pages // 2)
    bundle = week_bundle(tmp_path / "more.lbundle", 5, week="2026-W49")
    for args in (["info"], ["bundle", "import", str(bundle)], ["profile", "set", "--name", "X"]):
        refused(ws, args, r"lead\.lbw is damaged: 1 page\(s\) failed their integrity check "
                r"\(HMAC verification failed for page \d+\); nothing was written")  # fmt: skip
    # A command that reads while the page check runs prints nothing from a damaged file.
    for args in (["agreement", "--json"], ["agreement", "--gaps"]):
        result = run("--workspace", str(ws), *args)
        assert result.exit_code == 2 and "is damaged" in result.output
        assert "{" not in result.output and "questions" not in result.output


def test_a_read_that_meets_a_damaged_page_is_a_sentence(tmp_path: Path, memory_keyring) -> None:
    """Damage after the open checked the file: the read that meets it says so."""
    ws_path = lead_workspace(
        tmp_path / "lead.lbw", week_bundle(tmp_path / "w.lbundle", 60, size=20)
    )
    with Workspace.open(ws_path) as ws:
        reader = ws.open_reader()
        try:
            pages = ws_path.stat().st_size // connection.PAGE_SIZE
            for page in range(2, pages):
                damage(ws_path, page)
            reader.conn.execute("PRAGMA cache_size = 0")
            with pytest.raises(
                StoreError, match=r"is damaged \(a page failed its integrity check\)"
            ):
                reader.query("SELECT sum(length(input)) FROM items")
        finally:
            reader.close()


def test_the_cli_net_names_driver_and_os_faults() -> None:
    assert "is damaged" in (
        fault_sentence(DatabaseError("database disk image is malformed"), "w.lbw") or ""
    )
    assert fault_sentence(OSError(28, "No space left on device", "/x/out")) == (
        "/x/out: The disk is full: free some space and try again; nothing half-written was kept."
    )
    assert fault_sentence(KeyError("bug")) is None  # a bug keeps its traceback


def test_the_app_path_opens_at_once_and_refuses_every_write_to_a_damaged_file(
    tmp_path: Path, memory_keyring
) -> None:
    """The app opens without waiting for the page check (retention=False); the check is the
    writer's first job, so every write after it is refused with its sentence."""
    ws_path = lead_workspace(
        tmp_path / "lead.lbw", week_bundle(tmp_path / "w.lbundle", 60, size=20)
    )
    damage(ws_path, ws_path.stat().st_size // connection.PAGE_SIZE // 2)
    before = fingerprint(ws_path)
    with Workspace.open(ws_path, retention=False) as ws:
        with pytest.raises(StoreError, match=r"is damaged: 1 page\(s\) failed"):
            ws.session.create_profile("Someone", "labeler", restricted_access=False)
        with pytest.raises(WorkspaceError, match="is damaged"):
            ws.check_integrity()
    assert fingerprint(ws_path) == before
