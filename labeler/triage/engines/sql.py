"""The sampling definition in SQL, shared by the DuckDB and Spark engines.

An engine first projects its sources to one normalised row per event with these columns:
``eid ts sig reason reaction`` (text), ``rating picked`` (integers), ``has_input has_intent
has_version complete unchanged`` (booleans: the event has an input, an intent, a model
version, the evidence its signal needs, an edit whose after text equals its before text),
``problem`` (the first malformed field's name, or NULL), ``suspect`` (the event may break a
rule SQL does not settle exactly: see ``engines.payload.check_suspects``), ``src_file`` and
``payload`` (the event's fields, for the picked few). ``classified`` adds what
``triage.sampling`` defines: the fate (eligible, low intent, or why it is dropped, in the
reference engine's order), the case type, holdout membership, the UTC day and the sort key.
A ``Dialect`` names the few functions the two engines spell differently.
"""

from __future__ import annotations

from dataclasses import dataclass

from labeler.domain import LOW_INTENT_SIGNALS, NORMAL_CASE, NORMAL_SIGNAL, UNSPECIFIED_CASE
from labeler.triage.engines import Plan
from labeler.triage.sampling import DAY_SECONDS, RANK_HEX, RFC3339

# What Python's str.strip() removes (every c with c.isspace(); a test checks the list): an id
# made only of these is empty in every engine.
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
BLANK = "^[" + WHITESPACE + "]*$"
# labeler.jsonio.NAME_FORBIDDEN (an id's, a version's, a model name's characters) spelled for
# RE2 and Java's regular expressions alike (a test keeps the two the same); in JSON text a
# C0 control character is escaped, so there any backslash may be one.
_SPECIALS = r"\x7f-\x9f\x{2028}\x{2029}\x{202a}-\x{202e}\x{2066}-\x{2069}"
NAME_FORBIDDEN = rf"[\x00-\x1f{_SPECIALS}]"
JSON_NAME_FORBIDDEN = rf"[\\{_SPECIALS}]"


def column_parameters() -> dict[str, str]:
    """What the normalised columns bind by name (every query over them binds these)."""
    return {"blank": BLANK}


@dataclass(frozen=True)
class Dialect:
    """Spellings that differ between DuckDB and Spark SQL (``{0}``, ``{1}``: arguments)."""

    sha256: str  # lowercase hex sha256 of a string
    full_match: str  # {0} matches the regular expression {1} entirely
    epoch_day: str  # days since 1970-01-01 of a 'yyyy-mm-dd' string; NULL if no such day
    param: str  # a named parameter marker: user text (keys) is bound, never spliced in
    # Unix seconds of a 'yyyy-mm-ddThh:mm:ss' string (the clock in UTC), NULL if no such day;
    # None: the day number and the clock's digits, in arithmetic (what every engine can do).
    local_seconds: str | None = None

    def p(self, name: str) -> str:
        return self.param.format(name)


DUCKDB = Dialect(
    sha256="sha256({0})",
    full_match="regexp_full_match({0}, {1})",
    epoch_day="(try_cast({0} AS DATE) - DATE '1970-01-01')",
    param="${0}",
    # One cast instead of five substrings and casts (measured: 0.06 s a million events);
    # exact: a whole-second TIMESTAMP's epoch is a whole number of seconds.
    local_seconds="CAST(epoch(try_cast(substr({0}, 1, 19) AS TIMESTAMP)) AS BIGINT)",
)
SPARK = Dialect(
    sha256="sha2({0}, 256)",
    full_match="({0} RLIKE {1})",
    epoch_day="datediff(try_cast({0} AS DATE), DATE '1970-01-01')",
    param=":{0}",
)


def quote(text: str) -> str:
    """A SQL string literal (both engines double a quote inside one)."""
    if "\\" in text:  # the engines read a backslash in a literal differently: bind instead
        raise ValueError(f"bind {text!r} as a parameter")
    return "'" + text.replace("'", "''") + "'"


def in_list(values: tuple[str, ...]) -> str:
    return ", ".join(quote(value) for value in values)


def unix_seconds(ts: str, d: Dialect) -> str:
    """Whole Unix seconds of an RFC 3339 string, as ``sampling.unix_seconds``; else NULL."""
    if d.local_seconds is not None:
        local = d.local_seconds.format(ts)
    else:
        day = d.epoch_day.format(f"substr({ts}, 1, 10)")
        local = (
            f"{day} * {DAY_SECONDS} + CAST(substr({ts}, 12, 2) AS BIGINT) * 3600"
            f" + CAST(substr({ts}, 15, 2) AS BIGINT) * 60 + CAST(substr({ts}, 18, 2) AS BIGINT)"
        )
    offset = (
        f"CASE WHEN {ts} LIKE '%Z' THEN 0 ELSE (CASE WHEN substr({ts}, -6, 1) = '-' THEN -1 "
        f"ELSE 1 END) * (CAST(substr({ts}, -5, 2) AS BIGINT) * 3600 "
        f"+ CAST(substr({ts}, -2, 2) AS BIGINT) * 60) END"
    )
    return (
        f"CASE WHEN {d.full_match.format(ts, d.p('rfc3339'))} AND substr({ts}, 1, 4) <> '0000'"
        f" THEN {local} - ({offset}) END"
    )


def parameters(plan: Plan) -> dict[str, str]:
    """The values ``classified`` and the normalisations bind by name."""
    return column_parameters() | {
        "rfc3339": RFC3339,
        "holdout_prefix": plan.holdout_prefix,
        "sample_prefix": plan.sample_prefix,
        "threshold": plan.threshold,
    }


def classified(normalised: str, plan: Plan, d: Dialect) -> str:
    """Every normalised event with its fate, case type, holdout flag, day and sort key
    (bind ``parameters(plan)``)."""
    sha = d.sha256.format
    fate = f"""CASE
        WHEN problem IS NOT NULL OR secs IS NULL THEN 'invalid'
        WHEN secs < {plan.start} OR secs >= {plan.end} THEN 'outside_week'
        WHEN sig IN ({in_list(LOW_INTENT_SIGNALS)}) THEN 'low_intent'
        WHEN NOT has_input THEN 'missing_input'
        WHEN NOT has_version THEN 'missing_model_version'
        WHEN NOT has_intent THEN 'missing_intent'
        WHEN NOT complete THEN 'missing_evidence'
        WHEN sig = 'edit' AND unchanged THEN 'unchanged_edit'
        WHEN sig = 'side_by_side' AND picked IS NULL THEN 'no_pick'
        ELSE 'eligible' END"""
    case = (
        f"CASE WHEN sig = {quote(NORMAL_SIGNAL)} THEN {quote(NORMAL_CASE)} "
        f"ELSE coalesce(reason, {quote(UNSPECIFIED_CASE)}) END"
    )
    holdout_digest = sha("concat(" + d.p("holdout_prefix") + ", eid)")
    holdout = f"{holdout_digest} < {d.p('threshold')}"
    rank = "substr(" + sha("concat(" + d.p("sample_prefix") + ", eid)") + f", 1, {RANK_HEX})"
    key = f"concat({rank}, eid)"
    negative = (
        "sig = 'ticket' OR (sig = 'rating' AND rating <= 2) OR (sig = 'reaction' AND "
        "reaction = 'down')"
    )
    eligible = "fate = 'eligible'"
    return f"""
    WITH s AS (SELECT *, {unix_seconds("ts", d)} AS secs FROM ({normalised}) AS n),
    f AS (SELECT *, {fate} AS fate FROM s)
    SELECT fate, sig, eid, src_file, payload, coalesce(suspect, FALSE) AS suspect,
        CASE WHEN fate = 'invalid' THEN coalesce(problem, 'captured_at') END AS problem,
        CASE WHEN {eligible} THEN {case} END AS case_type,
        CASE WHEN {eligible} THEN {holdout} END AS holdout,
        CASE WHEN {eligible} THEN CAST(floor(secs / {DAY_SECONDS}) AS BIGINT) END AS day,
        CASE WHEN {eligible} THEN {key} END AS sort_key,
        CASE WHEN fate = 'low_intent' THEN {negative} END AS negative
    FROM f"""
