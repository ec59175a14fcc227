"""Rollout checks kept in the workspace: each ``labeler rollout check`` as it was run, with
its plan, figures, signed verdict, and the gate run that let the candidate ship."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from labeler.store.connection import Store


@dataclass(frozen=True)
class RolloutRun:
    id: int
    at: str
    run_by: str | None
    run_by_name: str | None
    baseline: str
    candidate: str
    stage: str
    verdict: str  # PROMOTE | ROLLBACK | CONTINUE
    reasons: tuple[str, ...]
    figures: dict[str, Any]  # RolloutVerdict.to_json()
    plan_text: str
    plan_sha256: str
    gate_run_id: int | None
    document: str  # the signed verdict, canonical JSON
    signature: str  # minisign signature of ``document``


_COLUMNS = (
    "id, at, run_by, run_by_name, baseline, candidate, stage, verdict, reasons, figures, "
    "plan_text, plan_sha256, gate_run_id, document, signature"
)


def add(store: Store, run: RolloutRun) -> int:
    """Keep one check (its ``id`` is ignored: the store numbers them)."""
    cursor = store.conn.execute(
        f"INSERT INTO rollout_checks({_COLUMNS.removeprefix('id, ')}) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (run.at, run.run_by, run.run_by_name, run.baseline, run.candidate, run.stage,
         run.verdict, json.dumps(list(run.reasons)), json.dumps(run.figures, sort_keys=True),
         run.plan_text, run.plan_sha256, run.gate_run_id, run.document, run.signature),
    )  # fmt: skip
    return int(cursor.lastrowid)


def _run(row: Any) -> RolloutRun:
    return RolloutRun(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7],
                      tuple(json.loads(row[8])), json.loads(row[9]), row[10], row[11],
                      row[12], row[13], row[14])  # fmt: skip


def checks(store: Store) -> list[RolloutRun]:
    return [_run(r) for r in store.query(f"SELECT {_COLUMNS} FROM rollout_checks ORDER BY id")]


def last_per_candidate(store: Store) -> list[RolloutRun]:
    """The latest check of each candidate version, the most recent first."""
    rows = store.query(
        f"SELECT {_COLUMNS} FROM rollout_checks WHERE id IN "
        "(SELECT max(id) FROM rollout_checks GROUP BY candidate) ORDER BY id DESC"
    )
    return [_run(r) for r in rows]
