"""Bundle build and import: round trip, idempotence, and hostile input refused unchanged."""

from __future__ import annotations

import csv
import io
import json
import struct
import warnings
import zipfile
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from labeler.cli import cli
from labeler.errors import ValidationError
from labeler.store import items as item_rows
from labeler.store import meta
from labeler.triage.build import BuildOptions, build_bundle
from labeler.triage.bundle_file import content_hash, read_bundle
from labeler.triage.bundle_import import import_bundle
from labeler.workspace import Workspace
from tests.factories import team_workspace
from tests.triage.conftest import rewrite_bundle
from tests.triage.test_sampling import make_events, write


def snapshot(ws: Workspace) -> dict[str, int]:
    return meta.counts(ws.store)


def test_build_routes_and_counts(bundle_path: Path) -> None:
    bundle = read_bundle(bundle_path)
    stats = bundle.manifest["statistics"]
    assert stats["low_intent"]["rating"] == {"count": 1, "negative": 1, "share_negative": 1.0}
    assert stats["dropped"]["missing_intent"] == 1
    by_id = {item["id"]: item for item in bundle.items}
    assert "e1" not in by_id and "e2" not in by_id
    assert by_id["e0"]["restricted"] and by_id["e0"]["pii"][0]["kind"] == "phone"
    assert all(i["restricted"] for i in bundle.items if i["reason_code"] == "sensitive_data")
    assert all(i["signal"] in ("edit", "sample") for i in bundle.items)


def test_import_then_reimport_changes_nothing(workspace: Workspace, bundle_path: Path) -> None:
    result = import_bundle(workspace.store, workspace.writer, bundle_path)
    assert result.added == len(read_bundle(bundle_path).items) and result.changes
    before = snapshot(workspace)
    again = import_bundle(workspace.store, workspace.writer, bundle_path)
    assert again.added == 0 and not again.changes
    assert snapshot(workspace) == before
    item = item_rows.get(workspace.store, "e0")
    assert item is not None and item.restricted and item.model_version == "1"


def test_different_content_under_existing_id_refused(
    workspace: Workspace, bundle_path: Path, tmp_path: Path
) -> None:
    import_bundle(workspace.store, workspace.writer, bundle_path)
    before = snapshot(workspace)

    def change(manifest: dict, items: list) -> None:
        manifest["bundle_id"] = "2026-W48-other"
        items[3]["input"] = "changed text"
        items[3]["content_hash"] = content_hash(items[3])

    other = rewrite_bundle(bundle_path, tmp_path / "other.lbundle", change)
    with pytest.raises(ValidationError, match=r"item 3 .*different content"):
        import_bundle(workspace.store, workspace.writer, other)
    assert snapshot(workspace) == before


def _set(index: int, field: str, value):
    def edit(manifest: dict, items: list) -> None:
        items[index][field] = value

    return edit


HOSTILE_EDITS = {
    "wrong type": (_set(4, "restricted", "yes"), r"item 4 .*'restricted'"),
    "unknown signal": (_set(2, "signal", "rating"), r"item 2 .*'signal'"),
    "unknown field": (_set(1, "conversation", "all of it"), r"item 1 .*unknown field"),
    "tampered content": (_set(0, "input", "edited after hashing"), r"item 0 .*content_hash"),
    "duplicate id": (
        lambda m, items: items.__setitem__(5, dict(items[4])),
        r"item 5 .*duplicate item id",
    ),
    "format version": (
        lambda m, items: m.__setitem__("format_version", 99),
        "unknown bundle format version 99",
    ),
    "count mismatch": (
        lambda m, items: m.__setitem__("item_count", 3),
        "manifest says 3 items",
    ),
    "missing field": (lambda m, items: items[6].pop("intent"), r"item 6 .*'intent' is missing"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_EDITS))
def test_malformed_bundles_refused_with_nothing_written(
    workspace: Workspace, bundle_path: Path, tmp_path: Path, case: str
) -> None:
    edit, message = HOSTILE_EDITS[case]
    bad = rewrite_bundle(bundle_path, tmp_path / "bad.lbundle", edit)
    with pytest.raises(ValidationError, match=message):
        import_bundle(workspace.store, workspace.writer, bad)
    assert snapshot(workspace) == {"items": 0, "labels": 0, "bundles": 0, "restricted": 0}


def _zip(path: Path, members: list[tuple[str, bytes]], *, link: str | None = None) -> Path:
    with (
        warnings.catch_warnings(),  # zipfile warns on the duplicate names we write on purpose
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive,
    ):
        warnings.simplefilter("ignore")
        for name, data in members:
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if name == link:
                info.external_attr = (0o120777) << 16
            archive.writestr(info, data)
    return path


def _members(bundle_path: Path) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(bundle_path) as archive:
        return [(n, archive.read(n)) for n in archive.namelist()]


def test_hostile_zips_refused(workspace: Workspace, bundle_path: Path, tmp_path: Path) -> None:
    good = _members(bundle_path)
    cases = {
        "traversal": ([*good, ("../evil.txt", b"x")], "unsafe member name"),
        "absolute": ([*good, ("/etc/evil", b"x")], "unsafe member name"),
        "extra": ([*good, ("notes.txt", b"x")], "unexpected member"),
        "duplicate": ([*good, good[0]], "duplicate member"),
        "missing": (good[:1], "missing"),
    }
    for name, (members, message) in cases.items():
        path = _zip(tmp_path / f"{name}.lbundle", members)
        with pytest.raises(ValidationError, match=message):
            import_bundle(workspace.store, workspace.writer, path)
    link = _zip(tmp_path / "link.lbundle", good, link="items.jsonl")
    with pytest.raises(ValidationError, match="is a link"):
        import_bundle(workspace.store, workspace.writer, link)
    not_zip = tmp_path / "plain.lbundle"
    not_zip.write_text("hello")
    with pytest.raises(ValidationError, match="not a zip"):
        import_bundle(workspace.store, workspace.writer, not_zip)
    assert snapshot(workspace)["bundles"] == 0


def test_compression_bomb_refused_while_reading(
    workspace: Workspace, bundle_path: Path, tmp_path: Path
) -> None:
    manifest = dict(_members(bundle_path))["manifest.json"]
    bomb = _zip(
        tmp_path / "bomb.lbundle",
        [("manifest.json", manifest), ("items.jsonl", b"\n" * 50_000_000)],
    )
    with pytest.raises(ValidationError, match="expands beyond the cap"):
        import_bundle(workspace.store, workspace.writer, bomb)


def test_overlapping_entries_refused(workspace: Workspace, tmp_path: Path) -> None:
    """Two central-directory entries pointing at the same local data (a 'better zip bomb')."""
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("manifest.json", b"{}")
    raw = bytearray(data.getvalue())
    cd_start = raw.find(b"PK\x01\x02")
    eocd = raw.find(b"PK\x05\x06")
    entry = bytes(raw[cd_start:eocd])
    second = entry.replace(b"manifest.json", b"items.jsonl\x00\x00")
    # Same local header offset, so the two members overlap completely.
    name_len = len(b"items.jsonl")
    second = second[:28] + name_len.to_bytes(2, "little") + second[30:46] + b"items.jsonl"
    directory = entry + second
    end = bytearray(raw[eocd:])
    end[8:10] = (2).to_bytes(2, "little")
    end[10:12] = (2).to_bytes(2, "little")
    end[12:16] = len(directory).to_bytes(4, "little")
    path = tmp_path / "overlap.lbundle"
    path.write_bytes(bytes(raw[:cd_start]) + directory + bytes(end))
    with pytest.raises(ValidationError, match=r"overlap|broken|damaged"):
        import_bundle(workspace.store, workspace.writer, path)


def _stored_zip_hiding(members: dict[str, bytes]) -> bytes:
    """A zip whose items.jsonl local header carries manifest.json's whole local entry in its
    extra field: every header, size and CRC is right and each member reads back intact, so
    zipfile (3.11.7) accepts it, but the two entries overlap on disk."""

    def local(name: bytes, data: bytes, extra: bytes) -> bytes:
        crc = zlib.crc32(data)
        fixed = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 0x21, crc, len(data),
                            len(data), len(name), len(extra))  # fmt: skip
        return fixed + name + extra + data

    def central(name: bytes, data: bytes, offset: int) -> bytes:
        crc = zlib.crc32(data)
        return struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 0, 0, 0x21, crc,
                           len(data), len(data), len(name), 0, 0, 0, 0, 0o644 << 16,
                           offset) + name  # fmt: skip

    manifest, items = members["manifest.json"], members["items.jsonl"]
    hidden = local(b"manifest.json", manifest, b"")
    body = local(b"items.jsonl", items, hidden)
    manifest_offset = 30 + len(b"items.jsonl")  # inside the items entry's extra field
    directory = central(b"items.jsonl", items, 0) + central(b"manifest.json", manifest,
                                                            manifest_offset)  # fmt: skip
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 2, 2, len(directory), len(body), 0)
    return body + directory + end


def test_overlap_that_zipfile_accepts_is_refused_by_our_check(
    workspace: Workspace, bundle_path: Path, tmp_path: Path
) -> None:
    members = dict(_members(bundle_path))
    path = tmp_path / "hidden.lbundle"
    path.write_bytes(_stored_zip_hiding(members))
    with zipfile.ZipFile(path) as archive:  # zipfile itself finds nothing wrong
        assert archive.testzip() is None
        assert {name: archive.read(name) for name in archive.namelist()} == members
    with pytest.raises(ValidationError) as caught:
        import_bundle(workspace.store, workspace.writer, path)
    assert str(caught.value) == "hidden.lbundle: zip members overlap (a zip bomb pattern)."
    assert snapshot(workspace) == {"items": 0, "labels": 0, "bundles": 0, "restricted": 0}


def test_invalid_utf8_refused(workspace: Workspace, bundle_path: Path, tmp_path: Path) -> None:
    members = dict(_members(bundle_path))
    members["items.jsonl"] = members["items.jsonl"][:50] + b"\xff\xfe" + members["items.jsonl"][50:]
    import hashlib

    manifest = json.loads(members["manifest.json"])
    manifest["files"]["items.jsonl"]["sha256"] = hashlib.sha256(members["items.jsonl"]).hexdigest()
    manifest["files"]["items.jsonl"]["size"] = len(members["items.jsonl"])
    members["manifest.json"] = json.dumps(manifest).encode()
    path = _zip(tmp_path / "utf8.lbundle", list(members.items()))
    with pytest.raises(ValidationError, match="line 1 is not valid UTF-8"):
        import_bundle(workspace.store, workspace.writer, path)


def test_csv_and_parquet_events_build_the_same_items(tmp_path: Path) -> None:
    import pandas as pd

    events = make_events([(r, n % 7, n) for r in range(6) for n in range(5)])
    events[0]["retries"] = None
    flat = [
        {k: (json.dumps(v) if isinstance(v, (dict, list)) else v) for k, v in e.items()}
        for e in events
    ]
    csv_path = tmp_path / "e.csv"
    with csv_path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=sorted({k for row in flat for k in row}))
        writer.writeheader()
        writer.writerows(flat)
    pd.DataFrame(flat).to_parquet(tmp_path / "e.parquet")
    options = BuildOptions(week="2026-W48")
    outputs = {}
    for name, path in (
        ("jsonl", write(tmp_path / "e.jsonl", events)),
        ("csv", csv_path),
        ("parquet", tmp_path / "e.parquet"),
    ):
        build_bundle([path], options, tmp_path / f"{name}.lbundle")
        outputs[name] = read_bundle(tmp_path / f"{name}.lbundle").items
    assert outputs["jsonl"] == outputs["csv"] == outputs["parquet"]


def test_malformed_events_name_file_line_and_field(tmp_path: Path) -> None:
    events = make_events([(0, 0, 1), (0, 0, 2)])
    events[1]["captured_at"] = "yesterday"
    path = write(tmp_path / "e.jsonl", events)
    with pytest.raises(ValidationError, match=r"e.jsonl line 2: field 'captured_at'"):
        build_bundle([path], BuildOptions(week="2026-W48"), tmp_path / "w.lbundle")
    assert not (tmp_path / "w.lbundle").exists()


def test_cli_build_inspect_import(tmp_path: Path, memory_keyring) -> None:
    events = write(
        tmp_path / "e.jsonl", make_events([(r, n % 7, n) for r in range(6) for n in range(30)])
    )
    runner = CliRunner()
    out = tmp_path / "w.lbundle"
    ws = team_workspace(tmp_path / "ws.lbw")
    result = runner.invoke(
        cli, ["--workspace", ws, "bundle", "build", str(events), "--week", "2026-W48", "-o",
              str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    shown = runner.invoke(cli, ["--workspace", ws, "bundle", "inspect", str(out), "--json"])
    data = json.loads(shown.output)
    assert data["manifest"]["item_count"] == len(data["items"])
    assert {"id", "reason_code", "signal", "restricted", "pii", "overlap", "holdout"} <= set(
        data["items"][0]
    )
    result = runner.invoke(cli, ["--workspace", ws, "bundle", "import", str(out)])
    assert result.exit_code == 0 and "items added" in result.output
    result = runner.invoke(cli, ["--workspace", ws, "bundle", "import", str(out)])
    assert "nothing changed" in result.output
    bad = tmp_path / "bad.lbundle"
    bad.write_bytes(out.read_bytes()[:200])
    result = runner.invoke(cli, ["--workspace", ws, "bundle", "import", str(bad)])
    assert result.exit_code == 2 and result.output.startswith("Error: bad.lbundle:")
    result = runner.invoke(
        cli, ["--workspace", ws, "bundle", "build", str(events), "--week", "48", "-o", str(out)]
    )
    assert result.exit_code == 2 and "--week" in result.output
