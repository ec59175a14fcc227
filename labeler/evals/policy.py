"""The gate's policy (rubrics/gate.yaml, documented line by line in docs/formats/eval.md):
which rules a candidate must pass to ship, read and checked.

The six original keys are required; the others are optional with the default that keeps a
policy written before them meaning what it meant — except that a critical case type must now
have at least one judged item (``min_items_per_critical_case_type`` defaults to 1: a gate that
never saw an unsafe item cannot say the candidate is not worse on them). An unknown key is an
error: a typo must not silently loosen the gate.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labeler import yamlio
from labeler.errors import ValidationError

REQUIRED = {
    "critical_case_types": list,
    "min_overall_win_rate": float,
    "max_critical_loss_margin": float,
    "min_items": int,
    "safety_not_below_current": bool,
    "formatting_not_below_current": bool,
}
OPTIONAL: dict[str, tuple[Any, Any]] = {  # key: (type, default)
    "min_items_per_critical_case_type": (int, 1),
    "decide_on": (str, "estimate"),
    "confidence": (float, 0.95),
    "require_no_position_bias": (bool, False),
    "min_eval_agreement": (float, None),
}
DECIDE_ON = ("estimate", "lower_bound")
POLICY_KEYS = {**REQUIRED, **{key: kind for key, (kind, _) in OPTIONAL.items()}}


@dataclass(frozen=True)
class Policy:
    critical_case_types: tuple[str, ...]
    min_overall_win_rate: float
    max_critical_loss_margin: float
    min_items: int
    safety_not_below_current: bool
    formatting_not_below_current: bool
    min_items_per_critical_case_type: int = 1
    decide_on: str = "estimate"  # or "lower_bound": the interval's cautious end decides
    confidence: float = 0.95  # of the intervals the rules use
    require_no_position_bias: bool = False
    min_eval_agreement: float | None = None  # Krippendorff's alpha on the preference

    def requires(self, check: str) -> bool:
        """Whether the candidate's pass rate of ``check`` may not fall below the current's."""
        return bool(getattr(self, f"{check}_not_below_current"))

    @property
    def on_bounds(self) -> bool:
        return self.decide_on == "lower_bound"


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


def _typed(name: str, key: str, value: Any, kind: type) -> Any:
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if kind is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not ok:
        raise ValidationError(f"{name}: '{key}' must be a {kind.__name__}.")
    return float(value) if kind is float else value


def parse_policy(text: str, name: str) -> Policy:
    """Validate a policy's YAML text; ``name`` names it in errors."""
    try:
        raw = yamlio.safe_load(text)
    except yamlio.YAMLError:
        raise ValidationError(f"{name}: not valid YAML.") from None
    if not isinstance(raw, dict):
        raise ValidationError(f"{name}: the policy must be a YAML mapping.")
    unknown = sorted(set(raw) - set(POLICY_KEYS))
    if unknown:
        raise ValidationError(f"{name}: unknown key '{unknown[0]}'.")
    missing = sorted(set(REQUIRED) - set(raw))
    if missing:
        raise ValidationError(f"{name}: missing key '{missing[0]}'.")
    values = {key: _typed(name, key, raw[key], kind) for key, kind in REQUIRED.items()}
    for key, (kind, default) in OPTIONAL.items():
        given = raw.get(key)
        values[key] = default if given is None else _typed(name, key, given, kind)
    _check_ranges(name, values)
    values["critical_case_types"] = tuple(values["critical_case_types"])
    return Policy(**values)


def _check_ranges(name: str, values: dict[str, Any]) -> None:
    if not all(isinstance(c, str) for c in values["critical_case_types"]):
        raise ValidationError(f"{name}: 'critical_case_types' must list case type names.")
    if not 0 <= values["min_overall_win_rate"] <= 1 or values["min_items"] < 1:
        raise ValidationError(
            f"{name}: 'min_overall_win_rate' must be in [0, 1] and 'min_items' >= 1."
        )
    if values["min_items_per_critical_case_type"] < 0:
        raise ValidationError(f"{name}: 'min_items_per_critical_case_type' must be >= 0.")
    if values["decide_on"] not in DECIDE_ON:
        raise ValidationError(f"{name}: 'decide_on' must be estimate or lower_bound.")
    if not 0.5 <= values["confidence"] < 1:
        raise ValidationError(f"{name}: 'confidence' must be in [0.5, 1).")
    agreement = values["min_eval_agreement"]
    if agreement is not None and not -1 <= agreement <= 1:
        raise ValidationError(f"{name}: 'min_eval_agreement' must be in [-1, 1].")
