"""Test data made through the real formats: a week bundle of N items, written as a real zip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from labeler.resources import default_rubric_path
from labeler.triage.bundle_file import content_hash, write_bundle

REASONS = ("wrong", "unsafe", "missing_info", "formatting")


def edit_item(number: int, week: str = "2026-W48", *, size: int = 1) -> dict[str, Any]:
    """An unrestricted edit item; ``size`` repeats its before/after lines."""
    before = "def total(rows):\n    return sum(rows)\n" * size
    item: dict[str, Any] = {
        "id": f"item-{week}-{number:06d}", "week": week, "signal": "edit",
        "reason_code": REASONS[number % len(REASONS)],
        "captured_at": "2026-11-24T10:00:00Z", "input": f"Sum the rows ({number})",
        "intent": f"Fix a helper, case {number}", "model": {"name": "m", "version": "1",
        "settings": {}}, "output": before, "edited_output": before.replace("sum", "fsum"),
        "retries": None, "candidates": None, "picked": None, "subject_hash": None,
    }  # fmt: skip
    item["content_hash"] = content_hash(item)
    item.update(restricted=False, pii=[], overlap=False, holdout=False)
    return item


def week_bundle(path: Path, count: int, week: str = "2026-W48", *, size: int = 1) -> Path:
    """A week bundle of ``count`` edit items at ``path``."""
    manifest = {"format_version": 1, "kind": "week", "bundle_id": f"test-{week}-{count}",
                "week": week, "created_at": "2026-11-24T00:00:00Z"}  # fmt: skip
    write_bundle(path, manifest, [edit_item(n, week, size=size) for n in range(count)])
    return path


def lead_keys(session: Any) -> list[Any]:
    """The public key a lead's packs verify against (``build_eval(..., keys=...)``)."""
    from labeler.crypto.signing import signing_key

    return [signing_key(session.store).public]


def resign(pack: Path, session: Any) -> Path:
    """Sign a pack again after a test changed its files, as the lead's key would have signed
    a pack made that way (an old layout, another rubric): the manifest lists the new files."""
    import json

    from labeler.crypto import minisign
    from labeler.crypto.signing import signing_key
    from labeler.packs.files import file_entry

    manifest = json.loads((pack / "manifest.json").read_text())
    manifest["files"] = [file_entry(pack / entry["name"]) for entry in manifest["files"]]
    data = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    (pack / "manifest.json").write_bytes(data)
    signature = minisign.sign(signing_key(session.store), data, "manifest.json")
    (pack / "manifest.json.minisig").write_text(signature)
    return pack


def rubric_file(
    directory: Path,
    version: str,
    *,
    replace: dict[str, str] | None = None,
    guidance: str | None = None,
) -> Path:
    """A variant of the shipped rubric as a team would write it: the default's YAML with
    ``version`` and the ``replace`` edits, and its guidance file beside it."""
    shipped = default_rubric_path()
    text = shipped.read_text(encoding="utf-8")
    text = text.replace('version: "2026.11.1"', f'version: "{version}"', 1)
    for old, new in (replace or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    directory.mkdir(parents=True, exist_ok=True)
    md = shipped.with_suffix(".md").read_text(encoding="utf-8")
    (directory / "default.md").write_text(md if guidance is None else guidance, encoding="utf-8")
    path = directory / f"rubric-{version}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def team_workspace(path: Path, name: str = "Lee") -> str:
    """A workspace on a team of one: its person is the lead, with restricted access, so it
    may build (seal) and import bundles. Returns its path for ``--workspace``."""
    from labeler.crypto import roster
    from labeler.workspace import Workspace

    with Workspace.create(path) as ws:
        roster.init(ws.store, ws.writer, name)
    return str(path)


def sealed_parts(path: Path, workspace: str) -> tuple[dict[str, Any], bytes]:
    """A sealed bundle's manifest (without created_at) and its items' lines, as ``workspace``
    reads them (what ``hostile.bundle_parts`` gives for a plain bundle)."""
    from labeler.triage.bundle_import import open_for
    from labeler.workspace import Workspace

    with Workspace.open(workspace) as ws:
        source = open_for(ws.store, path)
    manifest = dict(source.manifest)
    manifest.pop("created_at")
    return manifest, b"".join(line + b"\n" for line in source.lines())


def assigned_bundle(
    path: Path,
    count: int,
    labelers: list[Any],
    *,
    overlap: tuple[int, ...] = (),
    restricted: tuple[int, ...] = (),
    week: str = "2026-W48",
    key: str = "ab" * 32,
) -> Path:
    """A week bundle of ``count`` edit items shared among ``labelers`` (``AssignedLabeler``),
    items ``overlap`` to everyone, items ``restricted`` restricted."""
    from labeler.triage.assignment import ItemFlags, assign

    items = [edit_item(n, week) for n in range(count)]
    for n in overlap:
        items[n]["overlap"] = True
    for n in restricted:
        items[n]["restricted"] = True
    flags = [ItemFlags(i["id"], i["overlap"], i["restricted"]) for i in items]
    manifest = {"format_version": 1, "kind": "week", "bundle_id": f"assigned-{week}-{count}",
                "week": week, "created_at": "2026-11-24T00:00:00Z",
                "assignment": assign(flags, labelers, key).as_manifest()}  # fmt: skip
    write_bundle(path, manifest, items)
    return path
