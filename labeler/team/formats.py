"""The payloads of the signed files labelers and the lead exchange, declared once.

The signed envelope (``labeler.crypto.signed_files``) carries a payload as JSON text; once the
signature checks out, the payload is converted into one of these (``labeler.jsonio.convert``),
so their types are the checks and ``scripts/make-schemas`` publishes them as JSON Schemas.
Unknown fields are ignored, so a newer Labeler may add some. Every field has a cap; rules a
schema cannot say (timestamps that parse, the signer's identity, answers that fit the rubric,
an item labeled once) are checked in ``label_exchange``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

MAX_LABELS = 1_000_000
MAX_BUNDLES = 10_000
MAX_ANSWERS = 64
MAX_NOTE_CHARS = 10_000  # labeler.labeling.rubric.MAX_NOTE_CHARS (a test keeps them equal)
MAX_SECONDS = 31 * 24 * 3600  # a label open for more than a month is not a measurement
MAX_RUBRIC_YAML_CHARS = 262_144
MAX_GUIDANCE_CHARS = 1_048_576

_NAME = "no control or bidirectional formatting characters"
Id = Annotated[str, Meta(min_length=1, max_length=200, description=f"1-200 characters, {_NAME}")]
Short = Annotated[str, Meta(min_length=1, max_length=100, description=f"1-100 characters, {_NAME}")]
DisplayName = Annotated[
    str, Meta(min_length=1, max_length=80, description=f"1-80 characters, {_NAME}")
]
Sha256 = Annotated[str, Meta(pattern="^[0-9a-f]{64}$", description="sha256, lowercase hex")]
Timestamp = Annotated[
    str,
    Meta(
        max_length=40,
        extra_json_schema={"format": "date-time"},
        description="RFC 3339 with a time zone offset",
    ),
]
Answer = Annotated[str, Meta(max_length=MAX_NOTE_CHARS)]
Answers = Annotated[
    dict[Annotated[str, Meta(min_length=1, max_length=100)], Answer],
    Meta(
        max_length=MAX_ANSWERS,
        description="question id -> choice id (or the note's text, at most 10,000 characters)",
    ),
]


class LabelerRef(Struct):
    """Who signed the labels: the id is the one the signing key gives (``labeler-`` and the
    start of the key's sha256), the name the one the lead trusted the key under, and the
    role always 'labeler': the lead role is never claimed through a file."""

    id: Short
    display_name: DisplayName
    role: Literal["labeler", "lead"]


class RubricRef(Struct):
    """A rubric version: the current one ('rubric') and every one the labels were made
    under ('rubrics'); 'yaml' and 'guidance' carry its text, so the answers can be checked
    against that very version (its content hash must match)."""

    id: Short
    version: Short
    hash: Sha256
    yaml: Annotated[str, Meta(max_length=MAX_RUBRIC_YAML_CHARS)] | None = None
    guidance: Annotated[str, Meta(max_length=MAX_GUIDANCE_CHARS)] | None = None


class LabelEntry(Struct, gc=False):
    """One label. 'side_order' (AB or BA) is how a blind pair was shown to the labeler: set
    for side-by-side and eval items, null for any other."""

    item_id: Id
    answers: Answers
    rubric_id: Short
    rubric_version: Short
    rubric_hash: Sha256
    started_at: Timestamp
    saved_at: Timestamp
    seconds_spent: Annotated[float, Meta(ge=0, le=MAX_SECONDS)]
    side_order: Literal["AB", "BA"] | None = None


class SpanEntry(Struct, gc=False):
    """One redacted stretch: ``text[start:end]`` of the item's ``field`` (``input``,
    ``output``, ``retries[1].output``...), offsets into the original text; never the text."""

    kind: Annotated[str, Meta(min_length=1, max_length=40)]
    start: Annotated[int, Meta(ge=0)]
    end: Annotated[int, Meta(ge=0)]
    field: Annotated[str, Meta(min_length=1, max_length=40)]


class RedactionEntry(Struct):
    """A redaction a labeler with restricted access confirmed: the lead's laptop applies the
    same spans to its copy of the item (sealed label files only)."""

    item_id: Id
    spans: Annotated[list[SpanEntry], Meta(min_length=1, max_length=10_000)]
    redacted_at: Timestamp


class LabelsPayload(Struct):
    """The payload of a .llabels file (format 'labeler-labels', version 1)."""

    labeler: LabelerRef
    exported_at: Timestamp
    bundle_ids: Annotated[list[Short], Meta(max_length=MAX_BUNDLES)]
    labels: Annotated[list[LabelEntry], Meta(max_length=MAX_LABELS)]
    workspace_id: Annotated[str, Meta(max_length=100)] | None = None
    rubric: RubricRef | None = None
    rubrics: Annotated[list[RubricRef], Meta(max_length=100)] | None = None
    redactions: Annotated[list[RedactionEntry], Meta(max_length=MAX_LABELS)] | None = None


class LeadRef(Struct):
    id: Short
    display_name: DisplayName


class ResolutionEntry(Struct, gc=False):
    """The lead's final answers for one item (sides as the lead saw them), and why."""

    item_id: Id
    answers: dict[str, Any]
    cause: Annotated[str, Meta(max_length=40)]
    note: Annotated[str, Meta(max_length=MAX_NOTE_CHARS)]
    resolved_by: Short
    resolved_at: Timestamp
    clause: Annotated[str, Meta(max_length=200)] | None = None


class ResolutionsPayload(Struct):
    """The payload of a resolutions file (format 'labeler-resolutions', version 1)."""

    lead: LeadRef
    exported_at: Timestamp
    resolutions: Annotated[list[ResolutionEntry], Meta(max_length=MAX_LABELS)]
    for_member: Short | None = None  # sealed files: the one member the feedback is for


class RubricText(Struct):
    """One rubric version as the lead installed it: the YAML and guidance texts exactly, and
    the content hash (sha256 of the YAML, a NUL byte and the guidance) they give."""

    id: Short
    version: Short
    content_hash: Sha256
    yaml: Annotated[str, Meta(max_length=MAX_RUBRIC_YAML_CHARS)]
    guidance: Annotated[str, Meta(max_length=MAX_GUIDANCE_CHARS)]


class RubricPayload(Struct):
    """The payload of a rubric file (format 'labeler-rubric', version 1)."""

    lead: LeadRef
    exported_at: Timestamp
    rubric: RubricText
    workspace_id: Annotated[str, Meta(max_length=100)] | None = None


SCHEMAS: dict[str, tuple[Any, str]] = {
    "labels-payload.schema.json": (LabelsPayload, "Labeler label file payload"),
    "resolutions-payload.schema.json": (ResolutionsPayload, "Labeler resolutions file payload"),
    "rubric-payload.schema.json": (RubricPayload, "Labeler rubric file payload"),
}
