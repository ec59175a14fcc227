"""Verify a label pack with nothing but the lead's public key: the minisign signature of the
manifest, its shape (``packs.formats.PackManifest``), every listed file's size and sha256, and
that no file is missing or added.

Imports neither Qt nor the workspace: the training team's machine runs it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec

from labeler.crypto import minisign
from labeler.crypto.signing import PublicKey, parse_public_key
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
    return verify_pack_key(directory, read_public_key(public_key_file))


def read_public_key(path: Path) -> PublicKey:
    try:
        return parse_public_key(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ValidationError(f"{path}: cannot be read ({err.strerror}).") from None


def verify_with_any(directory: Path, keys: Sequence[PublicKey]) -> tuple[dict[str, Any], PublicKey]:
    """(manifest, the key that signed it) of a pack signed by one of ``keys``; a pack signed
    by none of them, or failing any other check, is refused naming the first problem."""
    other = "The signature was made with another key than the one given."
    for key in keys:
        try:
            return verify_pack_key(directory, key), key
        except ValidationError as err:
            if str(err) != other:
                raise
    raise ValidationError(f"{directory}: signed by a key that is not trusted here.")


def verify_pack_key(directory: Path, public: PublicKey) -> dict[str, Any]:
    """``verify_pack`` with the public key itself."""
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
