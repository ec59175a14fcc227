"""The week at a glance: what is imported, labeled, agreed, resolved, packed and evaluated,
and the three signals a team acts on, with their trend across the weeks."""

from __future__ import annotations

from collections import Counter
from typing import Any

from labeler.labeling.session import LabelingSession
from labeler.store import bundles as bundle_rows
from labeler.store import items as item_rows
from labeler.store import labelers, meta
from labeler.store import labels as label_rows
from labeler.store import packs as pack_rows
from labeler.team.agreement_report import report as agreement_report


def _signals(manifest: dict[str, Any]) -> dict[str, float | None]:
    """Shares over all captured feedback events of the week (from the bundle's statistics)."""
    stats = manifest.get("statistics", {})
    by_signal = stats.get("by_signal", {})
    events = sum(by_signal.values())
    high = sum(by_signal.get(s, 0) for s in ("edit", "retry", "side_by_side"))
    items = manifest.get("item_count", 0)
    return {
        "high_intent_share": round(high / events, 4) if events else None,
        "retry_rate": round(by_signal.get("retry", 0) / events, 4) if events else None,
        "restricted_share": round(stats.get("restricted", 0) / items, 4) if items else None,
    }


def _gate(session: LabelingSession) -> dict[str, Any] | None:
    from labeler.evals.gate import decide, load_policy
    from labeler.evals.results import eval_bundles, judgments
    from labeler.resources import shipped_path

    bundles = eval_bundles(session)
    if not bundles:
        return None
    found = judgments(session, bundles[-1]["bundle_id"])
    if not found:
        return {"bundle_id": bundles[-1]["bundle_id"], "verdict": "not judged yet", "reasons": []}
    verdict = decide(found, load_policy(shipped_path("rubrics", "gate.yaml")))
    return {
        "bundle_id": bundles[-1]["bundle_id"],
        "verdict": verdict.word,
        "reasons": verdict.reasons,
    }


def week_status(session: LabelingSession, week: str | None = None) -> dict[str, Any]:
    store = session.store
    weeks = meta.weeks(store)
    week = week or (weeks[-1] if weeks else None)
    rows = item_rows.week_flags(store, week)
    labeled = Counter(label_rows.labelers_of(store, [r[0] for r in rows]))
    names = {p.id: p.display_name for p in labelers.all_profiles(store)}
    agreement = agreement_report(session, week, intervals=False)
    trend = []
    for bundle_week, manifest in bundle_rows.week_manifests(store):
        trend.append({"week": bundle_week, **_signals(manifest)})
    return {
        "week": week,
        "weeks": weeks,
        "bundle": {
            "items": len(rows),
            "per_reason_code": dict(Counter(r[1] or "none" for r in rows)),
            "restricted": sum(r[2] for r in rows),
            "holdout": sum(r[3] for r in rows),
            "overlap": sum(r[4] for r in rows),
        },
        "progress": [
            {"labeler": names.get(k, k), "labels": v, "of": len(rows)}
            for k, v in sorted(labeled.items())
        ],
        "agreement": [
            {"question": b.stats.question, "n": b.stats.n, "alpha": b.stats.alpha,
             "flag": b.stats.flag}
            for b in agreement.questions
        ],
        "disagreements": agreement.disagreements.to_json(),
        "packs": [
            {"pack_id": p["pack_id"], "kind": p["kind"], "rows": p["counts"]["rows"],
             "signed_by": p.get("creator_name"), "created_at": p["created_at"]}
            for p in pack_rows.listing(store)
        ],
        "gate": _gate(session),
        "signals": trend,
    }  # fmt: skip
