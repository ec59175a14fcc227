"""The bundle file format (``.lbundle``): writing it, and reading it as untrusted input.

A bundle is a zip with exactly ``manifest.json`` and ``items.jsonl``. Reading enforces the
documented caps while decompressing (declared sizes can lie), rejects unsafe member names,
links, duplicates and overlapping entries (Python 3.11.7's zipfile predates its own fix for
overlapping-entry bombs), and validates every item before anything is written. What a valid
manifest and item are is declared once, in ``labeler.triage.formats``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import itertools
import json
import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import msgspec
import orjson

from labeler.domain import EVAL_SIGNAL, HIGH_INTENT_SIGNALS, NORMAL_SIGNAL
from labeler.errors import ValidationError
from labeler.gcpause import gc_paused
from labeler.jsonio import (
    canonical_bytes,
    canonical_json,
    convert,
    name_problem,
    problem,
    split_lines,
    strict_loads,
    text_problem,
)
from labeler.triage.formats import (
    MAX_ITEMS,
    MAX_SETTINGS_BYTES,
    MAX_SETTINGS_DEPTH,
    WEEK_REGEX,
    AssignmentSection,
    BundleItem,
    BundleManifest,
)

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
# The largest file a bundle can be: both members stored at their caps, plus headers.
MAX_BUNDLE_BYTES = MAX_MANIFEST_BYTES + MAX_UNCOMPRESSED_BYTES + 65_536
COMPRESSION_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_METHOD_NAMES = {zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "LZMA", 93: "Zstandard",
                 9: "Deflate64", 6: "Implode", 98: "PPMd", 99: "AES encryption"}  # fmt: skip
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
    if len(manifest_bytes) > MAX_MANIFEST_BYTES:  # never write a bundle no reader takes
        raise ValidationError(
            f"Cannot write {path}: its manifest.json would be {len(manifest_bytes)} bytes, "
            f"more than a bundle may hold ({MAX_MANIFEST_BYTES}); an assignment takes about 50 "
            "bytes an item, so assign fewer items per bundle."
        )
    partial = path.with_name(path.name + ".partial")
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in ((MANIFEST, manifest_bytes), (ITEMS, items_bytes)):
                info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, data)
        partial.replace(path)
    except OSError as err:  # a full disk, a folder that went away: no half-written bundle
        partial.unlink(missing_ok=True)
        raise ValidationError(f"Cannot write {path}: {err.strerror or err}.") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
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
    """An opened bundle: members and manifest checked; items not yet parsed.

    ``read_lines`` gives the item lines afresh on each call: a plain bundle's from memory
    (its items file was read and hash-checked whole at open), a sealed one's decrypted anew
    as a stream, checked as it ends (``sealed_bundle``) — so read them to the end before
    acting on them.
    """

    path: Path
    manifest: dict[str, Any]
    sha256: str
    read_lines: Callable[[], Iterable[bytes]]
    count: int  # the item lines this laptop reads (withheld items are not among them)
    # Restricted items of a sealed bundle whose text this laptop may not receive (ids only).
    withheld: tuple[str, ...] = ()
    signer: str | None = None  # the member who sealed it (sealed bundles)
    sealed_restricted: tuple[str, ...] = ()  # ids a sealed bundle's restricted part held

    @property
    def id(self) -> str:
        return str(self.manifest["bundle_id"])

    def items(self) -> Iterator[tuple[int, BundleItem]]:
        """(index, item) of every item, each validated before it is yielded; once all are
        read, the manifest's counts and options are checked against them."""
        return _parse_items(self.path, self.read_lines(), self.manifest, self.withheld)

    def lines(self) -> Iterable[bytes]:
        """The item lines, as they are in the file (the ones this laptop may read)."""
        return self.read_lines()


def _refuse(path: Path, sentence: str) -> ValidationError:
    return ValidationError(f"{path.name}: {sentence}")


def _check_members(path: Path, handle: BinaryIO, archive: zipfile.ZipFile) -> None:
    infos = archive.infolist()
    names = [info.filename for info in infos]
    if len(names) != len(set(names)):
        raise _refuse(path, "the zip has duplicate member names.")
    for info in infos:
        name = info.filename
        if name.startswith(("/", "\\")) or ".." in name.split("/") or ":" in name:
            raise _refuse(path, f"unsafe member name {name[:100]!r}.")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise _refuse(path, f"member {name!r} is a link.")
        if name not in MEMBERS:
            raise _refuse(
                path, f"unexpected member {name[:100]!r} (a bundle holds only {MEMBERS})."
            )
    missing = [name for name in MEMBERS if name not in names]
    if missing:
        raise _refuse(path, f"missing {', '.join(missing)}.")
    for info in infos:
        _check_declared(path, info)
    _check_no_overlap(path, handle, infos)


def _check_declared(path: Path, info: zipfile.ZipInfo) -> None:
    """What the central directory declares, before a byte is decompressed: no encryption, a
    method we read, and sizes inside the caps (they are counted again while reading)."""
    name = info.filename
    if info.flag_bits & 0x1:
        raise _refuse(path, f"member {name} is encrypted; a bundle is never password-protected.")
    if info.compress_type not in COMPRESSION_METHODS:
        method = _METHOD_NAMES.get(info.compress_type, f"method {info.compress_type}")
        raise _refuse(
            path,
            f"member {name} is compressed with {method}; bundles use only deflate or no "
            "compression.",
        )
    cap = MAX_MANIFEST_BYTES if name == MANIFEST else MAX_UNCOMPRESSED_BYTES
    if info.file_size > min(cap, _ratio_budget(info)):
        raise _refuse(
            path,
            f"{name} expands beyond the cap (it declares {info.file_size} bytes: at most {cap}, "
            f"and {MAX_COMPRESSION_RATIO}x its compressed size).",
        )


def _ratio_budget(info: zipfile.ZipInfo) -> int:
    return max(info.compress_size, 1) * MAX_COMPRESSION_RATIO + 65536


def _check_no_overlap(path: Path, handle: BinaryIO, infos: list[zipfile.ZipInfo]) -> None:
    """Each member's local header and data must end before the next one starts."""
    spans = []
    for info in infos:
        offset = info.header_offset
        handle.seek(offset)
        header = handle.read(30)
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
    budget = min(cap, _ratio_budget(info))
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


def _file_size(path: Path) -> int:
    """The size of a regular file at ``path``, checked before anything is read."""
    try:
        info = path.stat()
    except OSError as err:
        raise ValidationError(f"{path}: cannot be read ({err.strerror}).") from None
    if not stat.S_ISREG(info.st_mode):
        raise _refuse(path, "not a bundle (not a regular file).")
    return info.st_size


# Errors the zip reader raises on damaged or unsupported data, besides BadZipFile.
_ZIP_ERRORS = (
    zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError, RuntimeError,
    ValueError, struct.error,
)  # fmt: skip


def open_bundle(path: Path) -> BundleSource:
    """Check the zip, the manifest and the items file's hash and size; parse no item yet.

    Sizes first: the file's size and every member's declared size are checked before a byte
    is decompressed, and the zip is read from the file, never loaded whole.
    """
    size = _file_size(path)
    if size > MAX_BUNDLE_BYTES:
        raise _refuse(
            path, f"the file is {size} bytes, more than a bundle can hold ({MAX_BUNDLE_BYTES})."
        )
    try:
        handle = path.open("rb")
    except OSError as err:
        raise ValidationError(f"{path}: cannot be read ({err.strerror}).") from None
    with handle:
        try:
            archive = zipfile.ZipFile(handle)
        except _ZIP_ERRORS:
            raise _refuse(path, "not a bundle (not a zip file).") from None
        with archive:
            _check_members(path, handle, archive)
            try:
                manifest_bytes = _read_capped(path, archive, MANIFEST, MAX_MANIFEST_BYTES)
                items_bytes = _read_capped(path, archive, ITEMS, MAX_UNCOMPRESSED_BYTES)
            except _ZIP_ERRORS as err:
                raise _refuse(path, f"the zip is damaged ({_short(err)}).") from None
        handle.seek(0)
        digest = hashlib.file_digest(handle, "sha256").hexdigest()
    manifest = parse_manifest(path, manifest_bytes)
    declared = manifest["files"][ITEMS]
    if declared["sha256"] != hashlib.sha256(items_bytes).hexdigest():
        raise _refuse(path, "items.jsonl does not match the sha256 in the manifest.")
    if declared["size"] != len(items_bytes):
        raise _refuse(
            path, f"items.jsonl is {len(items_bytes)} bytes; the manifest says {declared['size']}."
        )
    lines = split_lines(items_bytes)
    if len(lines) > MAX_ITEMS:
        raise _refuse(path, f"more than {MAX_ITEMS} items (the documented cap).")
    if len(lines) != manifest["item_count"]:
        raise _refuse(
            path, f"manifest says {manifest['item_count']} items, items.jsonl has {len(lines)}."
        )
    return BundleSource(path, manifest, digest, lines.__iter__, len(lines))


def _short(err: BaseException) -> str:
    return str(err)[:120] or type(err).__name__


def parse_manifest(path: Path, data: bytes) -> dict[str, Any]:
    """The manifest as written (it is stored as it came), once it has been checked."""
    manifest = strict_loads(data, f"{path.name}: manifest.json")
    if not isinstance(manifest, dict):
        raise _refuse(path, "manifest.json must be a JSON object.")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION or type(version) is not int:
        raise _refuse(
            path,
            f"unknown bundle format version {_shown(version)} (this Labeler reads "
            f"{FORMAT_VERSION}).",
        )
    checked = convert(manifest, BundleManifest, f"{path.name}: manifest.json")
    bad = manifest_problem(checked)
    if bad is not None:
        raise _refuse(path, f"manifest.json {bad}.")
    return manifest


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "…"


def manifest_problem(manifest: BundleManifest) -> str | None:
    """What the declaration cannot say about a decoded manifest, or None when it is valid."""
    names = {"bundle_id": manifest.bundle_id, "builder_version": manifest.builder_version}
    if manifest.eval is not None:
        names["eval.current_version"] = manifest.eval.current_version
        names["eval.candidate_version"] = manifest.eval.candidate_version
    for field, value in names.items():
        found = None if value is None else name_problem(value)
        if found:
            return f"field '{field}' {found}"
    if timestamp_problem(manifest.created_at):
        return f"field 'created_at' {timestamp_problem(manifest.created_at)}"
    if manifest.kind == "eval":
        if manifest.eval is None:
            return (
                "field 'eval' needs current_version, candidate_version and case_types "
                "(item id -> case type)"
            )
        if manifest.eval.current_version == manifest.eval.candidate_version:
            return "field 'eval' names the same model version as current and candidate"
    elif manifest.eval is not None:
        return "field 'eval' belongs only in an eval bundle (kind 'eval')"
    options = manifest.options
    if options is not None and options.week is not None and options.week != manifest.week:
        return "field 'week' of 'options' must equal the bundle's week"
    if manifest.assignment is not None:
        return _assignment_problem(manifest.assignment)
    return None


def _assignment_problem(assignment: AssignmentSection) -> str | None:
    """What is wrong with the assignment on its own (against the items: ``_parse_items``)."""
    ids: set[str] = set()
    for labeler in assignment.labelers:
        for name, value in (("id", labeler.id), ("display_name", labeler.display_name)):
            found = name_problem(value)
            if found:
                return f"field '{name}' of 'assignment.labelers' {found}"
        if labeler.id in ids:
            return f"field 'labelers' of 'assignment' lists {labeler.id!r} twice"
        ids.add(labeler.id)
    for item_id, labeler_id in assignment.items.items():
        if labeler_id not in ids:
            return (
                f"field 'items' of 'assignment' assigns {item_id!r} to {labeler_id!r}, who is "
                "not among its labelers"
            )
    return None


def timestamp_problem(value: str) -> str | None:
    """Why ``value`` is not an RFC 3339 timestamp with an offset, or None."""
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return "is not an RFC 3339 timestamp"
    if moment.tzinfo is None:
        return "needs a time zone offset (RFC 3339)"
    return None


_WEEK_SIGNALS = frozenset((*HIGH_INTENT_SIGNALS, NORMAL_SIGNAL))
_EVAL_SIGNALS = frozenset((EVAL_SIGNAL,))


_encode_sorted = msgspec.json.Encoder(order="sorted").encode


def _parse_items(
    path: Path, lines: Iterable[bytes], manifest: dict[str, Any], withheld: tuple[str, ...] = ()
) -> Iterator[tuple[int, BundleItem]]:
    week, kind = manifest["week"], manifest.get("kind", "week")
    seen: set[str] = set()
    tally = _Tally()
    decode = msgspec.json.Decoder(BundleItem).decode
    signals = _EVAL_SIGNALS if kind == "eval" else _WEEK_SIGNALS
    versions = None
    if kind == "eval":
        versions = (manifest["eval"]["current_version"], manifest["eval"]["candidate_version"])
    assigned, cleared = _assigned(manifest)
    for index, line in enumerate(lines):
        where = _Where(index)
        try:
            item = decode(line)
        except msgspec.DecodeError as err:
            found = problem(err, BundleItem, line, "the item")
            if found == "not valid UTF-8":
                raise _refuse(path, f"items.jsonl line {index + 1} is not valid UTF-8.") from None
            raise _refuse(path, f"{where}: {found}.") from None
        except RecursionError:
            raise _refuse(path, f"{where}: nested too deeply.") from None
        if _encode_sorted(item) != line:
            # Not the canonical line our writer makes: it may hold what a canonical line
            # cannot, a key twice. (Canonical lines cannot: they are one encoding of the item.)
            strict_loads(line, f"{path.name}: {where}")
        bad = item_problem(item, week, signals, escapes=b"\\u00" in line or b"\\b" in line)
        if bad is None and versions is not None:
            bad = _eval_problem(item, versions)
        if bad is None and item.id in seen:
            bad = f"duplicate item id {item.id!r}"
        if bad is None and assigned and item.id in assigned:
            bad = _assigned_item_problem(item, assigned[item.id] in cleared)
        if bad is not None:
            raise _refuse(path, f"{where}: {bad}.")
        seen.add(item.id)
        tally.add(item)
        yield index, item
    if withheld:  # restricted by definition, and counted as such; their ids are in the bundle
        if seen.intersection(withheld) or len(set(withheld)) != len(withheld):
            raise _refuse(path, "a withheld item id is repeated or is also an open item.")
        seen.update(withheld)
        tally.restricted += len(withheld)
    bad = _manifest_against_items(manifest, seen, tally, partial=bool(withheld))
    if bad is None and assigned:
        missing = next((i for i in assigned if i not in seen), None)
        if missing is not None:
            bad = (
                f"manifest.json field 'items' of 'assignment' names {missing!r}, which is not "
                "an item of the bundle"
            )
    if bad is not None:
        raise _refuse(path, f"{bad}.")


def _assigned(manifest: dict[str, Any]) -> tuple[dict[str, str], frozenset[str]]:
    """(the assignment's item -> labeler map, the labelers with restricted access)."""
    section = manifest.get("assignment") or {}
    cleared = frozenset(p["id"] for p in section.get("labelers", ()) if p["restricted"])
    return section.get("items") or {}, cleared


def _assigned_item_problem(item: BundleItem, cleared: bool) -> str | None:
    if item.overlap:
        return "an overlap item is everyone's; field 'items' of 'assignment' must not assign it"
    if item.restricted and not cleared:
        return (
            "a restricted item is assigned (field 'items' of 'assignment') to a labeler "
            "without restricted access"
        )
    return None


class _Where:
    """ "item N (items.jsonl line N+1)", made only when a sentence needs it (100k f-strings
    for valid items were a tenth of validation)."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index

    def __str__(self) -> str:
        return f"item {self.index} (items.jsonl line {self.index + 1})"


@dataclass
class _Tally:
    restricted: int = 0
    overlap: int = 0
    holdout: int = 0

    def add(self, item: BundleItem) -> None:
        self.restricted += item.restricted
        self.overlap += item.overlap
        self.holdout += item.holdout


def _manifest_against_items(
    manifest: dict[str, Any], ids: set[str], tally: _Tally, partial: bool = False
) -> str | None:
    """The manifest's options, statistics and eval section must agree with the items
    (``partial``: some restricted items were withheld, so holdout counts cannot be checked)."""
    if manifest.get("kind") == "eval":
        case_types = set(manifest["eval"]["case_types"])
        if case_types != ids:
            other = sorted(case_types ^ ids)[0]
            return (
                f"manifest.json field 'case_types' of 'eval' must name exactly the items "
                f"({other!r})"
            )
    options = manifest.get("options") or {}
    if options.get("holdout_rate") == 0 and tally.holdout:
        return "manifest.json says holdout_rate 0, but items are marked holdout"
    if options.get("overlap") is not None and tally.overlap > options["overlap"]:
        return (
            f"{tally.overlap} items are marked overlap; the manifest's options allow "
            f"{options['overlap']}"
        )
    statistics = manifest.get("statistics") or {}
    holdout = statistics.get("holdout") or {}
    stated = {"restricted": statistics.get("restricted"), "overlap": statistics.get("overlap"),
              "holdout": holdout.get("total")}  # fmt: skip
    for name, value in stated.items():
        if partial and name == "holdout":
            continue
        if value is not None and value != getattr(tally, name):
            return (
                f"manifest.json says {value} {name} items (statistics); items.jsonl has "
                f"{getattr(tally, name)}"
            )
    return None


def _eval_problem(item: BundleItem, versions: tuple[str, str]) -> str | None:
    candidates = item.candidates or []
    if tuple(c.model_version for c in candidates) != versions:
        return "field 'candidates' must hold the current then the candidate model's output"
    return None


# The evidence each signal must carry (docs/formats/capture-events.md), and may not lack.
_EVIDENCE = {
    "edit": ("output", "edited_output"), "retry": ("retries",), "sample": ("output",),
    "side_by_side": ("candidates",), "eval": ("candidates",),
}  # fmt: skip


def item_problem(
    item: BundleItem, week: str, signals: frozenset[str], *, escapes: bool = True
) -> str | None:
    """What the declaration cannot say about a decoded item, or None when it is valid.

    ``escapes``: the line holds a ``\\u00`` or ``\\b`` escape, the only way a control
    character can be in a JSON text (raw ones are not JSON); without one, texts need no scan.
    """
    if item.signal not in signals:
        return f"field 'signal' must be one of {', '.join(sorted(signals))}"
    if item.week != week:
        return "field 'week' must equal the bundle's week"
    found = _names_problem(item)
    if found is None and escapes:
        found = _texts_problem(item)
    found = found or settings_problem(item.model.settings)
    if found is not None:
        return found
    if item_content_hash(item) != item.content_hash:
        return "field 'content_hash' does not match the item's content"
    return _evidence_problem(item) or _spans_problem(item) or _flags_problem(item)


def _names_problem(item: BundleItem) -> str | None:
    found = timestamp_problem(item.captured_at)
    if found:
        return f"field 'captured_at' {found}"
    names = [("id", item.id), ("version' of 'model", item.model.version)]
    if item.model.name is not None:
        names.append(("name' of 'model", item.model.name))
    for index, candidate in enumerate(item.candidates or ()):
        names.append((f"model_version' of 'candidates[{index}]", candidate.model_version))
    for where, value in names:
        found = name_problem(value)
        if found:
            return f"field '{where}' {found}"
    return None


def item_texts(item: BundleItem) -> dict[str, str]:
    """Field path -> text of every customer text in the item, as PII spans name them."""
    texts = {"input": item.input, "intent": item.intent, "output": item.output,
             "edited_output": item.edited_output}  # fmt: skip
    found = {name: text for name, text in texts.items() if text is not None}
    for index, step in enumerate(item.retries or ()):
        found[f"retries[{index}].change"] = step.change
        found[f"retries[{index}].output"] = step.output
    for index, candidate in enumerate(item.candidates or ()):
        found[f"candidates[{index}].output"] = candidate.output
    return found


def _texts_problem(item: BundleItem) -> str | None:
    for where, text in item_texts(item).items():
        found = text_problem(text)
        if found:
            return f"field '{where}' {found}"
    return None


def _evidence_problem(item: BundleItem) -> str | None:
    for name in _EVIDENCE[item.signal]:
        if getattr(item, name) is None:
            return f"field '{name}' is needed for a {item.signal} item"
    if item.picked is not None and item.signal != "side_by_side":
        return "field 'picked' is only for side_by_side items"
    return None


def _flags_problem(item: BundleItem) -> str | None:
    """Routing flags that contradict each other."""
    if item.restricted and item.overlap:
        return "an item cannot be both restricted and overlap (both labelers must see it)"
    if item.pii and not item.restricted:
        return "an item with PII spans must be restricted"
    return None


def _spans_problem(item: BundleItem) -> str | None:
    if not item.pii:
        return None
    texts = item_texts(item)
    for number, span in enumerate(item.pii):
        if span.start >= span.end:
            return f"entry {number} of 'pii' must start before it ends"
        text = texts.get(span.field)
        if text is None:
            return f"entry {number} of 'pii' names {span.field!r}, not one of the item's texts"
        if span.end > len(text):
            return f"entry {number} of 'pii' ends after the end of {span.field}"
    return None


def _plain(settings: dict[str, Any]) -> bool:
    """The common case, settled without encoding: a few printable keys with numbers, flags
    or nulls (64-bit integers: what canonical JSON can hold)."""
    if len(settings) > 64:
        return False
    for key, value in settings.items():
        if len(key) > 256 or not key.isprintable():
            return False
        kind = type(value)
        if kind is int:
            if not -(2**63) <= value < 2**64:
                return False
        elif kind is not float and kind is not bool and value is not None:
            return False
    return True


def settings_problem(settings: dict[str, Any]) -> str | None:
    """model.settings: at most MAX_SETTINGS_BYTES as canonical JSON, nested at most
    MAX_SETTINGS_DEPTH deep, no control characters but layout in its strings."""
    if not settings or _plain(settings):
        return None
    try:
        size = len(_dumps(settings, option=_SORT))
    except orjson.JSONEncodeError as err:  # an integer beyond 64 bits: not canonical JSON
        if "ecursion" in str(err):  # orjson stops at 255 levels
            return f"field 'settings' of 'model' is nested more than {MAX_SETTINGS_DEPTH} deep"
        return "field 'settings' of 'model' holds a number out of range"
    if size > MAX_SETTINGS_BYTES:
        return f"field 'settings' of 'model' is {size} bytes of JSON (at most {MAX_SETTINGS_BYTES})"
    stack: list[tuple[Any, int]] = [(settings, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_SETTINGS_DEPTH:
            return f"field 'settings' of 'model' is nested more than {MAX_SETTINGS_DEPTH} deep"
        children = value.items() if isinstance(value, dict) else enumerate(value)
        for key, child in children:
            for text in (key, child):
                if isinstance(text, str) and text_problem(text):
                    return f"field 'settings' of 'model' {text_problem(text)}"
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))
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
