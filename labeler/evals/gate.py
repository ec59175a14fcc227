"""The ship / don't-ship gate: judgments of a blind side-by-side eval against a policy.

Pure functions, no store and no Qt: a release pipeline calls ``labeler eval gate`` with a
judgments file and a policy and acts on the exit code (0 ship, 1 do not ship, 2 bad input).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
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
# (check name in judgments files and policies, the rubric role whose side pair answers it)
CHECKS = (("safety", "side_safety"), ("formatting", "side_formatting"))


@dataclass(frozen=True)
class Policy:
    critical_case_types: tuple[str, ...]
    min_overall_win_rate: float
    max_critical_loss_margin: float
    min_items: int
    safety_not_below_current: bool
    formatting_not_below_current: bool

    def requires(self, check: str) -> bool:
        """Whether the candidate's pass rate of ``check`` may not fall below the current's."""
        return bool(getattr(self, f"{check}_not_below_current"))


@dataclass(frozen=True)
class Judgment:
    item_id: str
    case_type: str
    winner: str
    safety: dict[str, bool]
    formatting: dict[str, bool]

    def check(self, name: str) -> dict[str, bool]:
        return dict(getattr(self, name))

    def to_json(self) -> dict[str, Any]:
        """One line of a judgments file."""
        return {
            "item_id": self.item_id,
            "case_type": self.case_type,
            "winner": self.winner,
            **{name: self.check(name) for name, _ in CHECKS},
        }


@dataclass(frozen=True)
class Tally:
    """Wins (the candidate's), losses and ties of a group of judgments."""

    items: int
    wins: int
    losses: int
    ties: int
    win_rate: float  # (wins + ties / 2) / items


@dataclass(frozen=True)
class CaseTally(Tally):
    loss_margin: float  # (losses - wins) / items


@dataclass(frozen=True)
class PassRates:
    current: float
    candidate: float


@dataclass(frozen=True)
class Verdict:
    ship: bool
    reasons: tuple[str, ...]
    overall: Tally
    case_types: Mapping[str, CaseTally]
    pass_rates: Mapping[str, PassRates]  # by check name

    @property
    def word(self) -> str:
        return "SHIP" if self.ship else "DO NOT SHIP"

    def figures(self) -> dict[str, Any]:
        """The figures behind the verdict, as ``--json`` prints and a gate run keeps them."""
        return {
            **_fields(self.overall),
            "case_types": {case: _fields(t) for case, t in self.case_types.items()},
            **{f"{check}_pass_rate": _fields(r) for check, r in self.pass_rates.items()},
        }

    def to_json(self) -> dict[str, Any]:
        return {"verdict": self.word, "ship": self.ship, "reasons": list(self.reasons),
                **self.figures()}  # fmt: skip


def _fields(value: Any) -> dict[str, Any]:
    return dataclasses.asdict(value)


@dataclass(frozen=True)
class GateInputs:
    """A policy and judgments as read, with what a gate run keeps of them."""

    policy: Policy
    policy_text: str
    judgments: tuple[Judgment, ...]
    judgments_sha256: str

    @property
    def policy_sha256(self) -> str:
        return hashlib.sha256(self.policy_text.encode("utf-8")).hexdigest()


def read_inputs(judgments: Path, policy: Path) -> GateInputs:
    """Read and check both files (a ValidationError names the first problem)."""
    policy_text = read_text(policy)
    found = tuple(parse_judgments(judgments))
    digest = hashlib.sha256(judgments.read_bytes()).hexdigest()
    return GateInputs(parse_policy(policy_text, policy.name), policy_text, found, digest)


def read_text(path: Path) -> str:
    """The file's text exactly (no newline translation: its sha256 is the file's)."""
    try:
        return path.read_bytes().decode("utf-8")
    except OSError as err:
        raise ValidationError(f"{path}: cannot be read ({err.strerror}).") from None
    except UnicodeDecodeError:
        raise ValidationError(f"{path.name}: not UTF-8 text.") from None


def load_policy(path: Path) -> Policy:
    return parse_policy(read_text(path), path.name)


def parse_policy(text: str, name: str) -> Policy:
    """Validate a policy's YAML text; ``name`` names it in errors."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError:
        raise ValidationError(f"{name}: not valid YAML.") from None
    if not isinstance(raw, dict):
        raise ValidationError(f"{name}: the policy must be a YAML mapping.")
    unknown = sorted(set(raw) - set(POLICY_KEYS))
    if unknown:
        raise ValidationError(f"{name}: unknown key '{unknown[0]}'.")
    missing = sorted(set(POLICY_KEYS) - set(raw))
    if missing:
        raise ValidationError(f"{name}: missing key '{missing[0]}'.")
    for key, kind in POLICY_KEYS.items():
        value = raw[key]
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if kind is float:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not ok:
            raise ValidationError(f"{name}: '{key}' must be a {kind.__name__}.")
    if not all(isinstance(c, str) for c in raw["critical_case_types"]):
        raise ValidationError(f"{name}: 'critical_case_types' must list case type names.")
    if not 0 <= raw["min_overall_win_rate"] <= 1 or raw["min_items"] < 1:
        raise ValidationError(
            f"{name}: 'min_overall_win_rate' must be in [0, 1] and 'min_items' >= 1."
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


def tally(judgments: list[Judgment]) -> Tally:
    counts = Counter(j.winner for j in judgments)
    return Tally(len(judgments), counts["candidate"], counts["current"], counts["tie"],
                 round(win_rate(judgments), 4))  # fmt: skip


def _pass_rate(judgments: list[Judgment], check: str, model: str) -> float:
    return sum(j.check(check)[model] for j in judgments) / len(judgments)


def _case_tallies(judgments: list[Judgment]) -> dict[str, CaseTally]:
    by_type: dict[str, list[Judgment]] = defaultdict(list)
    for judgment in judgments:
        by_type[judgment.case_type].append(judgment)
    found = {}
    for case_type, group in sorted(by_type.items()):
        t = tally(group)
        margin = round((t.losses - t.wins) / t.items, 4)
        found[case_type] = CaseTally(t.items, t.wins, t.losses, t.ties, t.win_rate, margin)
    return found


def decide(judgments: list[Judgment], policy: Policy) -> Verdict:
    """SHIP only when every rule holds; every failed rule is a reason."""
    reasons = []
    overall = win_rate(judgments)
    if len(judgments) < policy.min_items:
        reasons.append(
            f"too few items: {len(judgments)} judged, the policy needs {policy.min_items}"
        )
    if overall < policy.min_overall_win_rate:
        reasons.append(f"overall win rate {overall:.3f} is below {policy.min_overall_win_rate}")
    cases = _case_tallies(judgments)
    for case_type, t in cases.items():
        margin = (t.losses - t.wins) / t.items
        if case_type in policy.critical_case_types and margin > policy.max_critical_loss_margin:
            reasons.append(
                f"loses badly on critical case type '{case_type}': loss margin {margin:.3f} "
                f"(losses {t.losses}, wins {t.wins} of {t.items}) exceeds "
                f"{policy.max_critical_loss_margin}"
            )
    rates = {}
    for check, _ in CHECKS:
        current = _pass_rate(judgments, check, "current") if judgments else 0.0
        candidate = _pass_rate(judgments, check, "candidate") if judgments else 0.0
        rates[check] = PassRates(round(current, 4), round(candidate, 4))
        if policy.requires(check) and candidate < current:
            reasons.append(
                f"{check} regression: the candidate passes {candidate:.3f}, "
                f"the current model {current:.3f}"
            )
    return Verdict(not reasons, tuple(reasons), tally(judgments), cases, rates)
