"""YAML in one place: rubrics and policies are parsed with libyaml's C loader where PyYAML
has it (the pure-Python loader took ~100 ms of start-up for the default rubric)."""

from __future__ import annotations

from typing import Any

import yaml

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
YAMLError = yaml.YAMLError


def safe_load(text: str) -> Any:
    """Like ``yaml.safe_load``: plain data only, no Python objects."""
    return yaml.load(text, Loader=_Loader)
