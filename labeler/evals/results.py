"""Eval results from the labels of an eval bundle: judgments for the gate, and the report.

A judgment per eval item comes from its gold label (agreed, single or resolved), with the
sides mapped back from each labeler's shuffled view: A = the current model, B = the candidate.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import Any

import numpy as np

from labeler.evals.gate import Judgment, win_rate
from labeler.labeling.session import LabelingSession
from labeler.store import evals as eval_rows
from labeler.store import resolutions
from labeler.team.reconcile import Gold, gold_labels

Z95 = 1.959963984540054
DRAWS = 2000


def eval_bundles(session: LabelingSession) -> list[dict[str, Any]]:
    return eval_rows.bundles(session.store)


def _judgment(item_id: str, case_type: str, answers: dict[str, Any]) -> Judgment:
    winner = {"A": "current", "B": "candidate"}.get(answers["preference"], "tie")

    def sides(question: str) -> dict[str, bool]:
        return {
            "current": answers.get(f"{question}_a") == "pass",
            "candidate": answers.get(f"{question}_b") == "pass",
        }

    return Judgment(item_id, case_type, winner, sides("safety"), sides("formatting"))


def _judged(
    session: LabelingSession, bundle_id: str | None
) -> tuple[list[Judgment], dict[str, Gold]]:
    bundles = eval_bundles(session)
    if not bundles:
        return [], {}
    chosen = bundle_id or bundles[-1]["bundle_id"]
    rows = eval_rows.case_types(session.store, chosen)
    gold = gold_labels(session)
    found = []
    for item_id, case_type in rows:
        decided = gold.get(item_id)
        if decided is not None and not decided.excluded and "preference" in decided.answers:
            found.append(_judgment(item_id, case_type, decided.answers))
    return found, gold


def judgments(session: LabelingSession, bundle_id: str | None = None) -> list[Judgment]:
    """One judgment per eval item with a gold label (of the latest eval bundle by default)."""
    return _judged(session, bundle_id)[0]


def judgment_json(judgment: Judgment) -> dict[str, Any]:
    return {
        "item_id": judgment.item_id,
        "case_type": judgment.case_type,
        "winner": judgment.winner,
        "safety": judgment.safety,
        "formatting": judgment.formatting,
    }


def wilson(successes: int, total: int) -> list[float] | None:
    """The Wilson score interval (95%) of a proportion."""
    if total == 0:
        return None
    p = successes / total
    denominator = 1 + Z95**2 / total
    centre = (p + Z95**2 / (2 * total)) / denominator
    half = Z95 * math.sqrt(p * (1 - p) / total + Z95**2 / (4 * total**2)) / denominator
    return [round(centre - half, 4), round(centre + half, 4)]


def bootstrap_win_rate(group: list[Judgment], rng: np.random.Generator) -> list[float] | None:
    """A 95% percentile-bootstrap interval of (wins + ties/2) / items, resampling items."""
    if len(group) < 2:
        return None
    scores = np.array([{"candidate": 1.0, "tie": 0.5, "current": 0.0}[j.winner] for j in group])
    means = scores[rng.integers(0, len(scores), size=(DRAWS, len(scores)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return [round(float(low), 4), round(float(high), 4)]


def _tally(group: list[Judgment], rng: np.random.Generator) -> dict[str, Any]:
    counts = Counter(j.winner for j in group)
    return {
        "items": len(group),
        "wins": counts["candidate"],
        "losses": counts["current"],
        "ties": counts["tie"],
        "win_rate": round(win_rate(group), 4) if group else None,
        "ci95": bootstrap_win_rate(group, rng),
        "losses_driven_by": [j.item_id for j in group if j.winner == "current"],
    }


def _pass_rates(found: list[Judgment], check: str) -> dict[str, float | None]:
    if not found:
        return {"current": None, "candidate": None}
    return {
        model: round(sum(getattr(j, check)[model] for j in found) / len(found), 4)
        for model in ("current", "candidate")
    }


def report(session: LabelingSession, bundle_id: str | None = None, seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    bundles = eval_bundles(session)
    chosen = bundle_id or (bundles[-1]["bundle_id"] if bundles else None)
    found, gold = _judged(session, chosen)
    info = next((b for b in bundles if b["bundle_id"] == chosen), {})
    by_type: dict[str, list[Judgment]] = defaultdict(list)
    for judgment in found:
        by_type[judgment.case_type].append(judgment)
    overall = _tally(found, rng)
    overall["both_bad"] = sum(
        gold[j.item_id].answers.get("preference") == "both_bad" for j in found
    )
    overall["interval"] = f"percentile bootstrap, {DRAWS} resamples of the items"
    return {
        "bundle_id": chosen,
        "current": info.get("current"),
        "candidate": info.get("candidate"),
        "items": info.get("items", 0),
        "judged": len(found),
        "overall": overall,
        "case_types": {case: _tally(group, rng) for case, group in sorted(by_type.items())},
        "pass_rates": {check: _pass_rates(found, check) for check in ("safety", "formatting")},
        "position_bias": _position_bias(session, [j.item_id for j in found]),
    }


def _position_bias(session: LabelingSession, item_ids: list[str]) -> dict[str, Any]:
    """How often the side shown on the left won, over every labeler's decisive labels."""
    left = decisive = 0
    for labels in resolutions.labels_by_item(session.store, item_ids).values():
        for label in labels:
            preference = label.answers.get("preference")
            if preference in ("A", "B"):  # as the labeler saw it: A was on the left
                decisive += 1
                left += preference == "A"
    interval = wilson(left, decisive)
    return {
        "decisive_labels": decisive,
        "left_won": left,
        "left_share": round(left / decisive, 4) if decisive else None,
        "ci95": interval,
        "interval": "Wilson score",
        # Biased when the whole interval lies off one half: people favoured a side.
        "biased": bool(interval and (interval[0] > 0.5 or interval[1] < 0.5)),
    }
