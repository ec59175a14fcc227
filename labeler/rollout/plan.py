"""A rollout plan, read and checked: the stages in order, a guard per signal, the error rate.

The plan's text is kept exactly as read: its sha256 goes into every verdict made with it, so
a verdict can be matched to the plan that produced it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import yaml

from labeler.errors import ValidationError
from labeler.jsonio import convert
from labeler.rollout.formats import GuardDecl, PlanFile, StageDecl

# The signals a guard can name, with what their rate counts (docs/formats/rollout.md).
SIGNALS = {
    "edit_rate": "edit events per request",
    "retry_rate": "retry-after-failure events per request",
    "side_by_side_loss_rate": "side-by-side picks lost by the version served, per pick",
    "sensitive_data_rate": "events flagged sensitive (reason code or PII in the model's "
    "output) per request",
}
PER_REQUEST = ("edit_rate", "retry_rate", "sensitive_data_rate")  # need exposures
# Where the confidence sequence is tightest when a guard does not say (``tuned_for``):
# effective observations per arm. Any value keeps the error rate; it only moves power.
DEFAULT_TUNING = {"side_by_side_loss_rate": 1_000}
DEFAULT_REQUEST_TUNING = 10_000


@dataclass(frozen=True)
class Guard:
    signal: str
    worse: str  # "higher" | "lower"
    max_worsening: float
    tuned_for: int

    def worsening(self, difference: float) -> float:
        """The candidate's difference (candidate - baseline) as a worsening (> 0 is worse)."""
        return difference if self.worse == "higher" else -difference


@dataclass(frozen=True)
class Stage:
    name: str
    share: float | None  # None: internal users
    min_days: int

    @property
    def audience(self) -> str:
        return "internal users" if self.share is None else f"{self.share:.0%} of traffic"


@dataclass(frozen=True)
class Plan:
    alpha: float
    stages: tuple[Stage, ...]
    guards: tuple[Guard, ...]
    text: str
    name: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def alpha_per_guard(self) -> float:
        """Bonferroni: each guard's sequence gets an equal share of the plan's error rate."""
        return self.alpha / len(self.guards)

    def stage(self, name: str) -> Stage:
        for stage in self.stages:
            if stage.name == name:
                return stage
        names = ", ".join(s.name for s in self.stages)
        raise ValidationError(f"{self.name}: no stage '{name}' (the plan has {names}).")

    def next_stage(self, name: str) -> Stage | None:
        index = [s.name for s in self.stages].index(name)
        return self.stages[index + 1] if index + 1 < len(self.stages) else None

    def needs_exposures(self) -> list[str]:
        return [g.signal for g in self.guards if g.signal in PER_REQUEST]


def read_plan(path: Path) -> Plan:
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as err:
        raise ValidationError(f"{path}: cannot be read ({err.strerror}).") from None
    except UnicodeDecodeError:
        raise ValidationError(f"{path.name}: not UTF-8 text.") from None
    return parse_plan(text, path.name)


def parse_plan(text: str, name: str) -> Plan:
    """Check a plan's YAML text; ``name`` names it in errors."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError:
        raise ValidationError(f"{name}: not valid YAML.") from None
    if not isinstance(raw, dict):
        raise ValidationError(f"{name}: the plan must be a YAML mapping.")
    declared = convert(raw, PlanFile, name, "the plan")
    stages = tuple(_stage(s) for s in declared.stages)
    if len({s.name for s in stages}) != len(stages):
        raise ValidationError(f"{name}: two stages have the same name.")
    guards = tuple(_guard(signal, g) for signal, g in sorted(declared.guards.items()))
    return Plan(declared.alpha, stages, guards, text, name)


def _stage(decl: StageDecl) -> Stage:
    share = None if decl.share == "internal" else float(decl.share)
    return Stage(decl.name, share, decl.min_days)


def _guard(signal: str, decl: GuardDecl) -> Guard:
    default = DEFAULT_TUNING.get(signal, DEFAULT_REQUEST_TUNING)
    return Guard(signal, decl.worse, decl.max_worsening, decl.tuned_for or default)
