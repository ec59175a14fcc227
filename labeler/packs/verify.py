"""Verify a label pack with nothing but the lead's public key: the minisign signature of the
manifest, its shape (``packs.formats.PackManifest``), every listed file's size and sha256, and
that no file is missing or added.

Verification never follows a link: a pack holds regular files only, each opened with
``O_NOFOLLOW`` and checked to be one, so a link in place of a pack file (to a file that would
pass, or to anything else) is refused rather than read. Sizes are checked before reading.

Imports neither Qt nor the workspace: the training team's machine runs it.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec

from labeler.crypto import minisign
from labeler.crypto.signing import PublicKey, parse_public_key
from labeler.errors import ValidationError
from labeler.jsonio import decode_strict
from labeler.packs.formats import PackManifest

MANIFEST, SIGNATURE = "manifest.json", "manifest.json.minisig"
MAX_KEY_FILE_BYTES = 4096
MAX_SIGNATURE_BYTES = 4096
MAX_MANIFEST_BYTES = 64 * 1024 * 1024  # an eval pack lists every holdout id and hash
_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)  # Windows has no links to follow this way


def _open_regular(path: Path, what: str) -> tuple[int, int]:
    """(descriptor, size) of the regular file at ``path``; a link there is never followed."""
    try:
        fd = os.open(path, os.O_RDONLY | _NO_FOLLOW | getattr(os, "O_BINARY", 0))
    except OSError as err:
        if os.path.islink(path):
            raise ValidationError(f"{what} is a link; a pack holds only regular files.") from None
        raise ValidationError(f"{what} cannot be read ({err.strerror}).") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise ValidationError(f"{what} is not a regular file.")
    return fd, info.st_size


def _read(path: Path, what: str, cap: int) -> bytes:
    fd, size = _open_regular(path, what)
    with os.fdopen(fd, "rb") as handle:
        if size > cap:
            raise ValidationError(f"{what} is larger than {cap} bytes.")
        data = handle.read(cap + 1)
    if len(data) > cap:
        raise ValidationError(f"{what} is larger than {cap} bytes.")
    return data


def _sha256(path: Path, what: str, expected_size: int) -> tuple[int, str]:
    """(size, sha256) of a pack file, read through a descriptor that follows no link."""
    fd, size = _open_regular(path, what)
    digest = hashlib.sha256()
    with os.fdopen(fd, "rb") as handle:
        if size != expected_size:
            return size, ""
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return size, digest.hexdigest()


def read_public_key(path: Path) -> PublicKey:
    """The minisign public key in ``path`` (a .pub file or its base64 line)."""
    data = _read(path, str(path), MAX_KEY_FILE_BYTES)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError(f"{path}: not a minisign public key (not UTF-8 text).") from None
    try:
        return parse_public_key(text)
    except ValidationError as err:
        raise ValidationError(f"{path}: {err}") from None


def _entries(directory: Path) -> set[str]:
    """The names in the pack folder, each a regular file (links and folders refused)."""
    try:
        scanned = list(os.scandir(directory))
    except NotADirectoryError:
        raise ValidationError(f"{directory} is not a pack folder.") from None
    except OSError as err:
        raise ValidationError(f"{directory} cannot be read ({err.strerror}).") from None
    names = set()
    for entry in scanned:
        if entry.is_symlink():
            raise ValidationError(
                f"{directory}: {entry.name} is a link; a pack holds only regular files."
            )
        if not entry.is_file(follow_symlinks=False):
            raise ValidationError(f"{directory}: {entry.name} is not a regular file.")
        names.add(entry.name)
    return names


def verify_pack(directory: Path, public_key_file: Path) -> dict[str, Any]:
    """The manifest of a pack that checks out; ``ValidationError`` naming the first problem."""
    return verify_pack_key(directory, read_public_key(public_key_file))


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
    present = _entries(directory)
    for name in (MANIFEST, SIGNATURE):
        if name not in present:
            raise ValidationError(f"{directory}: {name} is missing.")
    manifest_bytes = _read(directory / MANIFEST, f"{directory}: {MANIFEST}", MAX_MANIFEST_BYTES)
    signature = _read(directory / SIGNATURE, f"{directory}: {SIGNATURE}", MAX_SIGNATURE_BYTES)
    minisign.check(public, manifest_bytes, signature.decode("utf-8", errors="replace"))
    manifest = decode_strict(
        manifest_bytes, PackManifest, f"{directory}: {MANIFEST}", "the manifest"
    )
    listed = {entry.name: entry for entry in manifest.files}
    if len(listed) != len(manifest.files):
        raise ValidationError(f"{directory}: {MANIFEST} lists a file twice.")
    expected = set(listed) | {MANIFEST, SIGNATURE}
    missing, added = sorted(expected - present), sorted(present - expected)
    if missing:
        raise ValidationError(f"{directory}: {missing[0]} is listed in the manifest but missing.")
    if added:
        raise ValidationError(f"{directory}: {added[0]} is not in the manifest (a file was added).")
    for name, entry in sorted(listed.items()):
        size, digest = _sha256(directory / name, f"{directory}: {name}", entry.size)
        if size != entry.size:
            raise ValidationError(
                f"{directory}: {name} has the wrong size (changed after signing)."
            )
        if digest != entry.sha256:
            raise ValidationError(
                f"{directory}: {name} does not match its sha256 (changed after signing)."
            )
    checked: dict[str, Any] = msgspec.to_builtins(manifest)
    return checked
