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

import orjson

from labeler.domain import EVAL_SIGNAL, HIGH_INTENT_SIGNALS, NORMAL_SIGNAL, REASON_CODES
from labeler.errors import ValidationError
from labeler.gcpause import gc_paused
from labeler.jsonio import canonical_bytes, canonical_json
from labeler.triage.pii import KINDS

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


def content_hash(item: dict[str, Any]) -> str:
    """sha256 over the item's content (not its routing flags), canonical JSON."""
    content = {name: item.get(name) for name in CONTENT_FIELDS}
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def write_bundle(
    path: Path, manifest: dict[str, Any], items: list[dict[str, Any]]
) -> dict[str, Any]:
    """Write the zip; return the manifest completed with item_count and the files' hashes."""
    items_bytes = b"".join(canonical_bytes(item) + b"\n" for item in items)
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
    """A bundle read and validated in memory."""

    manifest: dict[str, Any]
    items: list[dict[str, Any]]
    sha256: str

    @property
    def id(self) -> str:
        return str(self.manifest["bundle_id"])


@dataclass(frozen=True)
class BundleSource:
    """An opened bundle: members, manifest and integrity checked; items not yet parsed."""

    path: Path
    manifest: dict[str, Any]
    sha256: str
    lines: list[str]

    @property
    def id(self) -> str:
        return str(self.manifest["bundle_id"])

    def items(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """(index, item) of every item, each validated before it is yielded."""
        return _parse_items(
            self.path, self.lines, self.manifest["week"], self.manifest.get("kind", "week")
        )


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
    """Read and validate a whole bundle; raises ``ValidationError`` naming what is wrong."""
    with gc_paused():
        source = open_bundle(path)
        return Bundle(source.manifest, [item for _, item in source.items()], source.sha256)


def open_bundle(path: Path) -> BundleSource:
    """Check the zip, the manifest and the items file's hash and size; parse no item yet."""
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
    try:
        lines = items_bytes.decode("utf-8").splitlines()
    except UnicodeDecodeError as err:
        number = items_bytes[: err.start].count(b"\n") + 1
        raise _refuse(path, f"items.jsonl line {number} is not valid UTF-8.") from None
    if len(lines) > MAX_ITEMS:
        raise _refuse(path, f"more than {MAX_ITEMS} items (the documented cap).")
    if len(lines) != manifest["item_count"]:
        raise _refuse(
            path, f"manifest says {manifest['item_count']} items, items.jsonl has {len(lines)}."
        )
    return BundleSource(path, manifest, hashlib.sha256(raw).hexdigest(), lines)


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
    if manifest.get("kind") == "eval":
        _check_eval_section(path, manifest.get("eval"))
    if manifest["item_count"] > MAX_ITEMS:
        raise _refuse(path, f"more than {MAX_ITEMS} items (the documented cap).")
    return manifest


def _check_eval_section(path: Path, section: Any) -> None:
    """An eval bundle names the two model versions and each item's case type."""
    ok = (
        isinstance(section, dict)
        and isinstance(section.get("current_version"), str)
        and isinstance(section.get("candidate_version"), str)
        and isinstance(section.get("case_types"), dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in section["case_types"].items())
    )
    if not ok:
        raise _refuse(
            path, "manifest.json field 'eval' needs current_version, candidate_version and "
            "case_types (item id -> case type).",
        )  # fmt: skip


def _parse_items(
    path: Path, lines: list[str], week: str, kind: str
) -> Iterator[tuple[int, dict[str, Any]]]:
    seen: set[str] = set()
    loads = orjson.loads
    for index, line in enumerate(lines):
        problem: str | None
        try:
            item = loads(line)
        except orjson.JSONDecodeError as err:
            problem = f"is not valid JSON ({err.msg})"
        else:
            problem = item_problem(item, week, kind)
            if problem is None and item["id"] in seen:
                problem = f"duplicate item id {item['id']!r}"
        if problem is not None:
            raise _refuse(path, f"item {index} (items.jsonl line {index + 1}): {problem}.")
        seen.add(item["id"])
        yield index, item


def _is_text(value: Any) -> bool:
    return value is None or (type(value) is str and len(value) <= MAX_TEXT_CHARS)


def _valid_pii(value: Any) -> bool:
    return type(value) is list and all(
        type(span) is dict
        and span.get("kind") in KINDS
        and type(span.get("start")) is int
        and type(span.get("end")) is int
        and type(span.get("field")) is str
        and 0 <= span["start"] < span["end"]
        for span in value
    )


def _valid_pairs(value: Any, keys: frozenset[str], length: int | None) -> bool:
    if value is None:
        return True
    if type(value) is not list or (length is not None and len(value) != length):
        return False
    return all(
        type(step) is dict
        and step.keys() == keys
        and all(type(text) is str and len(text) <= MAX_TEXT_CHARS for text in step.values())
        for step in value
    )


_SIGNALS = frozenset((*HIGH_INTENT_SIGNALS, NORMAL_SIGNAL))
_EVAL_SIGNALS = frozenset((EVAL_SIGNAL,))
_REASONS = frozenset((*REASON_CODES, None))
_FIELD_SET = frozenset(ITEM_FIELDS)
_RETRY_KEYS = frozenset(("change", "output"))
_CANDIDATE_KEYS = frozenset(("model_version", "output"))
_MODEL_KEYS = frozenset(("name", "version", "settings"))
_TEXT = "a string (at most 1 MiB) or null"


def _first_bad_field(item: dict[str, Any], signals: frozenset[str]) -> tuple[str, str] | None:
    """(field, expectation) of the first invalid field: inline checks, as this is the hot path."""
    value = item["id"]
    if type(value) is not str or not 0 < len(value) <= 200:
        return "id", "a string of 1-200 characters"
    if item["signal"] not in signals:
        return "signal", f"one of {', '.join(sorted(signals))}"
    if item["reason_code"] not in _REASONS:
        return "reason_code", "a known reason code or null"
    value = item["captured_at"]
    if type(value) is not str or len(value) > 40:
        return "captured_at", "an RFC 3339 string"
    for name in ("input", "intent", "output", "edited_output"):
        if not _is_text(item[name]):
            return name, _TEXT
    value = item["subject_hash"]
    if value is not None and (type(value) is not str or len(value) != 64):
        return "subject_hash", "a sha256 hex or null"
    model = item["model"]
    if (
        type(model) is not dict
        or model.keys() != _MODEL_KEYS
        or not _is_text(model["name"])
        or type(model["version"]) is not str
        or type(model["settings"]) is not dict
    ):
        return "model", "an object {name, version, settings}"
    if not _valid_pairs(item["retries"], _RETRY_KEYS, None):
        return "retries", "a list of {change, output}"
    if not _valid_pairs(item["candidates"], _CANDIDATE_KEYS, 2):
        return "candidates", "two {model_version, output}"
    if type(item["picked"]) is bool or item["picked"] not in (None, 0, 1):
        return "picked", "0, 1 or null"
    for name in ("restricted", "overlap", "holdout"):
        if type(item[name]) is not bool:
            return name, "true or false"
    if not _valid_pii(item["pii"]):
        return "pii", "a list of {kind, start, end, field} spans"
    value = item["content_hash"]
    if type(value) is not str or len(value) != 64:
        return "content_hash", "a sha256 hex"
    return None


def item_problem(item: Any, week: str, kind: str = "week") -> str | None:
    """What is wrong with one bundle item, or None when it is valid."""
    if type(item) is not dict:
        return "must be a JSON object"
    if item.keys() != _FIELD_SET:
        unknown = sorted(set(item) - _FIELD_SET)
        if unknown:
            return f"unknown field '{unknown[0]}'"
        missing = [name for name in ITEM_FIELDS if name not in item]
        return f"field '{missing[0]}' is missing"
    bad = _first_bad_field(item, _EVAL_SIGNALS if kind == "eval" else _SIGNALS)
    if bad is not None:
        return f"field '{bad[0]}' must be {bad[1]}"
    if item["week"] != week:
        return "field 'week' must equal the bundle's week"
    if content_hash(item) != item["content_hash"]:
        return "field 'content_hash' does not match the item's content"
    return None
