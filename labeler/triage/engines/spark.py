"""The Spark engine: the same build as a PySpark job, for events that outgrow one machine.

Only Spark SQL's built-in functions run on the executors (no Python UDFs), so a cluster
needs no Labeler there: the driver runs ``labeler bundle build --engine spark`` (or
``labeler/cli/spark_submit.py`` under ``spark-submit``, see docs/triage.md). The sampling
is ``engines.sql``'s, the same text DuckDB runs; the per-group top-k is
``min_by(key, key, k)``, an aggregate whose partial step runs before the shuffle, so only
each partition's top-k candidates per (case, holdout, day) cross the network, and the
counts. Duplicate ids are found by a ``GROUP BY`` of the ids (the one shuffle as wide as
the events, one column wide).

Every field is read as text (a Parquet struct or list as its JSON): Spark's JSON reader
gives a number in a text field as its digits, so unlike the other engines it cannot refuse
``"input": 123`` (documented). Requires the ``[spark]`` extra (pyspark >= 4.2) and Java.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labeler.domain import ALL_SIGNALS, REASON_CODES
from labeler.errors import LabelerError, ValidationError
from labeler.progress import CancelCheck, ProgressCallback, check_cancel
from labeler.triage.engines import (
    EngineSettings,
    Plan,
    Sample,
    Source,
    Tally,
    fold,
    partition_days,
    week_partitions,
)
from labeler.triage.engines import sql as q
from labeler.triage.engines.duck_columns import (
    FIELDS,
    LONG_NUMBER,
    MAX_TEXT,
    NESTED_FIELDS,
    PAYLOAD,
    TEXT_FIELDS,
)
from labeler.triage.engines.messages import safe_reason
from labeler.triage.engines.payload import (
    check_suspects,
    checked_picks,
    duplicate_problem,
    reference_problem,
)
from labeler.triage.engines.picks import choose
from labeler.triage.events import from_flat
from labeler.triage.formats import (
    MAX_NAME_CHARS,
    MAX_RETRIES,
    MAX_SETTINGS_BYTES,
    MAX_SETTINGS_DEPTH,
    MAX_SUBJECT_CHARS,
)
from labeler.triage.sampling import RANK_HEX

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def session(settings: EngineSettings) -> SparkSession:
    """The job's session: spark-submit's when it started us, else a local one."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise LabelerError(
            "--engine spark needs the Spark extra: pip install 'labeler[spark]' (and Java)."
        ) from None
    builder = SparkSession.builder.appName("labeler-triage")
    if settings.spark_master:
        builder = builder.master(settings.spark_master)
    builder = (
        builder.config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "8")
    )
    spark = builder.getOrCreate()
    # FATAL, not ERROR: a failed task's ERROR lines quote the record it could not parse
    # (customer text in a log); the build says what failed in its own sentence.
    spark.sparkContext.setLogLevel("FATAL")
    return spark


def sample_events(
    sources: Sequence[Source],
    plan: Plan,
    settings: EngineSettings,
    progress: ProgressCallback,
    should_cancel: CancelCheck,
) -> Sample:
    sources = week_partitions(sources, settings, plan)
    if not sources:  # no partition of the week
        return Sample(Tally(), {case: [] for case in plan.caps})
    spark = session(settings)
    progress(0, 3, "Reading events (Spark)")
    events = None
    for source in sources:
        try:
            frame = _read(spark, source, settings, plan)
        except Exception as err:  # e.g. files of a folder whose schemas do not merge
            raise _unreadable(sources, err) from None
        events = frame if events is None else events.unionByName(frame)
    assert events is not None
    events.createOrReplaceTempView("labeler_events")
    try:
        return _sample_view(spark, sources, plan, progress, should_cancel)
    except _spark_errors() as err:  # a read at any action after the first (FAILFAST)
        raise _unreadable(sources, err) from None
    except RecursionError as err:  # a field nested past what Python decodes (Spark reads it)
        raise _unreadable(sources, err) from None


def _spark_errors() -> tuple[type[Exception], ...]:
    """What Spark raises for the input's faults (a Java exception, or Spark's own)."""
    from py4j.protocol import Py4JJavaError
    from pyspark.errors import PySparkException

    return Py4JJavaError, PySparkException


def _sample_view(
    spark: SparkSession,
    sources: Sequence[Source],
    plan: Plan,
    progress: ProgressCallback,
    should_cancel: CancelCheck,
) -> Sample:
    """The sample of the ``labeler_events`` view."""
    params = q.parameters(plan) | PATTERNS
    classified = q.classified(f"SELECT {_columns()} FROM labeler_events", plan, q.SPARK)
    top_k = max(max(plan.caps.values()), 1)
    try:
        groups = spark.sql(
            f"""SELECT fate, sig, case_type, holdout, day, negative, count(*) AS n,
                min_by(sort_key, sort_key, {top_k}) FILTER (WHERE fate = 'eligible') AS top,
                count_if(suspect) AS suspects
            FROM ({classified}) GROUP BY fate, sig, case_type, holdout, day, negative""",
            args=params,
        ).collect()
    except Exception as err:  # Spark wraps every reader error in its own classes
        raise _unreadable(sources, err) from None
    check_cancel(should_cancel)
    progress(1, 3, "Checking (Spark)")
    tally = Tally()
    candidates = []
    for row in groups:
        if row.fate == "invalid":
            _refuse_invalid(spark, classified, params)
    if any(row.suspects for row in groups):
        _check_suspects(spark)
    for row in groups:
        fold(tally, row.fate, row.sig, row.case_type, bool(row.negative), int(row.n))
        if row.fate == "eligible":
            candidates.append((row.case_type, bool(row.holdout), int(row.day), list(row.top)))
    _refuse_duplicates(spark)
    progress(2, 3, "Fetching the picked events (Spark)")
    chosen = choose(candidates, plan)
    ids = [key[RANK_HEX:] for keys in chosen.values() for key in keys]
    payloads = _payloads(spark, ids)
    keys = {case: [key[RANK_HEX:] for key in picked] for case, picked in chosen.items()}
    files = [path for source in sources for path in source.files]
    picks = checked_picks(keys, payloads, files)
    return Sample(tally, picks)


def _read(spark: SparkSession, source: Source, settings: EngineSettings, plan: Plan) -> DataFrame:
    """The source with every event field as text (nested fields as JSON) and its file."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField, StructType

    paths = [str(path) for path in source.files] or list(source.patterns)
    if source.kind == "jsonl":
        schema = StructType([StructField(name, StringType()) for name in FIELDS])
        frame = spark.read.schema(schema).option("mode", "FAILFAST").json(paths)
    elif source.kind == "csv":
        # RFC 4180: a quote inside a cell is doubled (Spark's default escape is a backslash).
        reader = spark.read.option("header", True).option("multiLine", True)
        frame = reader.option("escape", '"').csv(paths)
    else:
        frame = spark.read.option("mergeSchema", True).parquet(*paths)
    column = settings.partition_column
    if column and column in frame.columns:
        first, last = partition_days(plan)
        frame = frame.where(F.col(column).cast("string").between(first, last))
    kinds = dict(frame.dtypes)
    columns = []
    for name in FIELDS:
        kind = kinds.get(name)
        if kind is None:
            columns.append(F.lit(None).cast("string").alias(name))
        elif kind.startswith(("struct", "array", "map")):
            columns.append(F.to_json(F.col(name)).alias(name))
        elif kind in ("double", "float"):  # an integer column with gaps, through pandas
            value = F.col(name)
            columns.append(F.when(value == F.floor(value), value.cast("long").cast("string"))
                           .alias(name))  # fmt: skip
        else:
            columns.append(F.col(name).cast("string").alias(name))
    return frame.select(*columns, F.col("_metadata.file_path").alias("src_file"))


def _columns() -> str:
    """Normalised columns (see engines.sql) over the all-text view."""
    nested_ok = {
        "model": "(model IS NULL OR startswith(model, '{'))",
        "retries": "(retries IS NULL OR json_array_length(retries) IS NOT NULL)",
        "candidates": "(candidates IS NULL OR json_array_length(candidates) = 2)",
    }
    rules = {
        "event_id": "event_id IS NULL OR length(event_id) > 200 OR event_id RLIKE :blank",
        "signal": f"signal IS NULL OR signal NOT IN ({q.in_list(ALL_SIGNALS)})",
        "captured_at": "captured_at IS NULL",
        "reason_code": f"reason_code NOT IN ({q.in_list(REASON_CODES)})",
        "reaction": "reaction NOT IN ('up', 'down')",
    }
    rules |= {name: f"length({name}) > {MAX_TEXT}" for name in TEXT_FIELDS}
    rules |= {name: f"NOT {nested_ok[name]}" for name in NESTED_FIELDS}
    rules["picked"] = "picked NOT IN ('0', '1')"
    rules["rating"] = "rating NOT IN ('1', '2', '3', '4', '5')"
    rules["redaction_confirmed"] = "lower(redaction_confirmed) NOT IN ('true', 'false', '1', '0')"
    whens = " ".join(f"WHEN coalesce({rule}, FALSE) THEN '{name}'" for name, rule in rules.items())
    complete = (
        "CASE signal WHEN 'edit' THEN output IS NOT NULL AND edited_output IS NOT NULL "
        "WHEN 'retry' THEN coalesce(json_array_length(retries) > 0, FALSE) "
        "WHEN 'side_by_side' THEN candidates IS NOT NULL "
        "WHEN 'sample' THEN output IS NOT NULL ELSE TRUE END"
    )
    columns = {
        "eid": "event_id",
        "ts": "captured_at",
        "sig": "signal",
        "reason": "reason_code",
        "reaction": "reaction",
        "rating": "try_cast(rating AS BIGINT)",
        "picked": "try_cast(picked AS BIGINT)",
        "has_input": "coalesce(input <> '', FALSE)",
        "has_intent": "coalesce(intent <> '', FALSE)",
        "has_version": "coalesce(get_json_object(model, '$.version') <> '', FALSE)",
        "complete": complete,
        "unchanged": "coalesce(output = edited_output, FALSE)",
        "problem": f"CASE {whens} END",
        "suspect": _suspect(),
        "src_file": "src_file",
        "payload": "CAST(NULL AS STRING)",  # fetched by id for the picked few
    }
    return ", ".join(f"{expr} AS {name}" for name, expr in columns.items())


# A control character the settings may not hold, escaped or not (Java's regular expressions).
PATTERNS = {
    "json_control": r"\\u00(0[0-8]|0[eEfF]|1[0-9a-bA-B])|\\b|[\x00-\x08\x0e-\x1b]",
    "name_forbidden": q.NAME_FORBIDDEN,
}


def _suspect() -> str:
    """The event may break a rule of the format only the reference's own check settles
    exactly (see duck_columns._suspect), over the all-text view (nested fields as JSON
    text: a retry's or candidate's text past the cap makes it longer still)."""
    settings = "get_json_object(model, '$.settings')"
    brackets = f"length({settings}) - length(translate({settings}, '{{[', ''))"
    versions = "from_json(get_json_object(candidates, '$[*].model_version'), 'array<string>')"
    name_rule = f"RLIKE :name_forbidden OR length({{0}}) > {MAX_NAME_CHARS}"
    names = ["event_id", "get_json_object(model, '$.name')", "get_json_object(model, '$.version')"]
    terms = [f"{n} {name_rule.format(n)}" for n in names]
    terms += [
        f"exists({versions}, v -> v RLIKE :name_forbidden OR length(v) NOT BETWEEN 1 AND "
        f"{MAX_NAME_CHARS})",
        f"length({settings}) > {MAX_SETTINGS_BYTES // 2} OR {brackets} > {MAX_SETTINGS_DEPTH}"
        f" OR {settings} RLIKE '{LONG_NUMBER}' OR {settings} RLIKE :json_control",
        f"json_array_length(retries) > {MAX_RETRIES}",
        f"length(subject) > {MAX_SUBJECT_CHARS}",
        f"length(retries) > {MAX_TEXT}",
        f"length(candidates) > {MAX_TEXT}",
    ]
    return "(" + " OR ".join(f"coalesce({term}, FALSE)" for term in terms) + ")"


def _check_suspects(spark: SparkSession) -> None:
    """The flagged events, checked as the reference checks every event."""
    rows = spark.sql(
        f"SELECT {', '.join(FIELDS)}, src_file FROM labeler_events WHERE {_suspect()}",
        args=q.column_parameters() | PATTERNS,
    ).collect()

    def events() -> Iterator[tuple[Path | None, dict[str, Any]]]:
        for row in rows:
            fields = row.asDict()
            src_file = fields.pop("src_file")
            flat = {k: v for k, v in fields.items() if v is not None}
            yield _local(src_file), from_flat(f"event {fields.get('event_id')!r}", flat)

    check_suspects(events())


def _refuse_invalid(spark: SparkSession, classified: str, params: dict[str, str]) -> None:
    row = spark.sql(
        f"SELECT src_file, eid, problem FROM ({classified}) WHERE fate = 'invalid' LIMIT 1",
        args=params,
    ).first()
    assert row is not None
    raise _problem_at(row.src_file, row.eid, row.problem)


def _problem_at(uri: str, event_id: str | None, field: str) -> ValidationError:
    local = _local(uri)
    if local is not None:
        found = reference_problem(local)
        if found is not None:
            return found
    name = uri.rsplit("/", 1)[-1]
    return ValidationError(
        f"{name}: event {event_id!r}: field '{field}' is malformed "
        "(see docs/formats/capture-events.md)."
    )


def _refuse_duplicates(spark: SparkSession) -> None:
    row = spark.sql(
        "SELECT event_id, sort_array(collect_set(src_file)) AS files FROM labeler_events "
        "GROUP BY event_id HAVING count(*) > 1 ORDER BY event_id LIMIT 1"
    ).first()
    if row is None:
        return
    files = [_local(uri) for uri in row.files]
    if all(files):
        raise duplicate_problem([path for path in files if path is not None], row.event_id)
    name = str(row.files[-1]).rsplit("/", 1)[-1]
    raise ValidationError(f"{name}: duplicate event_id {row.event_id!r}.")


def _payloads(spark: SparkSession, ids: list[str]) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    rows = spark.sql(
        f"SELECT {', '.join(PAYLOAD)} FROM labeler_events WHERE array_contains(:ids, event_id)",
        args={"ids": ids},
    ).collect()
    return {row.event_id: _raw(row.asDict()) for row in rows}


def _raw(row: dict[str, Any]) -> dict[str, Any]:
    """A text row back to the dict a reader yields."""
    raw: dict[str, Any] = {}
    for name, value in row.items():
        if value is None:
            continue
        if name in NESTED_FIELDS:
            raw[name] = json.loads(value)
        elif name == "picked":
            raw[name] = int(value)
        else:
            raw[name] = value
    return raw


def _local(uri: str) -> Path | None:
    """A file Spark names (file:/tmp/e.jsonl) as a local path, if it is one."""
    from urllib.parse import unquote, urlparse

    parsed = urlparse(uri)
    if parsed.scheme not in ("", "file"):
        return None
    path = Path(unquote(parsed.path))
    return path if path.is_file() else None


def _unreadable(sources: Sequence[Source], err: Exception) -> ValidationError:
    for source in sources:
        for path in source.files:
            problem = reference_problem(path)
            if problem is not None:
                return problem
    reason = safe_reason(err)  # Spark's first line, without the record it may quote
    names = ", ".join(s.patterns[0] for s in sources)
    return ValidationError(f"{names}: Spark cannot read the events ({reason}).")
