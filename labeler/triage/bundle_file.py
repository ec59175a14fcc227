"""The bundle file format (``.lbundle``): writing it, and reading it as untrusted input.

A bundle is a zip with exactly ``manifest.json`` and ``items.jsonl``. Reading enforces the
documented caps while decompressing (declared sizes can lie), rejects unsafe member names,
links, duplicates and overlapping entries (Python 3.11.7's zipfile predates its own fix for
overlapping-entry bombs), and validates every item before anything is written. What a valid
manifest and item are is declared once, in ``labeler.triage.formats``.
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

import msgspec
import orjson

from labeler.domain import EVAL_SIGNAL, HIGH_INTENT_SIGNALS, NORMAL_SIGNAL
from labeler.errors import ValidationError
from labeler.gcpause import gc_paused
from labeler.jsonio import canonical_bytes, canonical_json, convert, problem, split_lines
from labeler.triage.formats import MAX_ITEMS, WEEK_REGEX, BundleItem, BundleManifest

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
ITEMS = "items.jsonl"
MEMBERS = (MANIFEST, ITEMS)
BUNDLE_KINDS = ("week", "eval")
WEEK_PATTERN = re.compile(WEEK_REGEX)

# Documented caps (docs/formats/bundle.md); the per-item ones are in the declarations.
MAX_MANIFEST_BYTES = 1_048_576
MAX_UNCOMPRESSED_BYTES = 1_073_741_824
MAX_COMPRESSION_RATIO = 200
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed, so the same items give the same bytes

ITEM_FIELDS = tuple(BundleItem.__struct_fields__)
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
    lines: list[bytes]

    @property
    def id(self) -> str:
        return str(self.manifest["bundle_id"])

    def items(self) -> Iterator[tuple[int, BundleItem]]:
        """(index, item) of every item, each validated before it is yielded."""
        return _parse_items(
            self.path, self.lines, self.manifest["week"], self.manifest.get("kind", "week")
        )


def _refuse(path: Path, sentence: str) -> ValidationError:
    return ValidationError(f"{path.name}: {sentence}")


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
        items = [msgspec.to_builtins(item) for _, item in source.items()]
        return Bundle(source.manifest, items, source.sha256)


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
    lines = split_lines(items_bytes)
    if len(lines) > MAX_ITEMS:
        raise _refuse(path, f"more than {MAX_ITEMS} items (the documented cap).")
    if len(lines) != manifest["item_count"]:
        raise _refuse(
            path, f"manifest says {manifest['item_count']} items, items.jsonl has {len(lines)}."
        )
    return BundleSource(path, manifest, hashlib.sha256(raw).hexdigest(), lines)


def _parse_manifest(path: Path, data: bytes) -> dict[str, Any]:
    """The manifest as written (it is stored as it came), once it has been checked."""
    try:
        manifest = msgspec.json.decode(data)
    except msgspec.DecodeError as err:
        raise _refuse(path, f"manifest.json is {problem(err, data=data)}.") from None
    if not isinstance(manifest, dict):
        raise _refuse(path, "manifest.json must be a JSON object.")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION or type(version) is not int:
        raise _refuse(
            path,
            f"unknown bundle format version {version!r} (this Labeler reads {FORMAT_VERSION}).",
        )
    checked = convert(manifest, BundleManifest, f"{path.name}: manifest.json")
    if checked.kind == "eval" and checked.eval is None:
        raise _refuse(
            path, "manifest.json field 'eval' needs current_version, candidate_version and "
            "case_types (item id -> case type).",
        )  # fmt: skip
    return manifest


_WEEK_SIGNALS = frozenset((*HIGH_INTENT_SIGNALS, NORMAL_SIGNAL))
_EVAL_SIGNALS = frozenset((EVAL_SIGNAL,))


def _parse_items(
    path: Path, lines: list[bytes], week: str, kind: str
) -> Iterator[tuple[int, BundleItem]]:
    seen: set[str] = set()
    decode = msgspec.json.Decoder(BundleItem).decode
    signals = _EVAL_SIGNALS if kind == "eval" else _WEEK_SIGNALS
    for index, line in enumerate(lines):
        try:
            item = decode(line)
        except msgspec.DecodeError as err:
            found = problem(err, BundleItem, line, "the item")
            if found == "not valid UTF-8":
                raise _refuse(path, f"items.jsonl line {index + 1} is not valid UTF-8.") from None
            raise _refuse(path, f"item {index} (items.jsonl line {index + 1}): {found}.") from None
        bad = item_problem(item, week, signals)
        if bad is None and item.id in seen:
            bad = f"duplicate item id {item.id!r}"
        if bad is not None:
            raise _refuse(path, f"item {index} (items.jsonl line {index + 1}): {bad}.")
        seen.add(item.id)
        yield index, item


def item_problem(item: BundleItem, week: str, signals: frozenset[str]) -> str | None:
    """What the declaration cannot say about a decoded item, or None when it is valid."""
    if item.signal not in signals:
        return f"field 'signal' must be one of {', '.join(sorted(signals))}"
    if item.week != week:
        return "field 'week' must equal the bundle's week"
    for number, span in enumerate(item.pii):
        if span.start >= span.end:
            return f"entry {number} of 'pii' must start before it ends"
    try:
        digest = item_content_hash(item)
    except orjson.JSONEncodeError:  # an integer beyond 64 bits: not canonical JSON
        return "field 'settings' of 'model' holds a number out of range"
    if digest != item.content_hash:
        return "field 'content_hash' does not match the item's content"
    return None


_dumps, _SORT = orjson.dumps, orjson.OPT_SORT_KEYS


def item_content_hash(item: BundleItem) -> str:
    """``content_hash`` of a decoded item: the same canonical JSON, built from its fields.

    Equal to ``content_hash(to_builtins(item))`` (a test holds them together) without making
    the whole dict first: this is most of the import's per-item cost.
    """
    model = item.model
    retries = item.retries
    candidates = item.candidates
    content = {
        "id": item.id, "signal": item.signal, "reason_code": item.reason_code,
        "captured_at": item.captured_at, "input": item.input, "intent": item.intent,
        "model": {"name": model.name, "version": model.version, "settings": model.settings},
        "output": item.output, "edited_output": item.edited_output,
        "retries": None if retries is None
        else [{"change": r.change, "output": r.output} for r in retries],
        "candidates": None if candidates is None
        else [{"model_version": c.model_version, "output": c.output} for c in candidates],
        "picked": item.picked, "subject_hash": item.subject_hash,
    }  # fmt: skip
    return hashlib.sha256(_dumps(content, option=_SORT)).hexdigest()
