"""Eval bundles' items (which model versions they compare, each item's case type), and the
record of every gate run."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from labeler.store.connection import Store


@dataclass(frozen=True)
class EvalBundle:
    bundle_id: str
    current: str
    candidate: str
    items: int


@dataclass(frozen=True)
class GateRun:
    """One run of the ship gate, as it was run: the policy text, the judgments' hash, the
    verdict and its reasons, on which eval bundle, when and by whom."""

    id: int
    at: str
    run_by: str | None  # the profile id of who ran it (None: no profile on that workspace)
    run_by_name: str | None
    bundle_id: str | None  # the eval bundle the judgments are of (None: not in this workspace)
    verdict: str  # SHIP | DO NOT SHIP
    reasons: tuple[str, ...]
    figures: dict[str, Any]
    policy_text: str
    policy_sha256: str
    judgments_sha256: str
    judgments_count: int
    document: str | None = None  # the signed verdict, canonical JSON (None: before v6)
    signature: str | None = None  # its minisign signature by the workspace key


def record(store: Store, manifest: dict[str, Any], ids: list[str]) -> None:
    section = manifest["eval"]
    store.conn.executemany(
        "INSERT INTO eval_items(item_id, bundle_id, case_type, current_version, "
        "candidate_version) VALUES (?, ?, ?, ?, ?)",
        [
            (item_id, manifest["bundle_id"], section["case_types"].get(item_id, "unspecified"),
             section["current_version"], section["candidate_version"])
            for item_id in ids
        ],
    )  # fmt: skip


def bundles(store: Store) -> list[EvalBundle]:
    """Every eval bundle with items here, in the order they were imported (the last is the
    latest: bundle ids are content hashes, so ordering by id would pick one at random)."""
    rows = store.query(
        "SELECT e.bundle_id, e.current_version, e.candidate_version, count(*) "
        "FROM eval_items e JOIN bundles b ON b.id = e.bundle_id "
        "GROUP BY e.bundle_id ORDER BY min(b.rowid)"
    )
    return [EvalBundle(r[0], r[1], r[2], r[3]) for r in rows]


def case_types(store: Store, bundle_id: str) -> list[tuple[str, str]]:
    rows = store.query(
        "SELECT item_id, case_type FROM eval_items WHERE bundle_id = ? ORDER BY item_id",
        (bundle_id,),
    )
    return [(r[0], r[1]) for r in rows]


def bundle_of(store: Store, item_ids: list[str]) -> str | None:
    """The eval bundle holding most of ``item_ids`` (None when none is here)."""
    return store.scalar(
        "SELECT bundle_id FROM eval_items WHERE item_id IN (SELECT value FROM json_each(?)) "
        "GROUP BY bundle_id ORDER BY count(*) DESC, bundle_id LIMIT 1",
        (json.dumps(item_ids),),
    )


_RUN_COLUMNS = (
    "id, at, run_by, run_by_name, bundle_id, verdict, reasons, figures, policy_text, "
    "policy_sha256, judgments_sha256, judgments_count, document, signature"
)


def add_gate_run(store: Store, run: GateRun) -> int:
    """Keep one gate run (its ``id`` is ignored: the store numbers runs)."""
    cursor = store.conn.execute(
        "INSERT INTO gate_runs(at, run_by, run_by_name, bundle_id, verdict, reasons, figures, "
        "policy_text, policy_sha256, judgments_sha256, judgments_count, document, signature) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (run.at, run.run_by, run.run_by_name, run.bundle_id, run.verdict,
         json.dumps(list(run.reasons)), json.dumps(run.figures, sort_keys=True), run.policy_text,
         run.policy_sha256, run.judgments_sha256, run.judgments_count, run.document,
         run.signature),
    )  # fmt: skip
    return int(cursor.lastrowid)


def _gate_run(row: Any) -> GateRun:
    return GateRun(row[0], row[1], row[2], row[3], row[4], row[5], tuple(json.loads(row[6])),
                   json.loads(row[7]), row[8], row[9], row[10], row[11], row[12],
                   row[13])  # fmt: skip


def last_gate_run(store: Store) -> GateRun | None:
    rows = store.query(f"SELECT {_RUN_COLUMNS} FROM gate_runs ORDER BY id DESC LIMIT 1")
    return _gate_run(rows[0]) if rows else None


def gate_runs(store: Store) -> list[GateRun]:
    return [_gate_run(r) for r in store.query(f"SELECT {_RUN_COLUMNS} FROM gate_runs ORDER BY id")]


def ship_run_for(store: Store, candidate_version: str) -> GateRun | None:
    """The latest SHIP gate run on an eval of ``candidate_version``: what let it ship."""
    rows = store.query(
        f"SELECT {_RUN_COLUMNS} FROM gate_runs WHERE verdict = 'SHIP' AND bundle_id IN "
        "(SELECT bundle_id FROM eval_items WHERE candidate_version = ?) ORDER BY id DESC LIMIT 1",
        (candidate_version,),
    )
    return _gate_run(rows[0]) if rows else None


def gate_run(store: Store, run_id: int) -> GateRun | None:
    rows = store.query(f"SELECT {_RUN_COLUMNS} FROM gate_runs WHERE id = ?", (run_id,))
    return _gate_run(rows[0]) if rows else None
