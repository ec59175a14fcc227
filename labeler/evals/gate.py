"""The ship / don't-ship gate: judgments of a blind side-by-side eval against a policy.

Pure functions, no store and no Qt: a release pipeline calls ``labeler eval gate`` with a
judgments file and a policy and acts on the exit code (0 ship, 1 do not ship, 2 bad input).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from labeler.errors import ValidationError
from labeler.evals.formats import JudgmentLine
from labeler.jsonio import read_lines

POLICY_KEYS = {
    "critical_case_types": list,
    "min_overall_win_rate": float,
    "max_critical_loss_margin": float,
    "min_items": int,
    "safety_not_below_current": bool,
    "formatting_not_below_current": bool,
}


@dataclass(frozen=True)
class Policy:
    critical_case_types: tuple[str, ...]
    min_overall_win_rate: float
    max_critical_loss_margin: float
    min_items: int
    safety_not_below_current: bool
    formatting_not_below_current: bool


@dataclass(frozen=True)
class Judgment:
    item_id: str
    case_type: str
    winner: str
    safety: dict[str, bool]
    formatting: dict[str, bool]


@dataclass
class Verdict:
    ship: bool
    reasons: list[str] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def word(self) -> str:
        return "SHIP" if self.ship else "DO NOT SHIP"


def load_policy(path: Path) -> Policy:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ValidationError(f"{path}: cannot be read ({err.strerror}).") from None
    except yaml.YAMLError:
        raise ValidationError(f"{path.name}: not valid YAML.") from None
    if not isinstance(raw, dict):
        raise ValidationError(f"{path.name}: the policy must be a YAML mapping.")
    unknown = sorted(set(raw) - set(POLICY_KEYS))
    if unknown:
        raise ValidationError(f"{path.name}: unknown key '{unknown[0]}'.")
    missing = sorted(set(POLICY_KEYS) - set(raw))
    if missing:
        raise ValidationError(f"{path.name}: missing key '{missing[0]}'.")
    for key, kind in POLICY_KEYS.items():
        value = raw[key]
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if kind is float:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not ok:
            raise ValidationError(f"{path.name}: '{key}' must be a {kind.__name__}.")
    if not all(isinstance(c, str) for c in raw["critical_case_types"]):
        raise ValidationError(f"{path.name}: 'critical_case_types' must list case type names.")
    if not 0 <= raw["min_overall_win_rate"] <= 1 or raw["min_items"] < 1:
        raise ValidationError(
            f"{path.name}: 'min_overall_win_rate' must be in [0, 1] and 'min_items' >= 1."
        )
    return Policy(
        tuple(raw["critical_case_types"]), float(raw["min_overall_win_rate"]),
        float(raw["max_critical_loss_margin"]), int(raw["min_items"]),
        raw["safety_not_below_current"], raw["formatting_not_below_current"],
    )  # fmt: skip


def parse_judgments(path: Path) -> list[Judgment]:
    """Every line decoded into ``formats.JudgmentLine``; an item judged twice is refused."""
    judgments, seen = [], set()
    for where, line in read_lines(path, JudgmentLine):
        if line.item_id in seen:
            raise ValidationError(f"{where}: item {line.item_id!r} is judged twice.")
        seen.add(line.item_id)
        judgments.append(
            Judgment(
                line.item_id,
                line.case_type,
                line.winner,
                {"current": line.safety.current, "candidate": line.safety.candidate},
                {"current": line.formatting.current, "candidate": line.formatting.candidate},
            )
        )
    if not judgments:
        raise ValidationError(f"{path.name}: no judgments.")
    return judgments


def win_rate(judgments: list[Judgment]) -> float:
    counts = Counter(j.winner for j in judgments)
    return (counts["candidate"] + counts["tie"] / 2) / len(judgments) if judgments else 0.0


def _pass_rate(judgments: list[Judgment], check: str, model: str) -> float:
    return sum(getattr(j, check)[model] for j in judgments) / len(judgments)


def decide(judgments: list[Judgment], policy: Policy) -> Verdict:
    """SHIP only when every rule holds; every failed rule is a reason."""
    verdict = Verdict(ship=True)
    counts = Counter(j.winner for j in judgments)
    overall = win_rate(judgments)
    verdict.figures = {
        "items": len(judgments), "wins": counts["candidate"], "losses": counts["current"],
        "ties": counts["tie"], "win_rate": round(overall, 4), "case_types": {},
    }  # fmt: skip
    if len(judgments) < policy.min_items:
        verdict.reasons.append(
            f"too few items: {len(judgments)} judged, the policy needs {policy.min_items}"
        )
    if overall < policy.min_overall_win_rate:
        verdict.reasons.append(
            f"overall win rate {overall:.3f} is below {policy.min_overall_win_rate}"
        )
    by_type: dict[str, list[Judgment]] = defaultdict(list)
    for judgment in judgments:
        by_type[judgment.case_type].append(judgment)
    for case_type, group in sorted(by_type.items()):
        c = Counter(j.winner for j in group)
        margin = (c["current"] - c["candidate"]) / len(group)
        verdict.figures["case_types"][case_type] = {
            "items": len(group), "wins": c["candidate"], "losses": c["current"], "ties": c["tie"],
            "win_rate": round(win_rate(group), 4), "loss_margin": round(margin, 4),
        }  # fmt: skip
        if case_type in policy.critical_case_types and margin > policy.max_critical_loss_margin:
            verdict.reasons.append(
                f"loses badly on critical case type '{case_type}': loss margin {margin:.3f} "
                f"(losses {c['current']}, wins {c['candidate']} of {len(group)}) exceeds "
                f"{policy.max_critical_loss_margin}"
            )
    for check, required in (
        ("safety", policy.safety_not_below_current),
        ("formatting", policy.formatting_not_below_current),
    ):
        current, candidate = (
            _pass_rate(judgments, check, "current"),
            _pass_rate(judgments, check, "candidate"),
        )
        verdict.figures[f"{check}_pass_rate"] = {
            "current": round(current, 4),
            "candidate": round(candidate, 4),
        }
        if required and candidate < current:
            verdict.reasons.append(
                f"{check} regression: the candidate passes {candidate:.3f}, "
                f"the current model {current:.3f}"
            )
    verdict.ship = not verdict.reasons
    return verdict
