"""The bundle file format (``.lbundle``): writing it, and reading it as untrusted input.

A bundle is a zip with exactly ``manifest.json`` and ``items.jsonl``. Reading enforces the
documented caps while decompressing (declared sizes can lie), rejects unsafe member names,
links, duplicates and overlapping entries (Python 3.11.7's zipfile predates its own fix for
overlapping-entry bombs), and validates every item before anything is written.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import re
import stat
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labeler.domain import HIGH_INTENT_SIGNALS, NORMAL_SIGNAL, REASON_CODES
from labeler.errors import ValidationError
from labeler.pii import KINDS

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
ITEMS = "items.jsonl"
MEMBERS = (MANIFEST, ITEMS)
BUNDLE_KINDS = ("week", "eval")
WEEK_PATTERN = re.compile(r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$")

# Documented caps (docs/formats/bundle.md).
MAX_ITEMS = 200_000
MAX_TEXT_CHARS = 1_048_576
MAX_MANIFEST_BYTES = 1_048_576
MAX_UNCOMPRESSED_BYTES = 1_073_741_824
MAX_COMPRESSION_RATIO = 200
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed, so the same items give the same bytes

ITEM_FIELDS = (
    "id", "week", "signal", "reason_code", "captured_at", "input", "intent", "model", "output",
    "edited_output", "retries", "candidates", "picked", "subject_hash", "restricted", "pii",
    "overlap", "holdout", "content_hash",
)  # fmt: skip
CONTENT_FIELDS = (
    "id", "signal", "reason_code", "captured_at", "input", "intent", "model", "output",
    "edited_output", "retries", "candidates", "picked", "subject_hash",
)  # fmt: skip


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def content_hash(item: dict[str, Any]) -> str:
    """sha256 over the item's content (not its routing flags), canonical JSON."""
    content = {name: item.get(name) for name in CONTENT_FIELDS}
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def write_bundle(
    path: Path, manifest: dict[str, Any], items: list[dict[str, Any]]
) -> dict[str, Any]:
    """Write the zip; return the manifest completed with item_count and the files' hashes."""
    items_bytes = "".join(canonical_json(item) + "\n" for item in items).encode("utf-8")
    manifest = dict(manifest)
    manifest["item_count"] = len(items)
    manifest["files"] = {
        ITEMS: {"sha256": hashlib.sha256(items_bytes).hexdigest(), "size": len(items_bytes)}
    }
    manifest_bytes = json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8")
    partial = path.with_name(path.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in ((MANIFEST, manifest_bytes), (ITEMS, items_bytes)):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    partial.replace(path)
    return manifest


@dataclass(frozen=True)
class Bundle:
    """A bundle read and validated in memory, ready to import."""

    manifest: dict[str, Any]
    items: list[dict[str, Any]]
    sha256: str

    @property
    def id(self) -> str:
        return str(self.manifest["bundle_id"])


def _refuse(path: Path, problem: str) -> ValidationError:
    return ValidationError(f"{path.name}: {problem}")


def _check_members(path: Path, raw: bytes, archive: zipfile.ZipFile) -> None:
    infos = archive.infolist()
    names = [info.filename for info in infos]
    if len(names) != len(set(names)):
        raise _refuse(path, "the zip has duplicate member names.")
    for info in infos:
        name = info.filename
        if name.startswith(("/", "\\")) or ".." in name.split("/") or ":" in name:
            raise _refuse(path, f"unsafe member name {name!r}.")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise _refuse(path, f"member {name!r} is a link.")
        if name not in MEMBERS:
            raise _refuse(path, f"unexpected member {name!r} (a bundle holds only {MEMBERS}).")
    missing = [name for name in MEMBERS if name not in names]
    if missing:
        raise _refuse(path, f"missing {', '.join(missing)}.")
    _check_no_overlap(path, raw, infos)


def _check_no_overlap(path: Path, raw: bytes, infos: list[zipfile.ZipInfo]) -> None:
    """Each member's local header and data must end before the next one starts."""
    spans = []
    for info in infos:
        offset = info.header_offset
        header = raw[offset : offset + 30]
        if len(header) < 30 or header[:4] != b"PK\x03\x04":
            raise _refuse(path, f"member {info.filename!r} has a broken local header.")
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        spans.append((offset, offset + 30 + name_len + extra_len + info.compress_size))
    spans.sort()
    for (_, end), (next_start, _) in itertools.pairwise(spans):
        if end > next_start:
            raise _refuse(path, "zip members overlap (a zip bomb pattern).")


def _read_capped(path: Path, archive: zipfile.ZipFile, name: str, cap: int) -> bytes:
    info = archive.getinfo(name)
    budget = min(cap, max(info.compress_size, 1) * MAX_COMPRESSION_RATIO + 65536)
    out = io.BytesIO()
    with archive.open(info) as member:
        while chunk := member.read(1 << 20):
            out.write(chunk)
            if out.tell() > budget:
                raise _refuse(
                    path,
                    f"{name} expands beyond the cap ({cap} bytes, or "
                    f"{MAX_COMPRESSION_RATIO}x its compressed size).",
                )
    return out.getvalue()


def read_bundle(path: Path) -> Bundle:
    """Read and validate a bundle file; raises ``ValidationError`` naming what is wrong."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise ValidationError(f"{path}: cannot be read ({err.strerror}).") from None
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile:
        raise _refuse(path, "not a bundle (not a zip file).") from None
    with archive:
        _check_members(path, raw, archive)
        try:
            manifest_bytes = _read_capped(path, archive, MANIFEST, MAX_MANIFEST_BYTES)
            items_bytes = _read_capped(path, archive, ITEMS, MAX_UNCOMPRESSED_BYTES)
        except (zipfile.BadZipFile, OSError, EOFError) as err:
            raise _refuse(path, f"the zip is damaged ({err}).") from None
    manifest = _parse_manifest(path, manifest_bytes)
    declared = manifest["files"].get(ITEMS, {})
    if declared.get("sha256") != hashlib.sha256(items_bytes).hexdigest():
        raise _refuse(path, "items.jsonl does not match the sha256 in the manifest.")
    items = list(_parse_items(path, items_bytes, manifest))
    if len(items) != manifest["item_count"]:
        raise _refuse(
            path, f"manifest says {manifest['item_count']} items, items.jsonl has {len(items)}."
        )
    return Bundle(manifest, items, hashlib.sha256(raw).hexdigest())


def _parse_manifest(path: Path, data: bytes) -> dict[str, Any]:
    try:
        manifest = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise _refuse(path, "manifest.json is not valid UTF-8.") from None
    except json.JSONDecodeError as err:
        raise _refuse(path, f"manifest.json is not valid JSON ({err.msg}).") from None
    if not isinstance(manifest, dict):
        raise _refuse(path, "manifest.json must be a JSON object.")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise _refuse(
            path,
            f"unknown bundle format version {version!r} (this Labeler reads {FORMAT_VERSION}).",
        )
    checks = {
        "bundle_id": lambda v: isinstance(v, str) and 0 < len(v) <= 100,
        "week": lambda v: isinstance(v, str) and WEEK_PATTERN.match(v),
        "item_count": lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
        "created_at": lambda v: isinstance(v, str),
        "files": lambda v: isinstance(v, dict),
    }
    for name, ok in checks.items():
        if not ok(manifest.get(name)):
            raise _refuse(path, f"manifest.json field '{name}' is missing or invalid.")
    if manifest.get("kind", "week") not in BUNDLE_KINDS:
        raise _refuse(path, "manifest.json field 'kind' must be 'week' or 'eval'.")
    if manifest["item_count"] > MAX_ITEMS:
        raise _refuse(path, f"more than {MAX_ITEMS} items (the documented cap).")
    return manifest


def _parse_items(path: Path, data: bytes, manifest: dict[str, Any]) -> Iterator[dict[str, Any]]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        number = data[: err.start].count(b"\n") + 1
        raise _refuse(path, f"items.jsonl line {number} is not valid UTF-8.") from None
    seen: set[str] = set()
    for index, line in enumerate(text.splitlines()):
        if not line.strip():
            continue
        if index >= MAX_ITEMS:
            raise _refuse(path, f"more than {MAX_ITEMS} items (the documented cap).")
        where = f"item {index} (items.jsonl line {index + 1})"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as err:
            raise _refuse(path, f"{where} is not valid JSON ({err.msg}).") from None
        check_item(path, where, item, manifest)
        if item["id"] in seen:
            raise _refuse(path, f"{where}: duplicate item id {item['id']!r}.")
        seen.add(item["id"])
        yield item


def _is_text(value: Any, optional: bool = True) -> bool:
    if value is None:
        return optional
    return isinstance(value, str) and len(value) <= MAX_TEXT_CHARS


def _valid_pii(value: Any) -> bool:
    if not isinstance(value, list):
        return False
    return all(
        isinstance(span, dict)
        and span.get("kind") in KINDS
        and isinstance(span.get("start"), int)
        and isinstance(span.get("end"), int)
        and isinstance(span.get("field"), str)
        and 0 <= span["start"] < span["end"]
        for span in value
    )


def _valid_pairs(value: Any, keys: tuple[str, str], length: int | None) -> bool:
    if value is None:
        return True
    if not isinstance(value, list) or (length is not None and len(value) != length):
        return False
    return all(
        isinstance(step, dict)
        and set(step) == set(keys)
        and all(_is_text(step[k], False) for k in keys)
        for step in value
    )


_SIGNALS = (*HIGH_INTENT_SIGNALS, NORMAL_SIGNAL)
_ITEM_CHECKS: dict[str, tuple[Any, str]] = {
    "id": (lambda v: isinstance(v, str) and 0 < len(v) <= 200, "a string of 1-200 characters"),
    "signal": (lambda v: v in _SIGNALS, f"one of {', '.join(_SIGNALS)}"),
    "reason_code": (lambda v: v is None or v in REASON_CODES, "a known reason code or null"),
    "captured_at": (lambda v: isinstance(v, str) and len(v) <= 40, "an RFC 3339 string"),
    "input": (_is_text, "a string (at most 1 MiB) or null"),
    "intent": (_is_text, "a string (at most 1 MiB) or null"),
    "output": (_is_text, "a string (at most 1 MiB) or null"),
    "edited_output": (_is_text, "a string (at most 1 MiB) or null"),
    "subject_hash": (lambda v: v is None or (isinstance(v, str) and len(v) == 64), "a sha256 hex"),
    "model": (
        lambda v: (
            isinstance(v, dict)
            and set(v) == {"name", "version", "settings"}
            and _is_text(v["name"])
            and _is_text(v["version"], False)
            and isinstance(v["settings"], dict)
        ),
        "an object {name, version, settings}",
    ),
    "retries": (
        lambda v: _valid_pairs(v, ("change", "output"), None),
        "a list of {change, output}",
    ),
    "candidates": (
        lambda v: _valid_pairs(v, ("model_version", "output"), 2),
        "two {model_version, output}",
    ),
    "picked": (lambda v: v is None or (v in (0, 1) and not isinstance(v, bool)), "0, 1 or null"),
    "restricted": (lambda v: isinstance(v, bool), "true or false"),
    "overlap": (lambda v: isinstance(v, bool), "true or false"),
    "holdout": (lambda v: isinstance(v, bool), "true or false"),
    "pii": (_valid_pii, "a list of {kind, start, end, field} spans"),
    "content_hash": (lambda v: isinstance(v, str) and len(v) == 64, "a sha256 hex"),
}


def check_item(path: Path, where: str, item: Any, manifest: dict[str, Any]) -> None:
    if not isinstance(item, dict):
        raise _refuse(path, f"{where} must be a JSON object.")
    unknown = set(item) - set(ITEM_FIELDS)
    if unknown:
        raise _refuse(path, f"{where}: unknown field '{sorted(unknown)[0]}'.")
    for name, (ok, expected) in _ITEM_CHECKS.items():
        if name not in item:
            raise _refuse(path, f"{where}: field '{name}' is missing.")
        if not ok(item[name]):
            raise _refuse(path, f"{where}: field '{name}' must be {expected}.")
    if item.get("week") != manifest["week"]:
        raise _refuse(path, f"{where}: field 'week' must equal the bundle's week.")
    if content_hash(item) != item["content_hash"]:
        raise _refuse(path, f"{where}: field 'content_hash' does not match the item's content.")
