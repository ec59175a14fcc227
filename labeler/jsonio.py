"""JSON in one place: the canonical form that hashes and signatures are computed over, the
one reader of JSON-lines files that come from other machines, and decoding into the msgspec
declarations of our file formats with one-sentence errors.

Canonical JSON is orjson's with sorted keys: no whitespace, UTF-8, shortest round-trip floats.
orjson, not the stdlib: import must parse and hash 100k items in a budget the stdlib's
escaping (7 us per item to re-encode) and parsing (3.5x slower) did not meet. (msgspec's
encoder is not used for it: it writes ``1e16`` where orjson writes ``1e+16``, and hashes made
by earlier versions must still match.)

Rule for callers: input from another machine is decoded with ``decode``/``convert``/
``read_lines`` into a format declaration (``labeler/*/formats.py``); what is wrong comes back
as a ``ValidationError`` naming the place and the field, never as msgspec's own text.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import msgspec
import orjson

from labeler.errors import ValidationError

_SORTED = orjson.OPT_SORT_KEYS
T = TypeVar("T")
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_BASE = "https://labeler.example/formats/"


def canonical_bytes(value: Any) -> bytes:
    """The canonical encoding of ``value`` (sorted keys, no whitespace, UTF-8)."""
    return orjson.dumps(value, option=_SORTED)


def canonical_json(value: Any) -> str:
    return orjson.dumps(value, option=_SORTED).decode("utf-8")


def pretty_json(value: Any) -> str:
    """Indented, sorted, ending in a newline: for files people read (manifests, --json)."""
    return orjson.dumps(value, option=_SORTED | orjson.OPT_INDENT_2).decode("utf-8") + "\n"


def split_lines(data: bytes) -> list[bytes]:
    """The lines of a JSON-lines file, a final newline ending the last line, not adding one.

    Lines end at ``\\n`` (and ``\\r\\n``: the ``\\r`` is JSON whitespace) only, as the writers
    end them: splitting on every Unicode line break (U+2028, U+0085, ...) would cut a JSON
    string that holds one.
    """
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return lines


def read_objects(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, object) for every non-blank line; ``where`` is "name line N" for messages."""
    yield from read_lines(path, dict[str, Any])


def read_lines(path: Path, kind: type[T]) -> Iterator[tuple[str, T]]:
    """(where, value decoded as ``kind``) for every non-blank line of a JSON-lines file."""
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ValidationError(f"{path}: cannot be read ({err.strerror}).") from None
    decoder = msgspec.json.Decoder(kind)
    for number, line in enumerate(split_lines(data), start=1):
        if not line.strip():
            continue
        where = f"{path.name} line {number}"
        try:
            value = decoder.decode(line)
        except msgspec.DecodeError as err:
            raise ValidationError(f"{where}: {problem(err, kind, line, 'the line')}.") from None
        except RecursionError:
            raise ValidationError(f"{where}: nested too deeply.") from None
        yield where, value


def decode(data: bytes | str, kind: type[T], where: str, root: str = "the value") -> T:
    """``data`` (one JSON text) as ``kind``; ``ValidationError`` "where: what is wrong."."""
    try:
        return msgspec.json.decode(data, type=kind)
    except msgspec.DecodeError as err:
        raise ValidationError(f"{where}: {problem(err, kind, data, root)}.") from None
    except RecursionError:
        raise ValidationError(f"{where}: nested too deeply.") from None


def convert(value: Any, kind: type[T], where: str, root: str = "the value") -> T:
    """A parsed ``value`` (a CSV row, a signed payload) checked and turned into ``kind``."""
    try:
        return msgspec.convert(value, kind)
    except msgspec.ValidationError as err:
        raise ValidationError(f"{where}: {problem(err, kind, root=root)}.") from None
    except RecursionError:
        raise ValidationError(f"{where}: nested too deeply.") from None


# --- what JSON readers disagree on, refused for input from elsewhere -------------------------
# msgspec and orjson keep the last of two equal keys, other readers the first: a file could
# show one value to a person's tool and another to us. The stdlib parser, given hooks, sees
# every key and every number; it is used for the envelopes, manifests and payloads (small),
# and for bundle lines only when their canonical re-encoding differs (bundle_file).

_SURROGATE = re.compile("[\ud800-\udfff]")
# Names (ids, versions, display names): no control characters (C0, DEL, C1), no line or
# paragraph separators and no bidirectional overrides or isolates, which can make a name
# print as another ("Trojan Source"). Texts (customer texts, notes): layout (tab, line feed,
# vertical tab, form feed, carriage return) and the separators U+001C-U+001F (line breaks to
# Python, record separators in real data) are text; NUL, ESC (terminal escapes) and the other
# C0 controls are not.
NAME_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
TEXT_FORBIDDEN = re.compile("[\x00-\x08\x0e-\x1b]")


class _Refused(Exception):
    """Raised inside the parser's hooks; becomes the end of our sentence."""


def _check_string(value: str) -> None:
    if not value.isascii() and _SURROGATE.search(value):
        raise _Refused("holds a lone UTF-16 surrogate (\\ud800-\\udfff), which is not text")


def _check_list(values: list[Any]) -> None:
    for value in values:
        if isinstance(value, str):
            _check_string(value)
        elif isinstance(value, list):
            _check_list(value)


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _Refused(f"has the key {_quoted(key)} twice in one object")
        _check_string(key)
        if isinstance(value, str):
            _check_string(value)
        elif isinstance(value, list):  # objects inside were checked by their own hook
            _check_list(value)
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise _Refused(f"holds {name}, which is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _Refused(f"holds a number too large for a double ({text[:40]})")
    return value


def _quoted(text: str, limit: int = 60) -> str:
    """A name from a file, safe to put in a sentence: cut, and controls escaped by repr."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


def strict_loads(data: bytes | str, where: str) -> Any:
    """One JSON text from another machine, refusing what JSON readers disagree on: a key twice
    in one object, NaN or Infinity, a number beyond a double, a lone surrogate (not text:
    UTF-8 and SQLite cannot hold it), and nesting deeper than the parser's stack."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError(f"{where}: not valid UTF-8.") from None
    try:
        value = json.loads(
            data, object_pairs_hook=_unique_pairs, parse_constant=_no_constant, parse_float=_finite
        )
        if isinstance(value, str):
            _check_string(value)
        elif isinstance(value, list):
            _check_list(value)
    except _Refused as err:
        raise ValidationError(f"{where}: {err}.") from None
    except RecursionError:
        raise ValidationError(f"{where}: nested too deeply.") from None
    except json.JSONDecodeError as err:
        raise ValidationError(
            f"{where}: not valid JSON ({err.msg} at line {err.lineno} column {err.colno})."
        ) from None
    except ValueError as err:  # e.g. an integer of more than 4300 digits
        raise ValidationError(f"{where}: not valid JSON ({str(err)[:80]}).") from None
    return value


def decode_strict(data: bytes | str, kind: type[T], where: str, root: str = "the value") -> T:
    """``strict_loads`` then ``convert``: a file's bytes checked as JSON, then as ``kind``."""
    return convert(strict_loads(data, where), kind, where, root)


def name_problem(value: str) -> str | None:
    """Why ``value`` cannot be a name (an id, a version, a display name), or None."""
    if value.isprintable():  # every forbidden character is a non-printable one (C*, Z[lp])
        return None
    found = NAME_FORBIDDEN.search(value)
    if found is None:
        return None
    return f"holds the control or formatting character U+{ord(found.group()):04X}"


_TEXT_FORBIDDEN_BYTES = bytes(range(0x00, 0x09)) + bytes(range(0x0E, 0x1C))


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be a text (customer text, a note), or None.

    A byte-level scan first (UTF-8 never puts a byte below 0x80 inside a longer character):
    about 2 us a KB here, where the regular expression takes 10.
    """
    data = value.encode("utf-8", "surrogatepass")
    if len(data.translate(None, _TEXT_FORBIDDEN_BYTES)) == len(data):
        return None
    found = TEXT_FORBIDDEN.search(value)
    if found is None:
        return None
    return f"holds the control character U+{ord(found.group()):04X}"


def json_schema(kind: Any, file_name: str, title: str) -> dict[str, Any]:
    """The published JSON Schema (draft 2020-12) of a format declaration."""
    generated = msgspec.json.schema(kind)
    document: dict[str, Any] = {"$schema": SCHEMA_DIALECT, "$id": SCHEMA_BASE + file_name}
    document["title"] = title
    document.update(_unwrapped_descriptions(generated))
    return document


def _unwrapped_descriptions(node: Any) -> Any:
    """Docstrings become descriptions: join their source line breaks into one paragraph."""
    if isinstance(node, dict):
        return {
            key: " ".join(value.split())
            if key == "description" and isinstance(value, str)
            else _unwrapped_descriptions(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_unwrapped_descriptions(value) for value in node]
    return node


# --- msgspec's error text, turned into our sentence ------------------------------------------
# msgspec says e.g. "Expected `int`, got `str` - at `$.items[0].seq`"; we say "field 'seq' of
# 'items[0]' must be a whole number, not a string". Its message forms are few and stable.

_AT = " - at `"
_WANTED = {
    "str": "a string", "int": "a whole number", "float": "a number", "bool": "true or false",
    "null": "null", "object": "an object", "array": "a list",
}  # fmt: skip
_GOT = {
    "str": "a string", "int": "a number", "float": "a number", "bool": "true/false",
    "null": "null", "object": "an object", "array": "a list",
}  # fmt: skip
_UNIT = {"str": "characters", "array": "entries", "object": "fields"}
_BOUND = {">=": "at least", "<=": "at most", ">": "more than", "<": "fewer than"}
_EXPECTED_GOT = re.compile(r"Expected `(?P<want>[^`]+)`, got `(?P<got>[^`]+)`")
_EXPECTED_LENGTH = re.compile(r"Expected `(?P<want>[^`]+)` of length (?P<op>[<>]=?) (?P<n>\d+)")
_EXPECTED_REGEX = re.compile(r"Expected `(?P<want>[^`]+)` matching regex (?P<regex>.+)")
_EXPECTED_BOUND = re.compile(r"Expected `(?P<want>[^`]+)` (?P<op>[<>]=?) (?P<n>\S+)")
_FIELD = re.compile(r"Object (?P<what>missing required|contains unknown) field `(?P<name>[^`]+)`")
_ENUM = re.compile(r"Invalid (?:enum )?value (?P<value>.+)")
_LONE_SURROGATE = re.compile(
    rb"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])"
    rb"|(?<![0-9a-fA-F]{2})(?<!\\u[dD][89abAB])\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)
_LAST = re.compile(r"^(?P<parent>.*?)(?:\.(?P<name>[^.\[\]]+)|\[(?P<index>[^\]]*)\])$")


def problem(
    err: msgspec.DecodeError,
    kind: Any = None,
    data: bytes | str | None = None,
    root: str = "the value",
) -> str:
    """What msgspec found wrong, as the end of our sentence: "field 'x' of 'y' must be ...",
    "not valid JSON (...)"; ``root`` names the whole value ("the line", "the payload")."""
    text = str(err)
    if not isinstance(err, msgspec.ValidationError):
        if isinstance(data, bytes) and not _is_utf8(data):
            return "not valid UTF-8"
        if data is not None and _LONE_SURROGATE.search(
            data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
        ):  # msgspec says only "truncated" for these
            return "not valid JSON (a lone UTF-16 surrogate escape, which is not text)"
        detail = text.removeprefix("JSON is malformed: ").replace(
            "Input data was truncated", "it ends early"
        )
        return f"not valid JSON ({detail})"
    message, _, path = text.partition(_AT)
    path = path.rstrip("`").removeprefix("$").lstrip(".")
    found = _FIELD.fullmatch(message)
    if found:
        inner = found["name"] if not path else f"{found['name']}' of '{path}"
        if found["what"] == "missing required":
            return f"field '{inner}' is missing"
        return f"unknown field '{found['name']}'" + (f" in '{path}'" if path else "")
    return f"{_subject(path, root)} {_phrase(message, kind, path)}"


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _subject(path: str, root: str) -> str:
    if not path:
        return root
    last = _LAST.fullmatch(path)
    if last is None:
        return f"field '{path}'"
    parent = last["parent"]
    if last["name"] is not None:
        return f"field '{last['name']}'" + (f" of '{parent}'" if parent else "")
    if last["index"] == "...":
        return f"a value in '{parent}'"
    return f"entry {last['index']} of '{parent}'"


def _words(types: str, table: dict[str, str]) -> str:
    names = [table.get(name, name) for name in types.split(" | ")]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _phrase(message: str, kind: Any, path: str) -> str:
    """The predicate: "must be ...", "is ..."."""
    if message == "Expected `object`, got `array`" and not path:
        return "must be a JSON object, not a list"
    if found := _EXPECTED_GOT.fullmatch(message):
        got = _words(found["got"], _GOT)
        allowed = _allowed_values(kind, path)
        if allowed:  # a choice: name the choices, not their type
            choices = [str(value) for value in allowed]
            choices += ["null"] if "null" in found["want"].split(" | ") else []
            return f"must be {_words(' | '.join(choices), {})}, not {got}"
        return f"must be {_words(found['want'], _WANTED)}, not {got}"
    if found := _EXPECTED_LENGTH.fullmatch(message):
        if found["op"] == ">=" and found["n"] == "1":
            return f"must be a non-empty {_words(found['want'], _WANTED).removeprefix('a ')}"
        unit = _UNIT.get(found["want"], "entries")
        bound = _BOUND[found["op"]]
        return f"must be {_words(found['want'], _WANTED)} of {bound} {found['n']} {unit}"
    if found := _EXPECTED_REGEX.fullmatch(message):
        try:  # msgspec quotes the pattern as a Python literal
            pattern = str(ast.literal_eval(found["regex"]))
        except (ValueError, SyntaxError):
            pattern = found["regex"]
        described = _description(kind, path)
        return f"must be a string matching {pattern}" + (f" ({described})" if described else "")
    if found := _EXPECTED_BOUND.fullmatch(message):
        return f"must be {_words(found['want'], _WANTED)} {found['op']} {found['n']}"
    if found := _ENUM.fullmatch(message):
        allowed = _allowed_values(kind, path)
        if allowed:
            return f"must be one of {', '.join(map(str, allowed))} (not {found['value']})"
        return f"has an unknown value {found['value']}"
    if message == "Number out of range":
        return "is a number out of range"
    return f"is invalid ({message})"


_STEP = re.compile(r"\.([^.\[\]]+)|\[([^\]]*)\]")


def _allowed_values(kind: Any, path: str) -> tuple[Any, ...]:
    """The literal values the declaration allows at ``path`` (best effort; () if unknown)."""
    from msgspec import inspect

    node = _unwrap(_node_at(kind, path))
    return node.values if isinstance(node, inspect.LiteralType) else ()


def _description(kind: Any, path: str) -> str | None:
    """The description a ``Meta`` gives the value at ``path``, if any."""
    from msgspec import inspect

    node = _node_at(kind, path)
    while isinstance(node, inspect.UnionType | inspect.Metadata):
        if isinstance(node, inspect.Metadata):
            described = (node.extra_json_schema or {}).get("description")
            if described:
                return str(described)
            node = node.type
        else:
            rest = [t for t in node.types if not isinstance(t, inspect.NoneType)]
            node = rest[0] if len(rest) == 1 else None
    return None


def _node_at(kind: Any, path: str) -> Any:
    """The declared type at a msgspec error path, walking structs, lists and dicts."""
    from msgspec import inspect

    if kind is None:
        return None
    node: Any = inspect.type_info(kind)
    for name, index in _STEP.findall("." + path if path and path[0] != "[" else path):
        node = _unwrap(node)
        if name and isinstance(node, inspect.StructType):
            fields = {f.encode_name: f.type for f in node.fields}
            if name not in fields:
                return None
            node = fields[name]
        elif index and isinstance(node, inspect.ListType | inspect.VarTupleType):
            node = node.item_type
        elif index and isinstance(node, inspect.DictType):
            node = node.value_type
        else:
            return None
    return node


def _unwrap(node: Any) -> Any:
    """Past metadata and the ``| None`` of an optional field, to the type that is checked."""
    from msgspec import inspect

    while True:
        if isinstance(node, inspect.Metadata):
            node = node.type
        elif isinstance(node, inspect.UnionType):
            rest = [t for t in node.types if not isinstance(t, inspect.NoneType)]
            if len(rest) != 1:
                return node
            node = rest[0]
        else:
            return node
