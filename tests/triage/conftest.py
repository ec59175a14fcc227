"""Triage fixtures: a built bundle, and a way to rewrite one with hostile edits."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from labeler.triage.build import BuildOptions, build_bundle
from tests.triage.test_sampling import make_events, write


@pytest.fixture
def bundle_path(tmp_path: Path) -> Path:
    events = make_events([(r, n % 7, n) for r in range(6) for n in range(30)])
    events[0]["input"] = "Call me on +1 415-555-0132 about it"
    events[1]["signal"] = "rating"
    events[1]["rating"] = 1
    events[2]["intent"] = None
    path = tmp_path / "week.lbundle"
    options = BuildOptions(week="2026-W48", per_reason=50, normal=50)
    build_bundle([write(tmp_path / "e.jsonl", events)], options, path)
    return path


def rewrite_bundle(src: Path, dst: Path, edit) -> Path:
    """Copy a bundle, letting ``edit`` change the manifest and item dicts; hashes recomputed."""
    with zipfile.ZipFile(src) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        items = [json.loads(line) for line in archive.read("items.jsonl").split(b"\n") if line]
    edit(manifest, items)
    body = "".join(json.dumps(i) + "\n" for i in items).encode()
    if "items.jsonl" in manifest.get("files", {}):
        manifest["files"]["items.jsonl"]["sha256"] = hashlib.sha256(body).hexdigest()
        manifest["files"]["items.jsonl"]["size"] = len(body)
    with zipfile.ZipFile(dst, "w") as archive:
        archive.writestr("manifest.json", json.dumps(manifest))
        archive.writestr("items.jsonl", body)
    return dst
