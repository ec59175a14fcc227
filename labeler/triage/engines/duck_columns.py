"""DuckDB projections of a source to normalised events (the columns engines.sql names).

JSON lines are read as JSON text per top-level field: a JSON string keeps its quotes, so a
number in a text field is told apart from a string, and nothing is unescaped that is not
needed (it is also faster than reading VARCHAR). The nested fields are read as structs and
lists of structs whose members are JSON text: the reader itself refuses a ``model`` that is
not an object or ``retries`` that is not a list (the reference reader then names the line),
which costs a third of re-parsing each nested field's text per check (measured: 1.8 s of a
3.4 s scan of 1M events). Parquet and CSV are read by their column types: what a column's
type settles (a struct ``model``, a list of structs ``retries``) is checked once, on the
schema, not per row. The payload keeps each field in its own type; only the picked events'
payloads are ever turned into JSON.
"""

from __future__ import annotations

import re

from labeler.domain import ALL_SIGNALS, REASON_CODES
from labeler.triage.engines import sql as q
from labeler.triage.formats import (
    MAX_ID_CHARS,
    MAX_NAME_CHARS,
    MAX_RETRIES,
    MAX_SETTINGS_BYTES,
    MAX_SETTINGS_DEPTH,
    MAX_SUBJECT_CHARS,
)

MAX_TEXT = 1_048_576
TEXT_FIELDS = ("input", "intent", "output", "edited_output", "ticket_text", "subject")
SHORT_FIELDS = ("event_id", "captured_at", "signal", "reason_code", "reaction")
NESTED_FIELDS = ("model", "retries", "candidates")
NUMBER_FIELDS = {"picked": ("0", "1"), "rating": ("1", "2", "3", "4", "5")}
FIELDS = (*SHORT_FIELDS, *TEXT_FIELDS, *NESTED_FIELDS, *NUMBER_FIELDS, "redaction_confirmed")
# What a picked event needs to become an item (check_event reads the rest as absent).
PAYLOAD = (
    *SHORT_FIELDS[:4], "input", "intent", "output", "edited_output", "subject", *NESTED_FIELDS,
    "picked",
)  # fmt: skip
PAIRS = {"retries": ("change", "output"), "candidates": ("model_version", "output")}
# A digit run this long may be an integer past 64 bits (model.settings' "out of range").
LONG_NUMBER = "[0-9]{19}"
# In the settings' JSON text: an escaped control character, such a digit run, or more
# containers than they may nest (their count bounds the depth).
SETTINGS_SUSPECT = rf"\\u00|\\b|{LONG_NUMBER}|([{{\[][^{{\[]*){{{MAX_SETTINGS_DEPTH + 1}}}"
NULL_TEXT = "CAST(NULL AS VARCHAR)"
# How read_json reads each field of a JSON line (JSON text unless nested).
JSON_READ_TYPES = {name: "JSON" for name in FIELDS} | {
    "model": "STRUCT(name JSON, version JSON, settings JSON)",
    "retries": 'STRUCT(change JSON, "output" JSON)[]',
    "candidates": 'STRUCT(model_version JSON, "output" JSON)[]',
}


def _kind(json: str, path: str = "$") -> str:
    return f"coalesce(json_type({json}, '{path}'), 'NULL')"


def _types(json: str, paths: list[str], expected: list[str]) -> str:
    """The JSON types at ``paths`` (one parse for them all) are ``expected`` ('-': absent)."""
    listed = ", ".join(f"'{path}'" for path in paths)
    return (
        f"list_transform(json_type({json}, [{listed}]), lambda x: coalesce(x, '-')) = "
        f"[{', '.join(repr(e) for e in expected)}]"
    )


def _json_model_ok(m: str) -> str:
    """null, or an object whose name and version are strings or null, settings an object."""
    kinds = f"json_type({m}, ['$', '$.name', '$.version', '$.settings'])"
    return (
        f"({m} IS NULL OR (list_transform({kinds}, lambda x: coalesce(x, 'NULL')) IN ("
        + ", ".join(
            f"['OBJECT', {a}, {b}, {c}]"
            for a in ("'VARCHAR'", "'NULL'")
            for b in ("'VARCHAR'", "'NULL'")
            for c in ("'OBJECT'", "'NULL'")
        )
        + ")))"
    )


def _json_pairs_ok(j: str, name: str) -> str:
    """A JSON list of {a, b} strings (exactly two of them for candidates); one parse per
    path list, not one per element (measured: per-element checks cost 5x)."""
    a, b = PAIRS[name]
    if name == "candidates":
        paths = ["$", "$[0]", f"$[0].{a}", f"$[0].{b}", "$[1]", f"$[1].{a}", f"$[1].{b}", "$[2]"]
        shape = ["ARRAY", "OBJECT", "VARCHAR", "VARCHAR", "OBJECT", "VARCHAR", "VARCHAR", "-"]
        return f"({j} IS NULL OR {_types(j, paths, shape)})"
    count = f"json_array_length({j})"
    every = " AND ".join(
        f"len(json_type({j}, '$[*].{key}')) = {count} AND "
        f"list_bool_and(list_transform(json_type({j}, '$[*].{key}'), lambda x: x = 'VARCHAR'))"
        for key in (a, b)
    )
    return f"({j} IS NULL OR (json_type({j}) = 'ARRAY' AND ({count} = 0 OR ({every}))))"


def _blank(text: str) -> str:
    """``text`` is empty or only white space (sql.BLANK). Such a text starts with a byte below
    '!' or past ASCII, so the pattern is matched only then (it cost 0.03 s a million ids)."""
    return (
        f"(CASE WHEN {text} >= '!' AND {text} < chr(128) THEN FALSE "
        f"ELSE regexp_full_match({text}, $blank) END)"
    )


def chars_at_most(text: str, limit: int, size: str | None = None) -> str:
    """``text`` has at most ``limit`` characters. Its size in bytes (``size``: an upper bound
    of them, free to compute) settles it but for a text past ``limit`` bytes; only then are
    the characters counted. (A CASE: DuckDB computes both sides of an OR, and counting every
    text's characters cost 0.15 s a million events.)"""
    size = size or f"strlen({text})"
    return f"(CASE WHEN {size} <= {limit} THEN TRUE ELSE length({text}) <= {limit} END)"


def _complete(signal: str, output: str, edited: str, retries: str, candidates: str) -> str:
    """The evidence each signal needs (events.drop_cause's missing_evidence)."""
    return (
        f"CASE {signal} WHEN 'edit' THEN {output} AND {edited} WHEN 'retry' THEN {retries} "
        f"WHEN 'side_by_side' THEN {candidates} WHEN 'sample' THEN {output} ELSE TRUE END"
    )


def _problem(valid: dict[str, str], v: dict[str, str]) -> str:
    """The first malformed field's name, in check_event's order, or NULL."""
    rules = {
        "event_id": f"NOT {valid['event_id']} OR {v['eid']} IS NULL OR "
        f"NOT {chars_at_most(v['eid'], MAX_ID_CHARS)}"
        f" OR {_blank(v['eid'])}",
        "signal": f"NOT {valid['signal']} OR {v['sig']} IS NULL OR {v['sig']} NOT IN "
        f"({q.in_list(ALL_SIGNALS)})",
        "captured_at": f"NOT {valid['captured_at']}",
        "reason_code": f"NOT {valid['reason_code']} OR {v['reason']} NOT IN "
        f"({q.in_list(REASON_CODES)})",
        "reaction": f"NOT {valid['reaction']} OR {v['reaction']} NOT IN ('up', 'down')",
    }
    for name in (*TEXT_FIELDS, *NESTED_FIELDS, *NUMBER_FIELDS, "redaction_confirmed"):
        rules[name] = f"NOT {valid[name]}"
    whens = " ".join(f"WHEN coalesce({rule}, FALSE) THEN '{name}'" for name, rule in rules.items())
    return f"CASE {whens} END"


def _suspect(
    names: list[str],
    versions: str,
    settings: str,
    retries: str,
    subject: str,
    long_text: str,
    json: bool,
) -> str:
    """The event may break a rule of the format only the reference's own check settles
    exactly: the name rule, model.settings' size, depth, numbers and control characters, the
    caps the format declares. Cheap, and never false for an event that breaks one: a flagged
    event is decoded and checked as the reference checks it (``payload.check_suspects``).
    (The text rule is the picked events' alone: ``events.check_picked_texts``.)

    ``names``: the id, model name and version, and ``versions``: the candidates' model
    versions (a list), as plain text or (``json``) as JSON text: measured on that text (a
    C0 character is escaped there, its length is an upper bound), they cost no parse;
    ``settings``: the settings' JSON text; ``retries``: how many steps; ``subject``: an upper
    bound of the subject's length; ``long_text``: a retry's or a candidate's text may be past
    the cap. (Regular expressions over these short texts cost next to nothing; extracting a
    JSON string cost 0.06 s a field per million events.)
    """
    pattern = f"'{q.JSON_NAME_FORBIDDEN if json else q.NAME_FORBIDDEN}'"
    quotes = 2 if json else 0  # a JSON string's two quotes
    length = "strlen"  # bytes: never fewer than the characters, and free
    # One expression over the names joined ('/' breaks no rule): a third of the calls.
    joined = "concat_ws('/', " + ", ".join(names) + ")"
    terms = [f"regexp_matches({joined}, {pattern})"] if names else []
    terms += [f"{length}({n}) > {MAX_NAME_CHARS + quotes}" for n in names]
    terms.append(
        f"list_bool_or(list_transform({versions}, lambda v: {length}(v) NOT BETWEEN "
        f"{1 + quotes} AND {MAX_NAME_CHARS + quotes} OR regexp_matches(v, {pattern})))"
    )
    terms.append(
        f"strlen({settings}) > {MAX_SETTINGS_BYTES // 2} OR regexp_matches({settings}, "
        f"'{SETTINGS_SUSPECT}')"
    )
    terms += [f"{retries} > {MAX_RETRIES}", f"{subject} > {MAX_SUBJECT_CHARS}", long_text]
    return "(" + " OR ".join(f"coalesce({term}, FALSE)" for term in terms) + ")"


def _members_longer(column: str, members: tuple[str, ...], json: bool) -> str:
    """Some member of the list's structs is longer than a text may be (in bytes: never fewer
    than its characters; JSON members are measured as JSON text, longer still)."""
    length = "strlen(CAST(s.{0} AS VARCHAR))" if json else "strlen(s.{0})"
    test = " OR ".join(f"{length.format(m)} > {MAX_TEXT}" for m in members)
    return f"list_bool_or(list_transform({column}, lambda s: {test}))"


def _select(columns: dict[str, str]) -> str:
    return ", ".join(f"{expr} AS {name}" for name, expr in columns.items())


def json_columns() -> str:
    """Normalised columns of a read_json source whose every field is typed JSON."""

    def text(c: str) -> str:
        return f"CAST({c} AS VARCHAR)"

    def is_text(c: str) -> str:
        # strlen (bytes) is free; a string is never longer in characters than in bytes.
        unquoted = f"{c}->>'$'"
        return (
            f"({c} IS NULL OR (starts_with({text(c)}, '\"') AND "
            f"{chars_at_most(unquoted, MAX_TEXT, f'strlen({text(c)}) - 2')}))"
        )

    def is_string(c: str) -> str:  # a member of a nested field: a JSON string
        return f"starts_with(CAST({c} AS VARCHAR), '\"')"

    def pair_ok(s: str, name: str) -> str:
        a, b = PAIRS[name]
        return f"({s} IS NOT NULL AND {is_string(f'{s}.{a}')} AND {is_string(f'{s}.{b}')})"

    valid = {name: is_text(name) for name in (*SHORT_FIELDS, *TEXT_FIELDS)}
    valid["model"] = (
        f"(model IS NULL OR ((model.name IS NULL OR {is_string('model.name')}) AND "
        f"(model.version IS NULL OR {is_string('model.version')}) AND "
        "(model.settings IS NULL OR starts_with(CAST(model.settings AS VARCHAR), '{'))))"
    )
    valid["retries"] = (
        "(retries IS NULL OR coalesce(list_bool_and(list_transform(retries, "
        f"lambda s: {pair_ok('s', 'retries')})), TRUE))"
    )
    # A lambda over the list: indexing candidates[1] and [2] cost 6x (measured).
    valid["candidates"] = (
        "(candidates IS NULL OR (len(candidates) = 2 AND list_bool_and(list_transform("
        f"candidates, lambda s: {pair_ok('s', 'candidates')}))))"
    )
    for name, allowed in NUMBER_FIELDS.items():
        valid[name] = f"({name} IS NULL OR {text(name)} IN ({q.in_list(allowed)}))"
    valid["redaction_confirmed"] = (
        f"(redaction_confirmed IS NULL OR {text('redaction_confirmed')} IN ('true', 'false'))"
    )
    v = {
        "eid": "event_id->>'$'",
        "ts": "captured_at->>'$'",
        "sig": "signal->>'$'",
        "reason": "reason_code->>'$'",
        "reaction": "reaction->>'$'",
    }
    columns = v | {
        "rating": f"try_cast({text('rating')} AS BIGINT)",
        "picked": f"try_cast({text('picked')} AS BIGINT)",
        "has_input": f"coalesce({text('input')} <> '\"\"', FALSE)",
        "has_intent": f"coalesce({text('intent')} <> '\"\"', FALSE)",
        "has_version": "coalesce(model.version->>'$' <> '', FALSE)",
        "complete": _complete(
            v["sig"], "output IS NOT NULL", "edited_output IS NOT NULL",
            "coalesce(len(retries) > 0, FALSE)", "candidates IS NOT NULL",
        ),
        # JSON text is re-serialised by the reader, so equal strings have equal text.
        "unchanged": f"coalesce({text('output')} = {text('edited_output')}, FALSE)",
        "problem": _problem(valid, v),
        "suspect": _suspect(
            [text("event_id"), text("model.name"), text("model.version")],
            "list_transform(candidates, lambda s: CAST(s.model_version AS VARCHAR))",
            "CAST(model.settings AS VARCHAR)",
            "len(retries)",
            f"strlen({text('subject')})",
            f"{_members_longer('retries', PAIRS['retries'], True)} OR "
            f"{_members_longer('candidates', ('output',), True)}",
            json=True,
        ),
        "src_file": "src_file",
        "payload": "{" + ", ".join(f"{q.quote(n)}: {n}" for n in PAYLOAD) + "}",
        "whole": "{" + ", ".join(f"{q.quote(n)}: {n}" for n in FIELDS) + "}",
    }  # fmt: skip
    return _select(columns)


def typed_columns(types: dict[str, str]) -> str:
    """Normalised columns of a Parquet or CSV source with these column types."""
    t = _Typed(types)
    valid = {name: t.text_ok(name) for name in (*SHORT_FIELDS, *TEXT_FIELDS)}
    valid |= {name: t.nested_ok(name) for name in NESTED_FIELDS}
    for name, allowed in NUMBER_FIELDS.items():
        number = t.number(name)
        # A value that is no whole number (text 'one', a boolean) is malformed, not absent.
        valid[name] = (
            f"({t.col(name)} IS NULL OR coalesce({number} IN ({', '.join(allowed)}), FALSE))"
        )
    valid["redaction_confirmed"] = t.confirmed_ok()
    v = {
        "eid": t.text("event_id"),
        "ts": t.text("captured_at"),
        "sig": t.text("signal"),
        "reason": t.text("reason_code"),
        "reaction": t.text("reaction"),
    }
    payload = {name: t.text(name) for name in (*SHORT_FIELDS, *TEXT_FIELDS)}
    payload |= {name: t.nested(name) for name in NESTED_FIELDS}
    payload |= {name: t.number(name) for name in NUMBER_FIELDS}
    payload["redaction_confirmed"] = t.confirmed()
    columns = v | {
        "rating": t.number("rating"),
        "picked": t.number("picked"),
        "has_input": f"coalesce({t.text('input')} <> '', FALSE)",
        "has_intent": f"coalesce({t.text('intent')} <> '', FALSE)",
        "has_version": f"coalesce({t.version()} <> '', FALSE)",
        "complete": _complete(
            v["sig"], f"{t.text('output')} IS NOT NULL", f"{t.text('edited_output')} IS NOT NULL",
            f"coalesce({t.length('retries')} > 0, FALSE)", f"{t.nested('candidates')} IS NOT NULL",
        ),
        "unchanged": f"coalesce({t.text('output')} = {t.text('edited_output')}, FALSE)",
        "problem": _problem(valid, v),
        "suspect": _suspect(
            [v["eid"], *t.model_names()],
            t.versions(),
            t.settings(),
            t.length("retries"),
            f"strlen({t.text('subject')})",
            f"{t.long_text('retries')} OR {t.long_text('candidates')}",
            json=False,
        ),
        "src_file": "src_file",
        "payload": "{" + ", ".join(f"{q.quote(n)}: {payload[n]}" for n in PAYLOAD) + "}",
        "whole": "{" + ", ".join(f"{q.quote(n)}: {payload[n]}" for n in FIELDS) + "}",
    }  # fmt: skip
    return _select(columns)


class _Typed:
    """Expressions for one typed source: a column may be missing, text, JSON text (CSV's
    nested fields, or Parquet's as strings) or native (structs and lists)."""

    def __init__(self, types: dict[str, str]) -> None:
        self.types = types

    def col(self, name: str) -> str:
        return name if name in self.types else "NULL"

    def is_text(self, name: str) -> bool:
        return self.types.get(name) == "VARCHAR"

    def text(self, name: str) -> str:
        return name if self.is_text(name) else NULL_TEXT

    def text_ok(self, name: str) -> str:
        if name not in self.types:
            return "TRUE"
        if not self.is_text(name):
            return f"({name} IS NULL)"  # an all-null column may come back as any type
        return f"({name} IS NULL OR {chars_at_most(name, MAX_TEXT)})"

    def native(self, name: str) -> bool:
        kind = self.types.get(name, "")
        return kind.startswith("STRUCT") or kind.endswith("[]")

    def nested(self, name: str) -> str:
        """The field as JSON (a text column) or as its native struct or list."""
        if self.native(name):
            return name
        if self.is_text(name) or self.types.get(name) == "JSON":
            return f"try_cast({name} AS JSON)"
        return "CAST(NULL AS JSON)"

    def nested_ok(self, name: str) -> str:
        if name not in self.types:
            return "TRUE"
        if self.native(name):
            return self._native_ok(name)
        if not (self.is_text(name) or self.types[name] == "JSON"):
            return f"({name} IS NULL)"
        j = self.nested(name)
        shape = _json_model_ok(j) if name == "model" else _json_pairs_ok(j, name)
        return f"({name} IS NULL OR ({j} IS NOT NULL AND {shape}))"

    def _native_ok(self, name: str) -> str:
        """What the schema settles is checked once; null members and lengths per row."""
        kind = self.types[name].replace(" ", "").replace('"', "")
        if name == "model":
            allowed = ("nameVARCHAR", "versionVARCHAR", "settingsSTRUCT", "settingsMAP")
            ok = kind.startswith("STRUCT(") and all(
                part.split("(")[0] in allowed for part in _members(kind)
            )
            return "TRUE" if ok else f"({name} IS NULL)"
        a, b = PAIRS[name]
        if not (kind.startswith("STRUCT(") and kind.endswith("[]")):
            return f"({name} IS NULL)"
        members = {part.split("VARCHAR")[0] for part in _members(kind[:-2]) if "VARCHAR" in part}
        if not {a, b} <= members:
            return f"({name} IS NULL)"
        each = (
            f"list_bool_and(list_transform({name}, lambda s: s.{a} IS NOT NULL AND "
            f"s.{b} IS NOT NULL AND {chars_at_most(f's.{b}', MAX_TEXT)}))"
        )
        length = f"len({name}) = 2 AND " if name == "candidates" else ""
        return f"({name} IS NULL OR ({length}coalesce({each}, TRUE)))"

    def long_text(self, name: str) -> str:
        """Retries' or candidates' texts may be past the cap (a JSON text column: the whole
        text is longer still)."""
        if name not in self.types:
            return "FALSE"
        if not self.native(name):
            return f"strlen({name}) > {MAX_TEXT}" if self.is_text(name) else "FALSE"
        members = tuple(m for m in PAIRS[name] if m in self.types[name])
        return _members_longer(name, members, False) if members else "FALSE"

    def settings(self) -> str:
        """model.settings as JSON text, for the suspect check (NULL without any, or when
        its type alone settles that it keeps the rules)."""
        if self.native("model"):
            kind = self.types["model"].replace(" ", "").replace('"', "")
            member = next((m for m in _members(kind) if m.startswith("settings")), None)
            if member is None or _plain_settings(member.removeprefix("settings")):
                return NULL_TEXT
            return "CAST(to_json(model.settings) AS VARCHAR)"
        if "model" not in self.types:
            return NULL_TEXT
        return f"CAST(to_json(json_extract({self.nested('model')}, '$.settings')) AS VARCHAR)"

    def model_names(self) -> list[str]:
        """The model's name and version as plain text."""
        if self.native("model"):
            return [f"model.{m}" if m in self.types["model"] else NULL_TEXT
                    for m in ("name", "version")]  # fmt: skip
        if "model" not in self.types:
            return [NULL_TEXT, NULL_TEXT]
        return [
            f"json_extract_string({self.nested('model')}, '$.{m}')" for m in ("name", "version")
        ]

    def versions(self) -> str:
        """The candidates' model versions, a list of text."""
        if self.native("candidates"):
            if "model_version" not in self.types["candidates"]:
                return "CAST(NULL AS VARCHAR[])"
            return "list_transform(candidates, lambda s: s.model_version)"
        if "candidates" not in self.types:
            return "CAST(NULL AS VARCHAR[])"
        return f"json_extract_string({self.nested('candidates')}, '$[*].model_version')"

    def length(self, name: str) -> str:
        if self.native(name):
            return f"len({name})"
        return f"json_array_length({self.nested(name)})"

    def version(self) -> str:
        if self.native("model"):
            return "model.version" if "version" in self.types["model"] else NULL_TEXT
        return f"{self.nested('model')}->>'$.version'"

    def number(self, name: str) -> str:
        kind = self.types.get(name)
        if kind is None or kind == "BOOLEAN":
            return "CAST(NULL AS BIGINT)"
        if kind == "VARCHAR":  # CSV: ASCII digits with spaces around (events.WHOLE_NUMBER_TEXT)
            return (
                f"CASE WHEN regexp_full_match({name}, ' *[0-9]+ *') "
                f"THEN try_cast(trim({name}) AS BIGINT) END"
            )
        if kind in ("DOUBLE", "FLOAT"):  # an integer column with gaps, through pandas
            return f"CASE WHEN {name} = floor({name}) THEN CAST({name} AS BIGINT) END"
        return f"try_cast({name} AS BIGINT)"

    def confirmed(self) -> str:
        kind = self.types.get("redaction_confirmed")
        if kind == "VARCHAR":  # CSV: true or 1, as the reference reader reads it
            return "lower(trim(redaction_confirmed)) IN ('true', '1')"
        return "redaction_confirmed" if kind == "BOOLEAN" else "CAST(NULL AS BOOLEAN)"

    def confirmed_ok(self) -> str:
        kind = self.types.get("redaction_confirmed")
        if kind in (None, "VARCHAR", "BOOLEAN"):
            return "TRUE"
        return "(redaction_confirmed IS NULL)"


def _plain_settings(kind: str) -> bool:
    """A settings struct of numbers and flags, few and shallow: no value of that type can
    break the settings rule (no text for a control character, no integer past 64 bits, no
    size near the cap), so Parquet's settings are checked once, on the schema (measured:
    their JSON text per row cost 0.09 s of a 1M-event build)."""
    if not kind.startswith("STRUCT(") or len(kind) > 2048:
        return False
    if kind.count("STRUCT(") > MAX_SETTINGS_DEPTH:
        return False
    # Every upper-case word must be one of these types (a member named in capitals, or any
    # other type, makes the check per row: the safe side).
    words = set(re.findall(r"[A-Z]+", kind)) - {"STRUCT"}
    # A decimal of up to 18 digits is a float in JSON, in every engine (wider ones are
    # written as integers, which may be past 64 bits).
    if any(int(width) > 18 for width in re.findall(r"DECIMAL\((\d+),", kind)):
        return False
    return "[" not in kind and words <= _PLAIN_TYPES | {"DECIMAL"}


_PLAIN_TYPES = {
    "BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER",
    "UBIGINT", "FLOAT", "DOUBLE",
}  # fmt: skip


def _members(struct: str) -> list[str]:
    """The top-level members of STRUCT(...) with spaces removed: ['nameVARCHAR', ...]."""
    inner = struct[struct.index("(") + 1 : -1]
    parts, depth, current = [], 0, ""
    for char in inner:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current] if current else parts
