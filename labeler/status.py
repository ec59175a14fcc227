"""The week at a glance: what is imported, labeled, agreed, resolved, packed and evaluated,
and the three signals a team acts on, with their trend across the weeks. Stored manifests are
read defensively: a malformed one shows as missing figures, never as a crash.

The rollout part is the last recorded ``labeler rollout check`` of each candidate version:
its verdict, each guarded signal against its guard, and the signals per model version.

The week's figures count the week's items only (``kind = 'week'``: never eval pairs); the
gate shown is the last gate someone actually ran, as it was run (labeler/evals/gate_runs.py).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from labeler.labeling import rubric_versions
from labeler.labeling.session import LabelingSession
from labeler.rollout.record import latest_checks
from labeler.store import assignments as assignment_rows
from labeler.store import bundles as bundle_rows
from labeler.store import evals as eval_rows
from labeler.store import items as item_rows
from labeler.store import labelers
from labeler.store import labels as label_rows
from labeler.store import packs as pack_rows
from labeler.store.assignments import PersonProgress
from labeler.store.evals import GateRun
from labeler.store.rollouts import RolloutRun
from labeler.team.agreement_report import report as agreement_report
from labeler.team.agreement_types import Disagreements
from labeler.team.rechecks import RecheckSummary
from labeler.team.rechecks import summary as recheck_summary


@dataclass(frozen=True)
class BundleCounts:
    """The week's items: how many, per reason code, and how many carry each flag."""

    items: int
    per_reason_code: Mapping[str, int]
    restricted: int
    holdout: int
    overlap: int


@dataclass(frozen=True)
class LabelerProgress:
    labeler: str
    labels: int
    of: int


@dataclass(frozen=True)
class PackSummary:
    pack_id: str
    kind: str
    rows: int
    signed_by: str | None
    created_at: str


@dataclass(frozen=True)
class GateStatus:
    """The last gate run: its verdict and what it ran on."""

    verdict: str
    reasons: tuple[str, ...]
    bundle_id: str | None
    policy_sha256: str
    judgments_sha256: str
    judgments_count: int
    at: str
    run_by: str | None

    @classmethod
    def of(cls, run: GateRun) -> GateStatus:
        return cls(run.verdict, run.reasons, run.bundle_id, run.policy_sha256,
                   run.judgments_sha256, run.judgments_count, run.at, run.run_by_name)  # fmt: skip


@dataclass(frozen=True)
class SignalPoint:
    """Shares over all captured feedback events of one week (from its bundle's statistics)."""

    week: str
    high_intent_share: float | None
    retry_rate: float | None
    restricted_share: float | None


@dataclass(frozen=True)
class GuardedSignal:
    """One guarded signal of a rollout check: the difference and interval against its guard."""

    signal: str
    worse: str
    max_worsening: float
    estimate: float | None
    low: float | None
    high: float | None
    state: str  # crossed | within | undecided


@dataclass(frozen=True)
class VersionRates:
    version: str
    requests: int
    rates: Mapping[str, float | None]


@dataclass(frozen=True)
class RolloutStatus:
    """The last rollout check of a candidate version, as it was recorded (signed)."""

    check_id: int
    at: str
    run_by: str | None
    baseline: str
    candidate: str
    stage: str
    verdict: str  # PROMOTE | ROLLBACK | CONTINUE
    reasons: tuple[str, ...]
    gate_run_id: int | None  # the SHIP gate run of the candidate, when one is recorded here
    signals: tuple[GuardedSignal, ...]
    versions: tuple[VersionRates, ...]

    @classmethod
    def of(cls, run: RolloutRun) -> RolloutStatus:
        figures = run.figures
        signals = tuple(
            GuardedSignal(s["signal"], s["worse"], s["max_worsening"], s["estimate"], s["low"],
                          s["high"], s["state"])
            for s in figures["signals"]
        )  # fmt: skip
        versions = tuple(
            VersionRates(v["version"], v["requests"], v["rates"]) for v in figures["versions"]
        )
        return cls(run.id, run.at, run.run_by_name, run.baseline, run.candidate, run.stage,
                   run.verdict, run.reasons, run.gate_run_id, signals, versions)  # fmt: skip


@dataclass(frozen=True)
class RubricStatus:
    """The current rubric version, and how many versions the workspace has had."""

    id: str
    version: str
    content_hash: str
    installed_at: str
    how: str
    versions: int


@dataclass(frozen=True)
class AgreementLine:
    """One question's agreement in the week."""

    question: str
    n: int
    alpha: float | None
    flag: str | None


@dataclass(frozen=True)
class WeekStatus:
    week: str | None
    weeks: tuple[str, ...]
    bundle: BundleCounts
    progress: tuple[LabelerProgress, ...]
    agreement: tuple[AgreementLine, ...]  # the agreement report's week, without intervals
    disagreements: Disagreements
    packs: tuple[PackSummary, ...]
    gate: GateStatus | None  # None: no gate run yet
    signals: tuple[SignalPoint, ...]
    rubric: RubricStatus | None = None
    rechecks: RecheckSummary | None = None  # items a new rubric version sent back
    rollouts: tuple[RolloutStatus, ...] = ()  # the last check of each candidate, latest first
    # With an assignment: each assigned labeler's share and pairs, from their label files,
    # and how many labels were made outside their item's assignment (kept, no pair).
    people: tuple[PersonProgress, ...] = ()
    outside_assignment: int = 0

    def to_json(self) -> dict[str, Any]:
        """What ``labeler status --json`` prints."""
        return dataclasses.asdict(self)


def _count(value: Any) -> int:
    """A count from a stored manifest: whole, not negative, or nothing (0). Import checks
    statistics now, but a workspace may hold a manifest an older Labeler let through."""
    return value if type(value) is int and value >= 0 else 0


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _signals(week: str, manifest: Any) -> SignalPoint:
    stats = _mapping(_mapping(manifest).get("statistics"))
    by_signal = {str(k): _count(v) for k, v in _mapping(stats.get("by_signal")).items()}
    events = sum(by_signal.values())
    high = sum(by_signal.get(s, 0) for s in ("edit", "retry", "side_by_side"))
    items = _count(_mapping(manifest).get("item_count"))
    restricted = min(_count(stats.get("restricted")), items)
    return SignalPoint(
        week=week,
        high_intent_share=round(high / events, 4) if events else None,
        retry_rate=round(by_signal.get("retry", 0) / events, 4) if events else None,
        restricted_share=round(restricted / items, 4) if items else None,
    )


def _bundle(rows: list[tuple[str, str | None, bool, bool, bool]]) -> BundleCounts:
    return BundleCounts(
        items=len(rows),
        per_reason_code=dict(Counter(r[1] or "none" for r in rows)),
        restricted=sum(r[2] for r in rows),
        holdout=sum(r[3] for r in rows),
        overlap=sum(r[4] for r in rows),
    )


def _packs(session: LabelingSession) -> tuple[PackSummary, ...]:
    return tuple(
        PackSummary(
            str(p.get("pack_id", "?")), str(p.get("kind", "?")),
            _count(_mapping(p.get("counts")).get("rows")), p.get("creator_name"),
            str(p.get("created_at", "")),
        )
        for p in map(_mapping, pack_rows.listing(session.store))
    )  # fmt: skip


def _rubric(session: LabelingSession) -> RubricStatus:
    current = session.rubric
    history = rubric_versions.versions(session.store)
    kept = next(v for v in history if v.row.content_hash == current.content_hash)
    return RubricStatus(current.id, current.version, current.content_hash,
                        kept.row.installed_at, kept.how, len(history))  # fmt: skip


def week_status(session: LabelingSession, week: str | None = None) -> WeekStatus:
    store = session.store
    weeks = item_rows.weeks(store)
    week = week or (weeks[-1] if weeks else None)
    rows = item_rows.week_flags(store, week)
    labeled = Counter(label_rows.labelers_of(store, [r[0] for r in rows]))
    names = {p.id: p.display_name for p in labelers.all_profiles(store)}
    agreement = agreement_report(session, week, intervals=False)
    last = eval_rows.last_gate_run(store)
    people = assignment_rows.person_progress(store, week, _me(session))
    return WeekStatus(
        week=week,
        weeks=tuple(weeks),
        bundle=_bundle(rows),
        progress=tuple(
            LabelerProgress(names.get(k, k), v, len(rows)) for k, v in sorted(labeled.items())
        ),
        agreement=tuple(
            AgreementLine(b.stats.question, b.stats.n, b.stats.alpha, b.stats.flag)
            for b in agreement.questions
        ),
        disagreements=agreement.disagreements,
        packs=_packs(session),
        gate=GateStatus.of(last) if last else None,
        signals=tuple(_signals(w, m) for w, m in bundle_rows.week_manifests(store)),
        rubric=_rubric(session),
        rechecks=recheck_summary(session),
        rollouts=tuple(RolloutStatus.of(run) for run in latest_checks(session)),
        people=tuple(people),
        outside_assignment=sum(p.outside for p in people),
    )


def _me(session: LabelingSession) -> tuple[str, str] | None:
    """(the id assignments name this laptop's person by, their profile id), once there is
    an assignment: their own labels are stored under the profile id."""
    profile = session.profile
    if profile is None or not session.has_assignment():
        return None
    assigned = session.assignee_id()
    return (assigned, profile.id) if assigned else None


def person_line(p: PersonProgress) -> str:
    """An assigned labeler's progress (CLI and Home say it the same way)."""
    line = (
        f"{p.display_name}: {p.own_labeled} / {p.own} of their share, "
        f"{p.pairs_labeled} / {p.pairs} pairs"
    )
    return line + (f", {p.outside} outside assignment" if p.outside else "")
