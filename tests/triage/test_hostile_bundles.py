"""Hostile bundles through the real CLI: each class of the red team's corpus is built here,
refused with its sentence, exit 2 and the workspace unchanged to the byte; every documented
limit (docs/formats/bundle.md) is tried at the limit (accepted) and just past it (refused);
legitimate texts pass; and routing is re-derived on import, never taken from the file."""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import re
import string
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from labeler.jsonio import canonical_bytes
from labeler.packs.export import PackOptions, export_pack
from labeler.store import items as item_rows
from labeler.triage import bundle_file, formats
from labeler.triage.bundle_file import content_hash, open_bundle
from labeler.workspace import Workspace
from tests.factories import edit_item
from tests.hostile import fingerprint, refused, run

NAME = "hostile.lbundle"
PREFIX = r"^Error: hostile\.lbundle: "
ITEM0 = PREFIX + r"item 0 \(items\.jsonl line 1\): "


@pytest.fixture
def ws(tmp_path: Path, memory_keyring) -> Path:
    path = tmp_path / "ws.lbw"
    Workspace.create(path).close()
    return path


def item(number: int = 0, **fields: Any) -> dict[str, Any]:
    """A valid edit item with ``fields`` changed and its content hash recomputed."""
    made = edit_item(number)
    made.update(fields)
    made["content_hash"] = content_hash(made)
    return made


def pair(number: int = 0, **fields: Any) -> dict[str, Any]:
    made = edit_item(number)
    made.update(signal="side_by_side", output=None, edited_output=None, picked=1,
                candidates=[{"model_version": "a", "output": "x = 1\n"},
                            {"model_version": "b", "output": "x = 2\n"}])  # fmt: skip
    made.update(fields)
    made["content_hash"] = content_hash(made)
    return made


def manifest_for(lines: list[bytes], **fields: Any) -> dict[str, Any]:
    body = b"".join(line + b"\n" for line in lines)
    digest = hashlib.sha256(body).hexdigest()
    manifest: dict[str, Any] = {
        "format_version": 1, "kind": "week", "bundle_id": f"hostile-{digest[:12]}",
        "week": "2026-W48",
        "created_at": "2026-11-24T00:00:00Z", "item_count": len(lines),
        "files": {"items.jsonl": {"sha256": digest, "size": len(body)}},
    }  # fmt: skip
    manifest.update(fields)
    return manifest


def zip_bundle(
    path: Path,
    manifest: bytes,
    items: bytes,
    *,
    method: int = zipfile.ZIP_DEFLATED,
    flag_bits: int = 0,
) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in (("manifest.json", manifest), ("items.jsonl", items)):
            info = zipfile.ZipInfo(name, date_time=bundle_file.ZIP_DATE)
            info.compress_type = method
            info.flag_bits |= flag_bits
            archive.writestr(info, data)
    return path


def bundle(
    path: Path,
    items: list[dict[str, Any]] | None = None,
    *,
    lines: list[bytes] | None = None,
    edit: Callable[[dict[str, Any]], None] | None = None,
    manifest: bytes | None = None,
) -> Path:
    """A bundle of ``items`` (canonical lines) or raw ``lines``; the manifest's hash, size and
    count always match, so a refusal is about what the case changed."""
    if lines is None:
        lines = [canonical_bytes(i) for i in (items if items is not None else [item(0)])]
    body = b"".join(line + b"\n" for line in lines)
    document = manifest_for(lines)
    if edit is not None:
        edit(document)
    return zip_bundle(path, manifest or json.dumps(document).encode(), body)


def imports(ws: Path, path: Path) -> str:
    result = run("--workspace", str(ws), "bundle", "import", str(path))
    assert result.exit_code == 0, result.output
    return result.output


# --- hostile cases: (what to build, the sentence) --------------------------------------------


def _line(raw: str) -> Callable[[Path], Path]:
    return lambda p: bundle(p, lines=[raw.encode("utf-8")])


def _canonical_with(extra: bytes) -> Callable[[Path], Path]:
    """A canonical line of a valid item with ``extra`` spliced in before the last brace."""

    def make(path: Path) -> Path:
        line = canonical_bytes(item(0))
        return bundle(path, lines=[line[:-1] + extra + b"}"])

    return make


def _items(*made: dict[str, Any]) -> Callable[[Path], Path]:
    return lambda p: bundle(p, list(made))


def _manifest(edit: Callable[[dict[str, Any]], None]) -> Callable[[Path], Path]:
    return lambda p: bundle(p, edit=edit)


def _manifest_text(text: str) -> Callable[[Path], Path]:
    return lambda p: bundle(p, manifest=text.encode("utf-8"))


def _deep(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth - 1):
        value = {"k": value}
    return value


_GOOD_MANIFEST = json.dumps(manifest_for([canonical_bytes(item(0))]))

HOSTILE: dict[str, tuple[Callable[[Path], Path], str]] = {
    # numbers JSON does not have
    "NaN in an item": (
        lambda p: bundle(
            p, lines=[canonical_bytes(item(0)).replace(b'"picked":null', b'"picked":NaN')]
        ),
        ITEM0 + r"not valid JSON \(invalid character",
    ),
    "Infinity in the manifest": (
        _manifest_text(_GOOD_MANIFEST[:-1] + ', "x": Infinity}'),
        PREFIX + r"manifest\.json: holds Infinity, which is not a JSON number\.$",
    ),
    "1e999 in the manifest": (
        _manifest_text(_GOOD_MANIFEST[:-1] + ', "x": 1e999}'),
        PREFIX + r"manifest\.json: holds a number too large for a double \(1e999\)\.$",
    ),
    # duplicate keys: msgspec keeps the last silently; a person's tool may show the first
    "duplicate key in an item": (
        _canonical_with(b',"restricted":true'),
        ITEM0 + r"has the key 'restricted' twice in one object\.$",
    ),
    "duplicate key in the settings": (
        lambda p: bundle(
            p,
            lines=[canonical_bytes(item(0)).replace(b'"settings":{}', b'"settings":{"t":1,"t":2}')],
        ),
        ITEM0 + r"has the key 't' twice in one object\.$",
    ),
    "duplicate key in the manifest": (
        _manifest_text(_GOOD_MANIFEST[:-1] + ', "week": "2026-W49"}'),
        PREFIX + r"manifest\.json: has the key 'week' twice in one object\.$",
    ),
    # text that is not text
    "lone surrogate in a text": (
        lambda p: bundle(
            p, lines=[canonical_bytes(item(0)).replace(b"Sum the", b"\\ud800Sum the")]
        ),
        ITEM0 + r"not valid JSON \(a lone UTF-16 surrogate escape, which is not text\)\.$",
    ),
    "lone surrogate in the manifest": (
        _manifest_text(_GOOD_MANIFEST[:-1] + ', "x": "\\udc00"}'),
        PREFIX + r"manifest\.json: holds a lone UTF-16 surrogate",
    ),
    "NUL in a text": (
        _items(item(0, input="Sum\x00 the rows")),
        ITEM0 + r"field 'input' holds the control character U\+0000\.$",
    ),
    "terminal escape in a text": (
        _items(item(0, output="\x1b[2J\x1b[31mgotcha")),
        ITEM0 + r"field 'output' holds the control character U\+001B\.$",
    ),
    "escape in an id": (
        _items(item(0, id="item-\x1b[2J")),
        ITEM0 + r"field 'id' holds the control or formatting character U\+001B\.$",
    ),
    "bidi override in a model version": (
        _items(item(0, model={"name": "m", "version": "1\u202e2", "settings": {}})),
        ITEM0 + r"field 'version' of 'model' holds the control or formatting character U\+202E",
    ),
    "newline in a bundle id": (
        _manifest(lambda m: m.update(bundle_id="b\nsecond line")),
        PREFIX + r"manifest\.json field 'bundle_id' holds the control or formatting",
    ),
    "control character in the settings": (
        _items(item(0, model={"name": "m", "version": "1", "settings": {"stop": "\x07"}})),
        ITEM0 + r"field 'settings' of 'model' holds the control character U\+0007\.$",
    ),
    # nesting
    "settings nested too deep": (
        _items(item(0, model={"name": "m", "version": "1", "settings": _deep(17)})),
        ITEM0 + r"field 'settings' of 'model' is nested more than 16 deep\.$",
    ),
    "item nested past the parser's stack": (
        lambda p: bundle(
            p,
            lines=[
                canonical_bytes(item(0)).replace(
                    b'"settings":{}', b'"settings":' + b'{"a":' * 5000 + b"1" + b"}" * 5000
                )
            ],
        ),
        ITEM0 + r"nested too deeply\.$",
    ),
    "manifest nested past the parser's stack": (
        _manifest_text(_GOOD_MANIFEST[:-1] + ', "x": ' + "[" * 5000 + "]" * 5000 + "}"),
        PREFIX + r"manifest\.json: nested too deeply\.$",
    ),
    # wrong types and out-of-range values in the manifest
    "manifest item_count a string": (
        _manifest(lambda m: m.update(item_count="1")),
        r"field 'item_count' must be a whole number, not a string\.$",
    ),
    "manifest files a list": (
        _manifest(lambda m: m.update(files=[])),
        r"field 'files' must be an object, not a list\.$",
    ),
    "statistics count a string": (
        _manifest(lambda m: m.update(statistics={"by_signal": {"edit": "3"}})),
        r"a value in 'statistics\.by_signal' must be a whole number, not a string\.$",
    ),
    "statistics count negative": (
        _manifest(lambda m: m.update(statistics={"events": -5})),
        r"field 'events' of 'statistics' must be a whole number >= 0\.$",
    ),
    "statistics share above one": (
        _manifest(
            lambda m: m.update(
                statistics={
                    "low_intent": {"rating": {"count": 1, "negative": 1, "share_negative": 7}}
                }
            )
        ),
        r"field 'share_negative' of 'statistics\.low_intent\[\.\.\.\]' must be a number <= 1",
    ),
    "statistics null where an object goes": (
        _manifest(lambda m: m.update(statistics={"holdout": "all"})),
        r"field 'holdout' of 'statistics' must be an object or null, not a string\.$",
    ),
    "options seed beyond 64 bits": (
        _manifest(lambda m: m.update(options={"seed": 2**70})),
        r"field 'seed' of 'options' must be a whole number <= 9223372036854775807\.$",
    ),
    "options week of another week": (
        _manifest(lambda m: m.update(options={"week": "2026-W47"})),
        PREFIX + r"manifest\.json field 'week' of 'options' must equal the bundle's week\.$",
    ),
    "created_at not a time": (
        _manifest(lambda m: m.update(created_at="last tuesday")),
        PREFIX + r"manifest\.json field 'created_at' is not an RFC 3339 timestamp\.$",
    ),
    "manifest size differs from items.jsonl": (
        _manifest(lambda m: m["files"]["items.jsonl"].update(size=1)),
        PREFIX + r"items\.jsonl is \d+ bytes; the manifest says 1\.$",
    ),
    "format version true": (
        _manifest(lambda m: m.update(format_version=True)),
        PREFIX + r"unknown bundle format version True",
    ),
    # routing flags that contradict each other, or the manifest
    "restricted and overlap": (
        _items(item(0) | {"restricted": True, "overlap": True, "pii": []}),
        ITEM0 + r"an item cannot be both restricted and overlap",
    ),
    "PII spans but not restricted": (
        _items(item(0) | {"pii": [{"kind": "email", "start": 0, "end": 3, "field": "input"}]}),
        ITEM0 + r"an item with PII spans must be restricted\.$",
    ),
    "holdout where the manifest allows none": (
        lambda p: bundle(
            p, [item(0) | {"holdout": True}], edit=lambda m: m.update(options={"holdout_rate": 0})
        ),
        PREFIX + r"manifest\.json says holdout_rate 0, but items are marked holdout\.$",
    ),
    "more overlap than the options allow": (
        lambda p: bundle(
            p,
            [item(n) | {"overlap": True} for n in range(11)],
            edit=lambda m: m.update(options={"overlap": 10}),
        ),
        PREFIX + r"11 items are marked overlap; the manifest's options allow 10\.$",
    ),
    "statistics that disagree with the items": (
        lambda p: bundle(p, [item(0)], edit=lambda m: m.update(statistics={"restricted": 4})),
        PREFIX + r"manifest\.json says 4 restricted items \(statistics\); items\.jsonl has 0\.$",
    ),
    # items that break the format's own rules
    "an edit without its after text": (
        _items(item(0, edited_output=None)),
        ITEM0 + r"field 'edited_output' is needed for a edit item\.$",
    ),
    "a pick on an edit": (
        _items(item(0, picked=0)),
        ITEM0 + r"field 'picked' is only for side_by_side items\.$",
    ),
    "a span past its text": (
        _items(
            item(0)
            | {
                "restricted": True,
                "pii": [{"kind": "email", "start": 0, "end": 999, "field": "input"}],
            }
        ),
        ITEM0 + r"entry 0 of 'pii' ends after the end of input\.$",
    ),
    "a span in no text": (
        _items(
            item(0)
            | {
                "restricted": True,
                "pii": [{"kind": "email", "start": 0, "end": 1, "field": "notes"}],
            }
        ),
        ITEM0 + r"entry 0 of 'pii' names 'notes', not one of the item's texts\.$",
    ),
    "captured_at not a time": (
        _items(item(0, captured_at="2026-13-45T99:00:00Z")),
        ITEM0 + r"field 'captured_at' is not an RFC 3339 timestamp\.$",
    ),
    "captured_at without an offset": (
        _items(item(0, captured_at="2026-11-24T10:00:00")),
        ITEM0 + r"field 'captured_at' needs a time zone offset",
    ),
    "an empty model version": (
        _items(item(0, model={"name": "m", "version": "", "settings": {}})),
        ITEM0 + r"field 'version' of 'model' must be a non-empty string\.$",
    ),
    "a negative span start": (
        _items(
            item(0)
            | {
                "restricted": True,
                "pii": [{"kind": "email", "start": -1, "end": 1, "field": "input"}],
            }
        ),
        ITEM0 + r"field 'start' of 'pii\[0\]' must be a whole number >= 0\.$",
    ),
    "an item of another week": (
        _items(item(0, week="2026-W47")),
        ITEM0 + r"field 'week' must equal the bundle's week\.$",
    ),
    "a pair without sides": (
        _items(pair(0, candidates=None)),
        ITEM0 + r"field 'candidates' is needed for a side_by_side item\.$",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_bundle_is_one_sentence_exit_2_and_nothing_written(
    ws: Path, tmp_path: Path, case: str
) -> None:
    make, message = HOSTILE[case]
    path = make(tmp_path / NAME)
    refused(ws, ["bundle", "import", str(path)], message)


# --- the zip itself ----------------------------------------------------------------------------


def _members() -> tuple[bytes, bytes]:
    line = canonical_bytes(item(0))
    return json.dumps(manifest_for([line])).encode(), line + b"\n"


@pytest.mark.parametrize(
    ("method", "name"),
    [(zipfile.ZIP_BZIP2, "bzip2"), (zipfile.ZIP_LZMA, "LZMA")],
)
def test_unsupported_compression_is_a_sentence(
    ws: Path, tmp_path: Path, method: int, name: str
) -> None:
    manifest, items = _members()
    path = zip_bundle(tmp_path / NAME, manifest, items, method=method)
    refused(
        ws,
        ["bundle", "import", str(path)],
        PREFIX + rf"member manifest\.json is compressed with {name}; bundles use only deflate",
    )


def test_an_unknown_compression_method_is_a_sentence(ws: Path, tmp_path: Path) -> None:
    manifest, items = _members()
    path = zip_bundle(tmp_path / NAME, manifest, items, method=zipfile.ZIP_STORED)
    raw = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):  # local and central
        start = 0
        while (at := raw.find(signature, start)) >= 0:
            raw[at + offset : at + offset + 2] = (93).to_bytes(2, "little")  # Zstandard
            start = at + 4
    path.write_bytes(bytes(raw))
    refused(ws, ["bundle", "import", str(path)], r"compressed with Zstandard")


def test_an_encrypted_member_is_a_sentence(ws: Path, tmp_path: Path) -> None:
    """zipfile cannot write an encrypted member: the flag is set in the headers by hand."""
    manifest, items = _members()
    path = zip_bundle(tmp_path / NAME, manifest, items)
    raw = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # local and central
        start = 0
        while (at := raw.find(signature, start)) >= 0:
            raw[at + offset] |= 0x1
            start = at + 4
    path.write_bytes(bytes(raw))
    refused(
        ws,
        ["bundle", "import", str(path)],
        PREFIX + r"member manifest\.json is encrypted; a bundle is never password-protected\.$",
    )


def test_a_damaged_deflate_stream_is_a_sentence(ws: Path, tmp_path: Path) -> None:
    manifest, items = _members()
    path = zip_bundle(tmp_path / NAME, manifest, items * 50)
    raw = bytearray(path.read_bytes())
    start = raw.find(b"items.jsonl") + len("items.jsonl") + 10
    raw[start : start + 20] = b"\xff" * 20
    path.write_bytes(bytes(raw))
    refused(ws, ["bundle", "import", str(path)], PREFIX + r"the zip is damaged|does not match")


def test_a_folder_or_a_fifo_is_not_a_bundle(ws: Path, tmp_path: Path) -> None:
    folder = tmp_path / "folder.lbundle"
    folder.mkdir()
    refused(ws, ["bundle", "import", str(folder)], r"folder\.lbundle: not a bundle \(not a regular")
    refused(ws, ["bundle", "import", str(tmp_path / "nowhere.lbundle")], r"cannot be read")
    fifo = tmp_path / "fifo.lbundle"
    os.mkfifo(fifo)
    refused(
        ws, ["bundle", "import", str(fifo)], r"fifo\.lbundle: not a bundle \(not a regular file\)"
    )


# --- documented limits: at the limit accepted, just past it refused ----------------------------


def test_text_at_the_cap_passes_and_one_past_is_refused(ws: Path, tmp_path: Path) -> None:
    """Long but valid code: 1 MiB characters of varied Python (it compresses as real code
    does, about 5:1), with tabs, form feeds, non-ASCII and a U+2028 in a comment."""
    rng = random.Random(5)
    code, n = "", 0
    while len(code) < formats.MAX_TEXT_CHARS:
        name = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 12)))
        code += (
            f"def {name}_{n}(rows, limit={rng.randint(0, 9999)}):\n"
            f"\t# résumé \u2028 naïve {rng.random():.6f}\n"
            f"\treturn [r * {rng.randint(2, 97)} for r in rows if r < limit]\n\x0c\n"
        )
        n += 1
    code = code[: formats.MAX_TEXT_CHARS]
    at = bundle(tmp_path / "at.lbundle", [item(0, output=code, edited_output=code + "")])
    assert "1 items added" in imports(ws, at)
    past = bundle(tmp_path / NAME, [item(1, output=code + "x")])
    refused(
        ws,
        ["bundle", "import", str(past)],
        ITEM0 + r"field 'output' must be a string of at most 1048576 characters\.$",
    )


@pytest.mark.parametrize(
    ("field", "cap", "message"),
    [
        ("id", formats.MAX_ID_CHARS, r"field 'id' must be a string of at most 200 characters"),
        (
            "model.version",
            formats.MAX_NAME_CHARS,
            r"field 'version' of 'model' must be a string of at most 200 characters",
        ),
        (
            "model.name",
            formats.MAX_NAME_CHARS,
            r"field 'name' of 'model' must be a string of at most 200 characters",
        ),
        ("captured_at", 40, r"field 'captured_at' must be a string of at most 40 characters"),
    ],
)
def test_name_caps_at_and_past(
    ws: Path, tmp_path: Path, field: str, cap: int, message: str
) -> None:
    def with_length(length: int) -> dict[str, Any]:
        made = item(0)
        if field == "captured_at":
            made["captured_at"] = "2026-11-24T10:00:00." + "0" * (length - 21) + "Z"
        elif field.startswith("model."):
            made["model"] = {**made["model"], field.split(".")[1]: "v" * length}
        else:
            made[field] = "i" * length
        made["content_hash"] = content_hash(made)
        return made

    assert "1 items added" in imports(ws, bundle(tmp_path / "at.lbundle", [with_length(cap)]))
    refused(ws, ["bundle", "import", str(bundle(tmp_path / NAME, [with_length(cap + 1)]))], message)


def test_settings_caps_at_and_past(ws: Path, tmp_path: Path) -> None:
    def settings(size: int) -> dict[str, Any]:
        base = len(canonical_bytes({"p": ""}))
        return {"p": "s" * (size - base)}

    at = [
        item(
            0, model={"name": "m", "version": "1", "settings": settings(formats.MAX_SETTINGS_BYTES)}
        ),
        item(1, model={"name": "m", "version": "1", "settings": _deep(formats.MAX_SETTINGS_DEPTH)}),
    ]
    assert "2 items added" in imports(ws, bundle(tmp_path / "at.lbundle", at))
    big = item(
        2, model={"name": "m", "version": "1", "settings": settings(formats.MAX_SETTINGS_BYTES + 1)}
    )
    refused(
        ws,
        ["bundle", "import", str(bundle(tmp_path / NAME, [big]))],
        ITEM0 + r"field 'settings' of 'model' is 65537 bytes of JSON \(at most 65536\)\.$",
    )


def test_retry_path_cap_at_and_past(ws: Path, tmp_path: Path) -> None:
    def retried(number: int, steps: int) -> dict[str, Any]:
        steps_made = [{"change": "shorter", "output": f"take {i}"} for i in range(steps)]
        return item(number, signal="retry", edited_output=None, retries=steps_made)

    assert "1 items added" in imports(
        ws, bundle(tmp_path / "at.lbundle", [retried(0, formats.MAX_RETRIES)])
    )
    refused(
        ws,
        ["bundle", "import", str(bundle(tmp_path / NAME, [retried(1, formats.MAX_RETRIES + 1)]))],
        ITEM0 + r"field 'retries' must be a list of at most 100 entries\.$",
    )


def test_span_count_at_and_past(ws: Path, tmp_path: Path) -> None:
    text = _incompressible(formats.MAX_SPANS + 2)

    def spanned(number: int, count: int) -> dict[str, Any]:
        spans = [
            {"kind": "email", "start": i, "end": i + 1, "field": "input"} for i in range(count)
        ]
        return item(number, input=text) | {"restricted": True, "pii": spans}

    assert "1 items added" in imports(
        ws, bundle(tmp_path / "at.lbundle", [spanned(0, formats.MAX_SPANS)])
    )
    refused(
        ws,
        ["bundle", "import", str(bundle(tmp_path / NAME, [spanned(1, formats.MAX_SPANS + 1)]))],
        ITEM0 + r"field 'pii' must be a list of at most 100000 entries\.$",
    )


def _incompressible(length: int, seed: int = 3) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(length))


def test_manifest_size_cap_at_and_past(ws: Path, tmp_path: Path) -> None:
    line = canonical_bytes(item(0))

    def padded(size: int) -> bytes:
        document = manifest_for([line], padding="")
        base = len(json.dumps(document).encode())
        document["padding"] = _incompressible(size - base)
        data = json.dumps(document).encode()
        assert len(data) == size
        return data

    at = zip_bundle(tmp_path / "at.lbundle", padded(bundle_file.MAX_MANIFEST_BYTES), line + b"\n")
    assert "1 items added" in imports(ws, at)
    past = zip_bundle(tmp_path / NAME, padded(bundle_file.MAX_MANIFEST_BYTES + 1), line + b"\n")
    refused(
        ws,
        ["bundle", "import", str(past)],
        PREFIX
        + r"manifest\.json expands beyond the cap \(it declares 1048577 bytes: at most 1048576",
    )


def _whitespace_manifest(extra: int) -> bytes:
    """A valid manifest padded with spaces (they compress about 1000:1)."""
    return json.dumps(manifest_for([canonical_bytes(item(0))])).encode()[:-1] + b" " * extra + b"}"


def test_compression_ratio_at_and_past(ws: Path, tmp_path: Path) -> None:
    """The cap is uncompressed <= 200 x compressed + 64 KiB (the slack lets small, very
    compressible members through). A manifest padded with spaces is found, by search, whose
    size is exactly the cap; it passes, and one more space is refused."""
    line = canonical_bytes(item(0))

    def over(extra: int) -> int:
        buffer = io.BytesIO()
        zip_bundle(buffer, _whitespace_manifest(extra), line + b"\n")  # type: ignore[arg-type]
        with zipfile.ZipFile(buffer) as archive:
            info = archive.getinfo("manifest.json")
        return info.file_size - (info.compress_size * bundle_file.MAX_COMPRESSION_RATIO + 65536)

    extra = next(e for e in range(120_000, 250_000) if over(e) == 0 and over(e + 1) == 1)
    at = zip_bundle(tmp_path / "at.lbundle", _whitespace_manifest(extra), line + b"\n")
    assert "1 items added" in imports(ws, at)
    past = zip_bundle(tmp_path / NAME, _whitespace_manifest(extra + 1), line + b"\n")
    refused(ws, ["bundle", "import", str(past)], PREFIX + r"manifest\.json expands beyond the cap")


def test_item_count_at_and_past(tmp_path: Path, ws: Path) -> None:
    """200,000 items pass validation (read_bundle: the import's checks without the insert's
    time); 200,001 lines are refused before one is parsed."""
    lines = [canonical_bytes(item(n)) for n in range(formats.MAX_ITEMS)]
    at = bundle(tmp_path / "at.lbundle", lines=lines)
    assert sum(1 for _ in open_bundle(at).items()) == formats.MAX_ITEMS
    body = b"".join(line + b"\n" for line in [*lines, canonical_bytes(item(formats.MAX_ITEMS))])
    document = manifest_for(lines)  # item_count 200,000: the most a manifest may say
    document["files"]["items.jsonl"] = {
        "sha256": hashlib.sha256(body).hexdigest(),
        "size": len(body),
    }
    past = zip_bundle(tmp_path / NAME, json.dumps(document).encode(), body)
    refused(ws, ["bundle", "import", str(past)], PREFIX + r"more than 200000 items")


def test_a_file_larger_than_any_bundle_is_refused_before_it_is_read(
    ws: Path, tmp_path: Path
) -> None:
    """Sparse files: the size is checked from stat(), so a 4 GiB file costs no memory; at the
    largest size a bundle can have, the file is opened (and found not to be a zip)."""
    at = tmp_path / "at.lbundle"
    with at.open("wb") as handle:
        handle.truncate(bundle_file.MAX_BUNDLE_BYTES)
    refused(ws, ["bundle", "import", str(at)], r"at\.lbundle: not a bundle \(not a zip file\)\.$")
    huge = tmp_path / NAME
    with huge.open("wb") as handle:
        handle.truncate(4 * 1024**3)
    refused(
        ws,
        ["bundle", "import", str(huge)],
        PREFIX + r"the file is 4294967296 bytes, more than a bundle can hold",
    )


def test_declared_member_size_is_checked_before_decompressing(ws: Path, tmp_path: Path) -> None:
    """items.jsonl declaring 1 GiB + 1 is refused from the central directory; declaring 1 GiB
    exactly passes that check (and then the data is found missing)."""
    manifest, items = _members()

    def declaring(size: int, name: str) -> Path:
        path = zip_bundle(tmp_path / name, manifest, items, method=zipfile.ZIP_STORED)
        raw = bytearray(path.read_bytes())
        central = raw.find(b"PK\x01\x02", raw.find(b"PK\x01\x02") + 4)  # items.jsonl's entry
        raw[central + 20 : central + 24] = size.to_bytes(4, "little")  # compressed size
        raw[central + 24 : central + 28] = size.to_bytes(4, "little")  # uncompressed size
        path.write_bytes(bytes(raw))
        return path

    cap = bundle_file.MAX_UNCOMPRESSED_BYTES
    refused(
        ws,
        ["bundle", "import", str(declaring(cap, "at.lbundle"))],
        r"at\.lbundle: (zip members overlap|the zip is damaged)",
    )
    refused(
        ws,
        ["bundle", "import", str(declaring(cap + 1, NAME))],
        PREFIX + r"items\.jsonl expands beyond the cap \(it declares 1073741825 bytes",
    )


# --- legitimate bundles pass -----------------------------------------------------------------


def test_legitimate_texts_pass(ws: Path, tmp_path: Path) -> None:
    texts = {
        "layout and separators": "a\tb\nc\r\nd\x0be\x0cf\x1cg\x1dh\x1ei\x1fj",
        "unicode line breaks": "one\u2028two\u2029three\x85four",
        "DEL and C1 in a text": "x\x7fy\x9bz",
        "emoji as a surrogate pair escape": "\U0001f600 ok",
        "bidi marks in a text": "שלום \u202eabc",
        "code with escapes": 'print("\\x1b[0m")  # the escape written out, not the character',
    }
    made = [
        item(n, input=text, output=text, edited_output=text + "!")
        for n, text in enumerate(texts.values())
    ]
    line = canonical_bytes(made[3]).replace("\U0001f600".encode(), b"\\ud83d\\ude00")
    lines = [canonical_bytes(m) for m in made]
    lines[3] = line
    assert f"{len(made)} items added" in imports(ws, bundle(tmp_path / "ok.lbundle", lines=lines))


def test_a_non_canonical_but_valid_bundle_passes(ws: Path, tmp_path: Path) -> None:
    """Spaces, another key order, escaped non-ASCII: valid JSON another tool may write."""
    made = item(0, input="naïve – ok")
    line = json.dumps(dict(reversed(list(made.items()))), ensure_ascii=True, indent=None).encode()
    assert "1 items added" in imports(ws, bundle(tmp_path / "ok.lbundle", lines=[line]))


# --- routing is re-derived on import ------------------------------------------------------------


def test_routing_comes_from_the_detector_not_the_file(tmp_path: Path, memory_keyring) -> None:
    """An email and a card number in texts flagged unrestricted, and a sensitive_data item
    flagged unrestricted and overlap, are restricted on import and never reach a training
    pack unredacted."""
    path = tmp_path / "ws.lbw"
    made = [
        item(0, input="Mail ana@example.com about the refund"),
        item(1, edited_output="paid with 4111 1111 1111 1111 yesterday"),
        item(2, reason_code="sensitive_data") | {"overlap": True},
        item(3),
    ]
    with Workspace.create(path) as ws:
        ws.session.create_profile("Lee", "lead", restricted_access=False)
    result = run(
        "--workspace", str(path), "bundle", "import", str(bundle(tmp_path / "r.lbundle", made))
    )
    assert (
        result.exit_code == 0
        and "3 items the bundle did not restrict were restricted" in result.output
    )
    with Workspace.open(path) as ws:
        stored = {i.id: i for i in item_rows.all_items(ws.store)}
        first, second, third, fourth = (stored[m["id"]] for m in made)
        assert first.restricted and [s.kind for s in first.pii] == ["email"]
        assert second.restricted and second.pii[0].field == "edited_output"
        assert third.restricted and not third.overlap and not third.pii
        assert not fourth.restricted
        session = ws.session
        for one in stored.values():
            if not one.restricted:
                session.save_label(
                    one,
                    {"verdict": "correct", "safety": "pass", "formatting": "pass"},
                    "2026-11-24T10:00:00.000Z",
                    3,
                )
        manifest = export_pack(session, PackOptions("training"), tmp_path / "pack")
    packed = (tmp_path / "pack" / "labels.jsonl").read_text()
    assert "ana@example.com" not in packed and "4111" not in packed
    assert manifest["counts"]["excluded"]["restricted_unredacted"] == 3


def test_the_same_refusal_leaves_a_populated_workspace_unchanged(ws: Path, tmp_path: Path) -> None:
    """Not only an empty workspace: one holding a bundle, after a hostile import, is the
    same bytes."""
    imports(ws, bundle(tmp_path / "first.lbundle", [item(n) for n in range(5)]))
    before = fingerprint(ws)
    make, message = HOSTILE["duplicate key in an item"]
    refused(ws, ["bundle", "import", str(make(tmp_path / NAME))], message)
    assert fingerprint(ws) == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"input": "a\x00b"},
            r"e\.jsonl line 1: field 'input' holds the control character U\+0000",
        ),
        (
            {"model": {"name": "m", "version": "1\u202e", "settings": {}}},
            r"e\.jsonl line 1: field 'model\.version' holds the control or formatting character",
        ),
        (
            {"model": {"name": "m", "version": "1", "settings": _deep(17)}},
            r"e\.jsonl line 1: field 'settings' of 'model' is nested more than 16 deep",
        ),
    ],
)
def test_the_builder_refuses_what_the_import_would(
    tmp_path: Path, change: dict[str, Any], message: str, memory_keyring: object
) -> None:
    """So the project never writes a bundle its own import refuses."""
    from tests.factories import team_workspace
    from tests.triage.test_sampling import make_events, write

    events = make_events([(0, 0, 1)])
    events[0].update(change)
    path = write(tmp_path / "e.jsonl", events)
    result = run(
        "--workspace", team_workspace(tmp_path / "t.lbw"), "bundle", "build", str(path),
        "--week", "2026-W48", "-o", str(tmp_path / "o.lbundle"),
    )  # fmt: skip
    assert result.exit_code == 2 and re.search(message, result.stderr), result.output
    assert not (tmp_path / "o.lbundle").exists()
