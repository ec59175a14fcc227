"""The rollout's files, declared once: the plan (``rubrics/rollout.yaml``) and the exposures
file (request counts per model version and day). ``scripts/make-schemas`` publishes both as
docs/formats/*.schema.json; docs/formats/rollout.md explains them line by line.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

SignalName = Literal["edit_rate", "retry_rate", "side_by_side_loss_rate", "sensitive_data_rate"]
NonEmpty = Annotated[str, Meta(min_length=1, max_length=200)]


class StageDecl(Struct, forbid_unknown_fields=True):
    """One stage: who gets the candidate (internal users, or a share of all traffic) and how
    many days it must run before it may be promoted."""

    name: Annotated[str, Meta(min_length=1, max_length=40, pattern=r"^[a-z0-9_-]+$")]
    share: Annotated[float, Meta(gt=0, le=1)] | Literal["internal"]
    min_days: Annotated[int, Meta(ge=1, le=90)]


class GuardDecl(Struct, forbid_unknown_fields=True):
    """The guard on one signal: which direction is worse and the largest tolerated
    worsening, as an absolute difference of rates (0.01 = one percentage point)."""

    worse: Literal["higher", "lower"]
    max_worsening: Annotated[float, Meta(ge=0, le=1)]
    tuned_for: Annotated[int, Meta(ge=10)] | None = None


class PlanFile(Struct, forbid_unknown_fields=True):
    """A rollout plan: the error rate, the stages in order, and a guard per signal."""

    alpha: Annotated[float, Meta(gt=0, le=0.2)]
    stages: Annotated[list[StageDecl], Meta(min_length=1, max_length=10)]
    guards: Annotated[dict[SignalName, GuardDecl], Meta(min_length=1)]


class ExposureLine(Struct, forbid_unknown_fields=True):
    """Requests one model version served on one day (UTC), and the stage it was in."""

    date: dt.date
    model_version: NonEmpty
    requests: Annotated[int, Meta(ge=0)]
    stage: NonEmpty | None = None


SCHEMAS: dict[str, tuple[Any, str]] = {
    "rollout-plan.schema.json": (
        PlanFile,
        "Labeler rollout plan (YAML, e.g. rubrics/rollout.yaml)",
    ),
    "exposures.schema.json": (ExposureLine, "Labeler exposures (one line of JSON lines)"),
}
