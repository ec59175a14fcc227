"""The DuckDB engine (the default): read, check, count and sample the events in SQL.

One scan of each source feeds one grouped aggregate: per (fate, signal, case, holdout, day)
a count and, for the eligible groups, the ``cap`` lowest sort keys (``min_by(..., k)``: a
bounded heap per group, so memory does not grow with the events); a last scan, filtered on
the picked ids, brings their payloads.
Duplicate ids are found by a second, narrow aggregate over the ids alone (``GROUP BY`` spills
to disk; a ``count(DISTINCT)`` beside the groups did not, measured at 600 MB for 1M ids).
Memory is capped by ``memory_limit``; spills go to a fresh folder deleted afterwards. Only
the picked events' payloads come back to Python, as JSON.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import msgspec

from labeler.errors import ValidationError
from labeler.progress import CancelCheck, ProgressCallback, check_cancel
from labeler.triage.engines import (
    EngineSettings,
    Plan,
    Sample,
    Source,
    Tally,
    fold,
    partition_days,
)
from labeler.triage.engines import sql as q
from labeler.triage.engines.duck_columns import (
    JSON_READ_TYPES,
    SHORT_FIELDS,
    TEXT_FIELDS,
    json_columns,
    typed_columns,
)
from labeler.triage.engines.messages import safe_reason
from labeler.triage.engines.payload import (
    check_suspects,
    checked_picks,
    duplicate_problem,
    first_problem,
    reference_problem,
)
from labeler.triage.engines.picks import choose
from labeler.triage.events import csv_header_problem
from labeler.triage.sampling import RANK_HEX

# An event's fields from DuckDB's JSON text: msgspec keeps an integer past 64 bits as an int,
# as the reference reader does (orjson reads it as a float, which the settings rule accepts).
_decode = msgspec.json.Decoder().decode
MAX_OBJECT_BYTES = 16 << 20  # a JSON line up to 16 MiB: DuckDB buffers 2x that per thread
# Errors that are our bug (a query DuckDB cannot bind or parse) keep their traceback; every
# other DuckDB error while reading is the input's (a file that is not JSON, a broken CSV
# quote, a damaged Parquet page, a type that will not convert) and becomes a sentence.
OUR_BUGS = (
    duckdb.ParserException,
    duckdb.BinderException,
    duckdb.CatalogException,
    duckdb.InternalException,
)


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
    params = q.parameters(plan)
    sources = [kept for kept in map(_without_empty_csv, sources) if kept is not None]
    if not sources:  # only empty CSV files: no events (DuckDB cannot read a header of none)
        return Sample(Tally(), {case: [] for case in plan.caps})
    with connection(settings) as con:
        scans = [_scan(con, source, settings, plan) for source in sources]
        tally = Tally()
        candidates: list[tuple[str, bool, int, list[str]]] = []
        for index, (source, scan) in enumerate(zip(sources, scans, strict=True)):
            progress(index, len(sources) + 1, f"Reading {source.patterns[0]} (DuckDB)")
            classified = q.classified(scan.select(), plan, q.DUCKDB)
            _group(con, index, classified, params, plan, source)
            check_cancel(should_cancel)
            _refuse_invalid(con, index, classified, params)
            _check_suspects(con, index, scan, source)
            _fold(con, index, tally)
            candidates += _candidates(con, index)
        progress(len(sources), len(sources) + 1, "Duplicate ids and the picked events (DuckDB)")
        chosen = choose(candidates, plan)
        ids = [key[RANK_HEX:] for keys in chosen.values() for key in keys]
        if any(source.kind == "jsonl" for source in sources):
            payloads = _second_pass(con, scans, sources, ids)
        else:  # columnar: the ids column alone, then the picked rows by a pushed-down filter
            _refuse_duplicates(con, scans, sources)
            payloads = _picked_rows(con, scans, sources, ids)
        keys = {case: [key[RANK_HEX:] for key in picked] for case, picked in chosen.items()}
        files = [path for source in sources for path in source.files]
        picks = checked_picks(keys, payloads, files)
    return Sample(tally, picks)


def _without_empty_csv(source: Source) -> Source | None:
    """A CSV source without its zero-byte files (None if that leaves none): an empty file
    holds no events, as the reference reader reads it, but DuckDB refuses to sniff it."""
    if source.kind != "csv" or not source.files:
        return source
    kept = tuple(path for path in source.files if path.stat().st_size > 0)
    if len(kept) == len(source.files):
        return source
    if not kept:
        return None
    return Source(source.kind, kept, tuple(str(path) for path in kept), source.hive)


@dataclass(frozen=True)
class _Scan:
    """A source as DuckDB reads it: the table function, a partition filter, the columns."""

    table: str
    where: str
    columns: str

    def select(self, extra: str = "") -> str:
        where = " AND ".join(part for part in (self.where, extra) if part)
        return f"SELECT {self.columns} FROM {self.table}" + (f" WHERE {where}" if where else "")


def _group(
    con: duckdb.DuckDBPyConnection,
    index: int,
    classified: str,
    params: dict[str, str],
    plan: Plan,
    source: Source,
) -> None:
    """Counts per group, and each eligible group's lowest sort keys. Only the keys: with
    the payloads as min_by's argument DuckDB copied every eligible event's payload (out of
    memory at 500 MB for 1M JSON lines) and took 10x longer; re-reading the picked rows is
    cheaper."""
    top_k = max(max(plan.caps.values()), 1)
    try:
        con.execute(
            f"""CREATE TEMP TABLE groups_{index} AS
            SELECT fate, sig, case_type, holdout, day, negative, count(*) AS n,
                min_by(sort_key, sort_key, {top_k}) FILTER (WHERE fate = 'eligible') AS top,
                count(*) FILTER (WHERE suspect) AS suspects
            FROM ({classified}) GROUP BY ALL""",
            params,
        )
    except duckdb.Error as err:
        raise _unreadable([source], err) from None


def _refuse_invalid(
    con: duckdb.DuckDBPyConnection, index: int, classified: str, params: dict[str, str]
) -> None:
    """A malformed event stops the build with the reference engine's sentence."""
    invalid = con.execute(f"SELECT sum(n) FROM groups_{index} WHERE fate = 'invalid'").fetchone()
    if invalid and invalid[0]:
        row = con.execute(
            f"SELECT src_file, eid, problem FROM ({classified}) WHERE fate = 'invalid' LIMIT 1",
            params,
        ).fetchone()
        assert row is not None
        raise first_problem(Path(row[0]), row[1], row[2])


def _check_suspects(
    con: duckdb.DuckDBPyConnection, index: int, scan: _Scan, source: Source
) -> None:
    """Events the SQL rules could not settle exactly, checked as the reference checks them
    (one more scan, only when there are any)."""
    flagged = con.execute(f"SELECT sum(suspects) FROM groups_{index}").fetchone()
    if not flagged or not flagged[0]:
        return
    try:
        rows = con.execute(
            f"SELECT src_file, CAST(to_json(whole) AS VARCHAR) FROM ({scan.select()}) "
            "WHERE suspect",
            q.column_parameters(),
        ).fetchall()
    except duckdb.Error as err:
        raise _unreadable([source], err) from None
    check_suspects((Path(path), _fields(text, [Path(path)])) for path, text in rows)


def _fold(con: duckdb.DuckDBPyConnection, index: int, tally: Tally) -> None:
    rows = con.execute(
        f"SELECT fate, sig, case_type, negative, sum(n) FROM groups_{index} GROUP BY ALL"
    ).fetchall()
    for fate, signal, case, negative, n in rows:
        fold(tally, fate, signal, case, bool(negative), int(n))


def _second_pass(
    con: duckdb.DuckDBPyConnection, scans: list[_Scan], sources: Sequence[Source], ids: list[str]
) -> dict[str, dict[str, Any]]:
    """One more scan: duplicate ids (a GROUP BY over the ids, which spills) and, in the
    same pass, the picked events as JSON, the dicts a reader yields, by id. (Two passes,
    one per question, cost a third JSON parse.)"""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE picked AS SELECT unnest($ids::VARCHAR[]) AS eid", {"ids": ids}
    )
    # Each source's payload as JSON text (their struct types differ), for the picked only.
    rows = " UNION ALL ".join(
        "SELECT n.eid, p.eid IS NOT NULL AS wanted, CASE WHEN p.eid IS NOT NULL THEN "
        f"CAST(to_json(n.payload) AS VARCHAR) END AS payload FROM ({scan.select()}) AS n "
        "LEFT JOIN picked AS p ON n.eid = p.eid"
        for scan in scans
    )
    query = f"""
        SELECT eid, count(*) AS n, any_value(payload)
        FROM ({rows}) GROUP BY eid HAVING count(*) > 1 OR bool_or(wanted)
        ORDER BY n DESC, eid"""
    try:
        found = con.execute(query, q.column_parameters()).fetchall()
    except duckdb.Error as err:
        raise _unreadable(sources, err) from None
    if found and found[0][1] > 1:
        _refuse_duplicates(con, scans, sources)
    files = [path for source in sources for path in source.files]
    return {event_id: _fields(text, files) for event_id, _, text in found if text is not None}


def _picked_rows(
    con: duckdb.DuckDBPyConnection, scans: list[_Scan], sources: Sequence[Source], ids: list[str]
) -> dict[str, dict[str, Any]]:
    """The picked events of Parquet and CSV sources, read again by id, as JSON dicts."""
    files = [path for source in sources for path in source.files]
    found: dict[str, dict[str, Any]] = {}
    for scan in scans:
        picked = scan.select("list_contains($ids, event_id)")  # Parquet: pushed into the scan
        rows = con.execute(
            f"SELECT eid, CAST(to_json(payload) AS VARCHAR) FROM ({picked})",
            {"ids": ids} | q.column_parameters(),
        ).fetchall()
        found |= {event_id: _fields(text, files) for event_id, text in rows}
    return found


def _fields(text: str, files: list[Path]) -> dict[str, Any]:
    """An event's fields from DuckDB's JSON text. One nested past what Python decodes (DuckDB
    reads any depth) is refused with the reference's sentence ("nested too deeply")."""
    try:
        found: dict[str, Any] = _decode(text)
    except RecursionError:
        for path in files:
            problem = reference_problem(path)
            if problem is not None:
                raise problem from None
        raise ValidationError("An event is nested too deeply to read.") from None
    return found


def _refuse_duplicates(
    con: duckdb.DuckDBPyConnection, scans: list[_Scan], sources: Sequence[Source]
) -> None:
    """Stop at the first id seen twice, naming its second line (a scan of the ids alone;
    the files are looked up only for a duplicate: a list per id cost 4x the scan)."""

    def ids(extra: str = "") -> str:
        return " UNION ALL ".join(
            f"SELECT {_id_column(source)} AS eid, src_file FROM {scan.table}"
            + (f" WHERE {' AND '.join(p for p in (scan.where, extra) if p)}"
               if scan.where or extra else "")
            for source, scan in zip(sources, scans, strict=True)
        )  # fmt: skip

    try:
        dup = con.execute(
            f"SELECT eid FROM ({ids()}) GROUP BY eid HAVING count(*) > 1 ORDER BY eid LIMIT 1"
        ).fetchone()
    except duckdb.Error as err:
        raise _unreadable(sources, err) from None
    if dup is None:
        return
    files = con.execute(
        f"SELECT DISTINCT src_file FROM ({ids()}) WHERE eid = $eid ORDER BY src_file",
        {"eid": dup[0]},
    ).fetchall()
    raise duplicate_problem([Path(row[0]) for row in files], dup[0])


def _id_column(source: Source) -> str:
    return "event_id->>'$'" if source.kind == "jsonl" else "event_id"


def _candidates(
    con: duckdb.DuckDBPyConnection, index: int
) -> list[tuple[str, bool, int, list[str]]]:
    rows = con.execute(
        f"SELECT case_type, holdout, day, top FROM groups_{index} WHERE fate = 'eligible'"
    ).fetchall()
    return [(case, bool(holdout), int(day), keys) for case, holdout, day, keys in rows]


def _unreadable(sources: Sequence[Source], err: Exception) -> Exception:
    """A file DuckDB cannot read: the reference reader names the line, else DuckDB's words
    without the data it quotes. A query of ours DuckDB refuses is returned as it is."""
    if isinstance(err, OUR_BUGS):
        return err
    for source in sources:
        for path in source.files:
            problem = reference_problem(path)
            if problem is not None:
                return problem
    names = ", ".join(s.patterns[0] for s in sources)
    return ValidationError(f"{names}: cannot be read ({safe_reason(err)}).")


def _scan(
    con: duckdb.DuckDBPyConnection, source: Source, settings: EngineSettings, plan: Plan
) -> _Scan:
    """How DuckDB reads one source, with normalised columns (see engines.sql)."""
    files = "[" + ", ".join(q.quote(_literal_path(p)) for p in source.patterns) + "]"
    hive = "true" if source.hive else "false"
    where = _partition_filter(settings, plan, source)
    if source.kind == "jsonl":
        columns = (
            "{" + ", ".join(f"{q.quote(n)}: {q.quote(t)}" for n, t in JSON_READ_TYPES.items()) + "}"
        )
        table = (
            f"read_json({files}, format = 'newline_delimited', columns = {columns}, "
            f"filename = 'src_file', hive_partitioning = {hive}, "
            f"maximum_object_size = {MAX_OBJECT_BYTES})"
        )
        return _Scan(table, where, json_columns())
    # union_by_name: files of one folder need not share a column order or set.
    common = f"filename = 'src_file', hive_partitioning = {hive}, union_by_name = true"
    if source.kind == "csv":
        for path in source.files:
            problem = csv_header_problem(path)
            if problem is not None:
                raise problem
        table = (
            f"read_csv({files}, header = true, all_varchar = true, {common}, "
            f"max_line_size = {MAX_OBJECT_BYTES})"
        )
    else:
        table = f"read_parquet({files}, {common})"
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {table}").fetchall()
    except duckdb.Error as err:
        raise _unreadable([source], err) from None
    types = {str(row[0]): str(row[1]) for row in described}
    if source.kind == "parquet" and len(source.files) > 1:
        _refuse_texts_of_another_type(con, source, types)
    return _Scan(table, where, typed_columns(types))


def _refuse_texts_of_another_type(
    con: duckdb.DuckDBPyConnection, source: Source, types: dict[str, str]
) -> None:
    """A text column that one file of a folder stores as numbers: DuckDB's union of the
    files reads them as text, the reference reader refuses them; so every engine refuses
    (the reference names the row). One read of the files' footers."""
    texts = {name for name in (*SHORT_FIELDS, *TEXT_FIELDS) if types.get(name) == "VARCHAR"}
    try:
        rows = con.execute(
            "SELECT file_name, name, type, num_children, logical_type FROM parquet_schema($f)",
            {"f": [str(path) for path in source.files]},
        ).fetchall()
    except duckdb.Error as err:
        raise _unreadable([source], err) from None
    for file_name, name, kind, _children, logical in _top_level(rows):
        is_text = kind == "BYTE_ARRAY" or "Null" in str(logical)
        if name in texts and not is_text:
            path = Path(file_name)
            raise reference_problem(path) or ValidationError(
                f"{path.name}: column '{name}' holds {kind} values, not text."
            )


def _top_level(rows: list[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    """The top-level columns of parquet_schema's rows (each file's tree in depth-first
    order, a group's children after it, counted by num_children)."""
    index = 0
    while index < len(rows):
        root_children = rows[index][3] or 0
        index += 1
        for _ in range(root_children):
            yield rows[index]
            index = _after_subtree(rows, index)


def _after_subtree(rows: list[tuple[Any, ...]], index: int) -> int:
    pending = 1
    while pending:
        pending += (rows[index][3] or 0) - 1
        index += 1
    return index


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
    first, last = partition_days(plan)
    return f"CAST({column} AS VARCHAR) BETWEEN '{first}' AND '{last}'"
