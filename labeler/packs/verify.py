"""Verify a label pack with nothing but the lead's public key: the minisign signature of the
manifest, its shape (``packs.formats.PackManifest``), every listed file's size and sha256, and
that no file is missing or added.

Imports neither Qt nor the workspace: the training team's machine runs it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import msgspec

from labeler.crypto import minisign
from labeler.crypto.signing import parse_public_key
from labeler.errors import ValidationError
from labeler.jsonio import decode
from labeler.packs.formats import PackManifest

MANIFEST, SIGNATURE = "manifest.json", "manifest.json.minisig"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def verify_pack(directory: Path, public_key_file: Path) -> dict[str, Any]:
    """The manifest of a pack that checks out; ``ValidationError`` naming the first problem."""
    try:
        public = parse_public_key(public_key_file.read_text(encoding="utf-8"))
    except OSError as err:
        raise ValidationError(f"{public_key_file}: cannot be read ({err.strerror}).") from None
    if not directory.is_dir():
        raise ValidationError(f"{directory} is not a pack folder.")
    for name in (MANIFEST, SIGNATURE):
        if not (directory / name).is_file():
            raise ValidationError(f"{directory}: {name} is missing.")
    manifest_bytes = (directory / MANIFEST).read_bytes()
    minisign.check(
        public,
        manifest_bytes,
        (directory / SIGNATURE).read_text(encoding="utf-8", errors="replace"),
    )
    manifest = decode(manifest_bytes, PackManifest, f"{directory}: {MANIFEST}", "the manifest")
    listed = {entry.name: entry for entry in manifest.files}
    if len(listed) != len(manifest.files):
        raise ValidationError(f"{directory}: {MANIFEST} lists a file twice.")
    present = {path.name for path in directory.iterdir()}
    expected = set(listed) | {MANIFEST, SIGNATURE}
    missing, added = sorted(expected - present), sorted(present - expected)
    if missing:
        raise ValidationError(f"{directory}: {missing[0]} is listed in the manifest but missing.")
    if added:
        raise ValidationError(f"{directory}: {added[0]} is not in the manifest (a file was added).")
    for name, entry in sorted(listed.items()):
        path = directory / name
        if not path.is_file():
            raise ValidationError(f"{directory}: {name} is not a regular file.")
        if path.stat().st_size != entry.size:
            raise ValidationError(
                f"{directory}: {name} has the wrong size (changed after signing)."
            )
        if _sha256(path) != entry.sha256:
            raise ValidationError(
                f"{directory}: {name} does not match its sha256 (changed after signing)."
            )
    checked: dict[str, Any] = msgspec.to_builtins(manifest)
    return checked
