"""The DuckDB engine (the default): read, check, count and sample the events in SQL.

One scan of the sources feeds one grouped aggregate: per (fate, signal, case, holdout, day)
a count, and for the eligible groups the ``cap`` lowest sort keys with their payloads
(``min_by(..., k)``, a bounded heap per group). Duplicate ids are counted in the same scan
(``count(DISTINCT)``, which spills); memory is capped by ``memory_limit`` and spills go to a
fresh folder that is deleted afterwards. JSON lines are read as JSON text per field (faster
than unescaping every string, and it keeps a number apart from a string); Parquet and CSV by
their column types. Only the picked events' payloads come back to Python.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from labeler.errors import ValidationError
from labeler.progress import CancelCheck, ProgressCallback, check_cancel
from labeler.triage import sampling
from labeler.triage.engines import EngineSettings, Plan, Sample, Source, Tally, fold
from labeler.triage.engines import sql as q
from labeler.triage.engines.payload import (
    checked_event,
    duplicate_problem,
    first_problem,
    reference_problem,
)
from labeler.triage.engines.picks import choose

MAX_TEXT = 1_048_576
TEXT_FIELDS = ("input", "intent", "output", "edited_output", "ticket_text", "subject")
SHORT_FIELDS = ("event_id", "captured_at", "signal", "reason_code", "reaction")
NESTED_FIELDS = ("model", "retries", "candidates")
NUMBER_FIELDS = {"picked": ("0", "1"), "rating": ("1", "2", "3", "4", "5")}
FIELDS = (*SHORT_FIELDS, *TEXT_FIELDS, *NESTED_FIELDS, *NUMBER_FIELDS, "redaction_confirmed")
MAX_OBJECT_BYTES = 64 << 20
# What bad input raises (a file that is not JSON, a CSV with a broken quote, a type that will
# not convert); a binder or parser error is our bug and keeps its traceback.
INPUT_ERRORS = (
    duckdb.IOException,
    duckdb.InvalidInputException,
    duckdb.ConversionException,
    duckdb.OutOfRangeException,
)  # six 1 MiB texts, escaped, fit in one JSON line


@contextmanager
def connection(settings: EngineSettings) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB with a memory cap, spilling to a folder deleted afterwards."""
    spill = Path(tempfile.mkdtemp(prefix="labeler-duckdb-", dir=settings.temp_dir))
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"SET memory_limit = '{_size(settings.memory_limit)}'")
        con.execute("SET temp_directory = $dir", {"dir": str(spill)})
        con.execute("SET preserve_insertion_order = false")  # order is ours: by sort key
        con.execute("SET TimeZone = 'UTC'")
        if settings.threads:
            con.execute(f"SET threads = {int(settings.threads)}")
        yield con
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


def _size(text: str) -> str:
    cleaned = text.strip().upper().replace(" ", "")
    if not cleaned[:-2].replace(".", "").isdigit() or cleaned[-2:] not in ("KB", "MB", "GB"):
        raise ValidationError(f"--memory-limit must look like 500MB or 2GB, not {text!r}.")
    return cleaned


def sample_events(
    sources: Sequence[Source],
    plan: Plan,
    settings: EngineSettings,
    progress: ProgressCallback,
    should_cancel: CancelCheck,
) -> Sample:
    with connection(settings) as con:
        progress(0, 2, "Reading events (DuckDB)")
        normalised = " UNION ALL ".join(
            _normalised(con, source, settings, plan) for source in sources
        )
        classified = q.classified(normalised, plan, q.DUCKDB)
        params = q.parameters(plan)
        top_k = max(max(plan.caps.values()), 1)
        try:
            con.execute(
                f"""CREATE TEMP TABLE groups AS
                SELECT fate, sig, case_type, holdout, day, negative, count(*) AS n,
                    count(DISTINCT eid) AS ids, grouping(fate) AS overall,
                    min_by({{'key': sort_key, 'payload': payload}}, sort_key, {top_k})
                        FILTER (WHERE fate = 'eligible') AS top
                FROM ({classified})
                GROUP BY GROUPING SETS ((fate, sig, case_type, holdout, day, negative), ())""",
                params,
            )
        except INPUT_ERRORS as err:
            raise _unreadable(sources, err) from None
        check_cancel(should_cancel)
        progress(1, 2, "Sampling")
        tally = _tally(con)
        _refuse_problems(con, sources, classified, params, normalised)
        candidates = _candidates(con)
        chosen = choose(candidates, plan)
        payloads = _payloads(con, [key for keys in chosen.values() for key in keys])
        picks = {
            case: [checked_event(payloads[key]) for key in keys] for case, keys in chosen.items()
        }
        progress(2, 2, "Sampled")
    return Sample(tally, picks)


def _tally(con: duckdb.DuckDBPyConnection) -> Tally:
    tally = Tally()
    rows = con.execute(
        "SELECT fate, sig, case_type, negative, sum(n) FROM groups WHERE overall = 0 "
        "AND fate <> 'invalid' GROUP BY ALL"
    ).fetchall()
    for fate, signal, case, negative, n in rows:
        fold(tally, fate, signal, case, bool(negative), int(n))
    return tally


def _refuse_problems(
    con: duckdb.DuckDBPyConnection,
    sources: Sequence[Source],
    classified: str,
    params: dict[str, str],
    normalised: str,
) -> None:
    """Malformed events and duplicate ids stop the build: name the file, line and field."""
    invalid = con.execute("SELECT sum(n) FROM groups WHERE fate = 'invalid'").fetchone()
    if invalid and invalid[0]:
        row = con.execute(
            f"SELECT src_file, eid, problem FROM ({classified}) WHERE fate = 'invalid' LIMIT 1",
            params,
        ).fetchone()
        assert row is not None
        raise first_problem(Path(row[0]), row[1], row[2])
    total = con.execute("SELECT n, ids FROM groups WHERE overall = 1").fetchone()
    if total and total[0] != total[1]:
        dup = con.execute(
            f"SELECT eid, list(DISTINCT src_file ORDER BY src_file) FROM ({normalised}) "
            "GROUP BY eid HAVING count(*) > 1 ORDER BY eid LIMIT 1",
            {"blank": params["blank"]},  # DuckDB refuses parameters a query does not use
        ).fetchone()
        assert dup is not None
        raise duplicate_problem([Path(name) for name in dup[1]], dup[0])


def _candidates(con: duckdb.DuckDBPyConnection) -> list[tuple[str, bool, int, list[str]]]:
    rows = con.execute(
        "SELECT case_type, holdout, day, list_transform(top, lambda t: t.key) FROM groups "
        "WHERE overall = 0 AND fate = 'eligible'"
    ).fetchall()
    return [(case, bool(holdout), int(day), keys) for case, holdout, day, keys in rows]


def _payloads(con: duckdb.DuckDBPyConnection, keys: list[str]) -> dict[str, dict[str, Any]]:
    if not keys:
        return {}
    rows = con.execute(
        "SELECT t.key, t.payload FROM (SELECT unnest(top) AS t FROM groups "
        "WHERE overall = 0 AND fate = 'eligible') WHERE list_contains($keys, t.key)",
        {"keys": keys},
    ).fetchall()
    return {key: payload for key, payload in rows}


def _unreadable(sources: Sequence[Source], err: Exception) -> ValidationError:
    """A file DuckDB cannot read: the reference reader names the line, else DuckDB's words."""
    for source in sources:
        for path in source.files:
            problem = reference_problem(path)
            if problem is not None:
                return problem
    reason = str(err).splitlines()[0][:300]
    return ValidationError(
        f"{', '.join(s.patterns[0] for s in sources)}: cannot be read ({reason})."
    )


def _normalised(
    con: duckdb.DuckDBPyConnection, source: Source, settings: EngineSettings, plan: Plan
) -> str:
    """One normalised row per event of ``source`` (columns: see engines.sql)."""
    files = "[" + ", ".join(q.quote(_literal_path(p)) for p in source.patterns) + "]"
    hive = "true" if source.hive else "false"
    if source.kind == "jsonl":
        columns = "{" + ", ".join(f"{q.quote(name)}: 'JSON'" for name in FIELDS) + "}"
        scan = (
            f"read_json({files}, format = 'newline_delimited', columns = {columns}, "
            f"filename = 'src_file', hive_partitioning = {hive}, "
            f"maximum_object_size = {MAX_OBJECT_BYTES})"
        )
        values = _json_values()
    else:
        # union_by_name: files of one folder need not share a column order or set.
        common = f"filename = 'src_file', hive_partitioning = {hive}, union_by_name = true"
        if source.kind == "csv":
            scan = (
                f"read_csv({files}, header = true, all_varchar = true, {common}, "
                f"max_line_size = {MAX_OBJECT_BYTES})"
            )
        else:
            scan = f"read_parquet({files}, {common})"
        try:
            types = dict(
                con.execute(
                    f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {scan})"
                ).fetchall()
            )
        except INPUT_ERRORS as err:
            raise _unreadable([source], err) from None
        values = _typed_values(types, source.kind)
    where = _partition_filter(settings, plan, source)
    return f"SELECT {values} FROM {scan} {where}"


def _is_nested(kind: str) -> bool:
    return kind.startswith(("STRUCT", "MAP")) or kind.endswith("[]")


def _literal_path(path: str) -> str:
    if "'" in path or "\\" in path:
        raise ValidationError(f"{path}: a path with a quote or backslash cannot be read.")
    return path


def _partition_filter(settings: EngineSettings, plan: Plan, source: Source) -> str:
    """Only the week's hive partitions (a day either side, for local dates) are read."""
    column = settings.partition_column
    if not column or not source.hive:
        return ""
    if not column.replace("_", "").isalnum():
        raise ValidationError(f"--partition-column must be a column name, not {column!r}.")
    first = sampling.day_text(plan.start - sampling.DAY_SECONDS)
    last = sampling.day_text(plan.end)
    return f"WHERE CAST({column} AS VARCHAR) BETWEEN '{first}' AND '{last}'"


def _json_values() -> str:
    """Normalised columns from JSON text per field (a JSON null is SQL NULL)."""

    def text(c: str) -> str:
        return f"CAST({c} AS VARCHAR)"

    def is_text(c: str) -> str:
        return (
            f"({c} IS NULL OR (starts_with({text(c)}, '\"') AND (length({text(c)}) <= "
            f"{MAX_TEXT + 2} OR length({c}->>'$') <= {MAX_TEXT})))"
        )

    def kind(c: str, path: str = "$") -> str:
        return f"coalesce(json_type({c}, '{path}'), 'NULL')"

    def pairs(c: str, a: str, b: str, length: str) -> str:
        each = (
            f"list_bool_and(list_transform(json_extract({c}, '$[*]'), lambda s: "
            f"{kind('s')} = 'OBJECT' AND {kind('s', '$.' + a)} = 'VARCHAR' AND "
            f"{kind('s', '$.' + b)} = 'VARCHAR'))"
        )
        return f"({c} IS NULL OR ({kind(c)} = 'ARRAY' AND {length} AND coalesce({each}, TRUE)))"

    model_ok = (
        f"(model IS NULL OR ({kind('model')} = 'OBJECT' AND {kind('model', '$.name')} IN "
        f"('VARCHAR', 'NULL') AND {kind('model', '$.version')} IN ('VARCHAR', 'NULL') AND "
        f"{kind('model', '$.settings')} IN ('OBJECT', 'NULL')))"
    )
    valid = {name: is_text(name) for name in (*SHORT_FIELDS, *TEXT_FIELDS)}
    valid["model"] = model_ok
    valid["retries"] = pairs("retries", "change", "output", "TRUE")
    valid["candidates"] = pairs(
        "candidates", "model_version", "output", "json_array_length(candidates) = 2"
    )
    for name, allowed in NUMBER_FIELDS.items():
        valid[name] = f"({name} IS NULL OR {text(name)} IN ({q.in_list(allowed)}))"
    valid["redaction_confirmed"] = (
        f"(redaction_confirmed IS NULL OR {text('redaction_confirmed')} IN ('true', 'false'))"
    )
    present = {c: f"coalesce({text(c)} <> '\"\"', FALSE)" for c in ("input", "intent")}
    columns = {
        "eid": "event_id->>'$'",
        "ts": "captured_at->>'$'",
        "sig": "signal->>'$'",
        "reason": "reason_code->>'$'",
        "reaction": "reaction->>'$'",
        "rating": "try_cast(CAST(rating AS VARCHAR) AS BIGINT)",
        "picked": "try_cast(CAST(picked AS VARCHAR) AS BIGINT)",
        "has_input": present["input"],
        "has_intent": present["intent"],
        "has_version": "coalesce(model->>'$.version' <> '', FALSE)",
        "complete": _complete(
            "output IS NOT NULL", "edited_output IS NOT NULL",
            "coalesce(json_array_length(retries) > 0, FALSE)", "candidates IS NOT NULL",
        ),
        "unchanged": f"coalesce({text('output')} = {text('edited_output')}, FALSE)",
        "problem": _problem(valid, "event_id->>'$'", "signal->>'$'", "reason_code->>'$'",
                            "reaction->>'$'"),
        "src_file": "src_file",
        "payload": "{" + ", ".join(f"{q.quote(n)}: {text(n)}" for n in FIELDS)
        + ", 'kind': 'json'}",
    }  # fmt: skip
    return ", ".join(f"{expr} AS {name}" for name, expr in columns.items())


def _complete(output: str, edited: str, retries: str, candidates: str) -> str:
    """The evidence each signal needs (events.drop_cause's missing_evidence)."""
    return (
        f"CASE signal->>'$' WHEN 'edit' THEN {output} AND {edited} WHEN 'retry' THEN {retries} "
        f"WHEN 'side_by_side' THEN {candidates} WHEN 'sample' THEN {output} ELSE TRUE END"
    )


def _problem(valid: dict[str, str], eid: str, signal: str, reason: str, reaction: str) -> str:
    """The first malformed field's name, in check_event's order, or NULL."""
    from labeler.domain import ALL_SIGNALS, REASON_CODES

    rules = {
        "event_id": f"NOT {valid['event_id']} OR {eid} IS NULL OR length({eid}) > 200 OR "
        f"regexp_full_match({eid}, $blank)",
        "signal": f"NOT {valid['signal']} OR {signal} IS NULL OR {signal} NOT IN "
        f"({q.in_list(ALL_SIGNALS)})",
        "captured_at": f"NOT {valid['captured_at']}",
        "reason_code": f"NOT {valid['reason_code']} OR {reason} NOT IN ({q.in_list(REASON_CODES)})",
        "reaction": f"NOT {valid['reaction']} OR {reaction} NOT IN ('up', 'down')",
    }
    for name in (*TEXT_FIELDS, *NESTED_FIELDS, *NUMBER_FIELDS, "redaction_confirmed"):
        rules[name] = f"NOT {valid[name]}"
    whens = " ".join(f"WHEN coalesce({rule}, FALSE) THEN '{name}'" for name, rule in rules.items())
    return f"CASE {whens} END"


def _typed_values(types: dict[str, str], kind: str) -> str:
    """Normalised columns from typed columns (Parquet's, or CSV's text)."""

    def col(name: str) -> str:
        return name if name in types else "NULL"

    def is_varchar(name: str) -> bool:
        return types.get(name, "VARCHAR") == "VARCHAR"

    def text_ok(name: str) -> str:
        if name not in types:
            return "TRUE"
        if not is_varchar(name):
            return f"({name} IS NULL)"
        return f"({name} IS NULL OR length({name}) <= {MAX_TEXT})"

    def json_text(name: str) -> str:
        """Nested fields as JSON text: a JSON string column, or a native struct or list."""
        kind_ = types.get(name)
        if kind_ is None or not (kind_ in ("VARCHAR", "JSON") or _is_nested(kind_)):
            return "CAST(NULL AS VARCHAR)"  # an all-null column comes back as DOUBLE or INT
        if kind_ == "VARCHAR":
            return f"CAST({name} AS VARCHAR)"
        return f"CAST(to_json({name}) AS VARCHAR)"

    def number(name: str) -> str:
        if name not in types:
            return "CAST(NULL AS BIGINT)"
        kind_ = types[name]
        if kind_ == "VARCHAR":
            return f"try_cast(trim({name}) AS BIGINT)"
        if kind_ in ("DOUBLE", "FLOAT"):
            return f"CASE WHEN {name} = floor({name}) THEN CAST({name} AS BIGINT) END"
        if kind_ == "BOOLEAN":
            return "NULL"
        return f"try_cast({name} AS BIGINT)"

    def kind_of(expr: str, path: str = "$") -> str:
        return f"coalesce(json_type({expr}, '{path}'), 'NULL')"

    nested = {name: json_text(name) for name in NESTED_FIELDS}
    valid = {name: text_ok(name) for name in (*SHORT_FIELDS, *TEXT_FIELDS)}
    for name, expr in nested.items():
        if name in types and expr.startswith("CAST(NULL"):
            valid[name] = f"({name} IS NULL)"
        else:
            valid[name] = f"({expr} IS NULL OR json_valid({expr}))"
    m = f"try_cast({nested['model']} AS JSON)"
    valid["model"] = (
        f"({valid['model']} AND ({m} IS NULL OR ({kind_of(m)} = 'OBJECT' AND "
        f"{kind_of(m, '$.name')} IN ('VARCHAR', 'NULL') AND {kind_of(m, '$.version')} IN "
        f"('VARCHAR', 'NULL') AND {kind_of(m, '$.settings')} IN ('OBJECT', 'NULL'))))"
    )
    for name, (a, b, length) in {
        "retries": ("change", "output", "TRUE"),
        "candidates": ("model_version", "output", "json_array_length({j}) = 2"),
    }.items():
        if nested[name].startswith("CAST(NULL"):
            continue  # no such column, or an all-null one: nothing to check
        j = f"try_cast({nested[name]} AS JSON)"
        each = (
            f"list_bool_and(list_transform(json_extract({j}, '$[*]'), lambda s: "
            f"{kind_of('s')} = 'OBJECT' AND {kind_of('s', '$.' + a)} = 'VARCHAR' AND "
            f"{kind_of('s', '$.' + b)} = 'VARCHAR'))"
        )
        valid[name] = (
            f"({valid[name]} AND ({j} IS NULL OR ({kind_of(j)} = 'ARRAY' AND "
            f"{length.format(j=j)} AND coalesce({each}, TRUE))))"
        )
    numbers = {name: number(name) for name in NUMBER_FIELDS}
    for name, allowed in NUMBER_FIELDS.items():
        valid[name] = f"({col(name)} IS NULL OR {numbers[name]} IN ({', '.join(allowed)}))"
    confirmed = col("redaction_confirmed")
    if kind == "csv" or types.get("redaction_confirmed") == "VARCHAR":
        confirmed_value = f"lower(trim({confirmed})) IN ('true', '1')"
        valid["redaction_confirmed"] = "TRUE"
    else:
        confirmed_value = confirmed
        valid["redaction_confirmed"] = (
            "TRUE"
            if types.get("redaction_confirmed", "BOOLEAN") == "BOOLEAN"
            else f"({confirmed} IS NULL)"
        )

    def value(name: str) -> str:
        return name if name in types and is_varchar(name) else "CAST(NULL AS VARCHAR)"

    jm = f"try_cast({nested['model']} AS JSON)"
    payload = {name: value(name) for name in (*SHORT_FIELDS, *TEXT_FIELDS)}
    payload |= nested
    payload |= {name: f"CAST({numbers[name]} AS VARCHAR)" for name in NUMBER_FIELDS}
    payload["redaction_confirmed"] = (
        f"CAST({confirmed_value} AS VARCHAR)" if confirmed != "NULL" else "NULL"
    )
    columns = {
        "eid": value("event_id"),
        "ts": value("captured_at"),
        "sig": value("signal"),
        "reason": value("reason_code"),
        "reaction": value("reaction"),
        "rating": numbers["rating"],
        "picked": numbers["picked"],
        "has_input": f"coalesce({value('input')} <> '', FALSE)",
        "has_intent": f"coalesce({value('intent')} <> '', FALSE)",
        "has_version": f"coalesce({jm}->>'$.version' <> '', FALSE)",
        "complete": _complete(
            f"{value('output')} IS NOT NULL", f"{value('edited_output')} IS NOT NULL",
            f"coalesce(json_array_length(try_cast({nested['retries']} AS JSON)) > 0, FALSE)",
            f"{nested['candidates']} IS NOT NULL",
        ).replace("signal->>'$'", value("signal")),
        "unchanged": f"coalesce({value('output')} = {value('edited_output')}, FALSE)",
        "problem": _problem(valid, value("event_id"), value("signal"), value("reason_code"),
                            value("reaction")),
        "src_file": "src_file",
        "payload": "{"
        + ", ".join(f"{q.quote(n)}: CAST({payload[n]} AS VARCHAR)" for n in FIELDS)
        + ", 'kind': 'typed'}",
    }  # fmt: skip
    return ", ".join(f"{expr} AS {name}" for name, expr in columns.items())
