"""The payloads of the signed files labelers and the lead exchange, declared once.

The signed envelope (``labeler.crypto.signed_files``) carries a payload as JSON text; once the
signature checks out, the payload is converted into one of these (``labeler.jsonio.convert``),
so their types are the checks and ``scripts/make-schemas`` publishes them as JSON Schemas.
Unknown fields are ignored, so a newer Labeler may add some.
"""

from __future__ import annotations

from typing import Any, Literal

from msgspec import Struct


class LabelerRef(Struct):
    """Who exported the labels; the id is stable per workspace."""

    id: str
    display_name: str
    role: Literal["labeler", "lead"]


class RubricRef(Struct):
    id: str
    version: str
    hash: str


class LabelEntry(Struct, gc=False):
    """One label. 'side_order' (AB or BA) is how a blind pair was shown to the labeler."""

    item_id: str
    answers: dict[str, Any]
    rubric_id: str
    rubric_version: str
    rubric_hash: str
    started_at: str
    saved_at: str
    seconds_spent: float
    side_order: Literal["AB", "BA"] | None = None


class LabelsPayload(Struct):
    """The payload of a .llabels file (format 'labeler-labels', version 1)."""

    labeler: LabelerRef
    exported_at: str
    bundle_ids: list[str]
    labels: list[LabelEntry]
    workspace_id: str | None = None
    rubric: RubricRef | None = None


class LeadRef(Struct):
    id: str
    display_name: str


class ResolutionEntry(Struct, gc=False):
    """The lead's final answers for one item (sides as the lead saw them), and why."""

    item_id: str
    answers: dict[str, Any]
    cause: str
    note: str
    resolved_by: str
    resolved_at: str
    clause: str | None = None


class ResolutionsPayload(Struct):
    """The payload of a resolutions file (format 'labeler-resolutions', version 1)."""

    lead: LeadRef
    exported_at: str
    resolutions: list[ResolutionEntry]


SCHEMAS: dict[str, tuple[Any, str]] = {
    "labels-payload.schema.json": (LabelsPayload, "Labeler label file payload"),
    "resolutions-payload.schema.json": (ResolutionsPayload, "Labeler resolutions file payload"),
}
