"""The triage file formats, declared once: capture events, and a bundle's manifest and items.

Each declaration is what the reader decodes into (``labeler.jsonio.decode``), so its types and
``Meta`` constraints are the checks, and ``scripts/make-schemas`` turns the same declaration
into the published JSON Schema (docs/formats/*.schema.json). Rules a schema cannot say — an
item's week equals its bundle's, a ``content_hash`` matches, eval signals only in eval
bundles, a span's start before its end, a timestamp that parses — are checked after decoding,
in ``bundle_file`` and ``events``.

Item structs are ``gc=False``: decoded JSON cannot form a reference cycle, and 100,000 of
them tracked by the collector cost more than decoding them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct

# Documented caps (docs/formats/bundle.md).
MAX_ITEMS = 200_000
MAX_TEXT_CHARS = 1_048_576
MAX_ID_CHARS = 200
WEEK_REGEX = r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$"
SHA256_REGEX = "^[0-9a-f]{64}$"

# The same values as labeler.domain and labeler.triage.pii name (a test keeps them equal);
# spelled out because a Literal must be written literally for mypy.
Signal = Literal["edit", "retry", "side_by_side", "sample", "rating", "reaction", "ticket"]
ItemSignal = Literal["edit", "retry", "side_by_side", "sample", "eval"]
ReasonCode = Literal["wrong", "unsafe", "missing_info", "formatting", "sensitive_data"]
PiiKind = Literal["email", "phone", "payment_card", "iban", "us_ssn", "ip_address", "secret"]

Text = Annotated[str, Meta(max_length=MAX_TEXT_CHARS, description="at most 1 MiB characters")]
Sha256 = Annotated[str, Meta(pattern=SHA256_REGEX, description="sha256, lowercase hex")]
Week = Annotated[str, Meta(pattern=WEEK_REGEX, description="ISO week, e.g. 2026-W48")]
Count = Annotated[int, Meta(ge=0)]
Timestamp = Annotated[
    str, Meta(max_length=40, extra_json_schema={"format": "date-time"}, description="RFC 3339")
]


# --- capture events (input of 'labeler bundle build') ----------------------------------------


class EventModel(Struct, gc=False):
    """The model and its key settings; other keys are ignored."""

    name: str | None = None
    version: str | None = None
    settings: dict[str, Any] | None = None


class EventRetry(Struct, gc=False):
    """Retry: what the user changed, and the next output."""

    change: Text
    output: Text


class EventCandidate(Struct, gc=False):
    """Side by side: one of the two outputs shown."""

    model_version: str
    output: Text


class CaptureEvent(Struct, gc=False):
    """One captured feedback event: a line of a .jsonl file, a CSV row (nested fields as JSON
    strings) or a Parquet row. Unknown fields are allowed here but never reach a bundle."""

    event_id: Annotated[str, Meta(min_length=1, max_length=MAX_ID_CHARS)]
    captured_at: Annotated[
        str, Meta(extra_json_schema={"format": "date-time"}, description="RFC 3339 with an offset")
    ]
    signal: Signal
    reason_code: ReasonCode | None = None
    input: Text | None = None
    intent: Text | None = None
    model: EventModel | None = None
    output: Text | None = None
    edited_output: Text | None = None
    retries: list[EventRetry] | None = None
    candidates: Annotated[list[EventCandidate], Meta(min_length=2, max_length=2)] | None = None
    picked: Literal[0, 1] | None = None
    rating: Literal[1, 2, 3, 4, 5] | None = None
    reaction: Literal["up", "down"] | None = None
    ticket_text: Text | None = None
    subject: Text | None = None
    redaction_confirmed: bool | None = None


# --- bundle items (items.jsonl) --------------------------------------------------------------


class ItemModel(Struct, forbid_unknown_fields=True, gc=False):
    name: Text | None
    version: str
    settings: dict[str, Any]


class RetryStep(Struct, forbid_unknown_fields=True, gc=False):
    change: Text
    output: Text


class Candidate(Struct, forbid_unknown_fields=True, gc=False):
    model_version: str
    output: Text


class PiiSpan(Struct, gc=False):
    """A personal-data match: character offsets (end exclusive) in the named field."""

    kind: PiiKind
    start: Count
    end: Annotated[int, Meta(ge=1)]
    field: str


class BundleItem(Struct, forbid_unknown_fields=True, gc=False):
    """One line of items.jsonl. Signal 'eval' only in eval bundles; 'week' equals the
    manifest's; 'content_hash' is the sha256 of the canonical JSON of the content fields."""

    id: Annotated[str, Meta(min_length=1, max_length=MAX_ID_CHARS)]
    week: Week
    signal: ItemSignal
    reason_code: ReasonCode | None
    captured_at: Annotated[str, Meta(max_length=40, description="RFC 3339")]
    input: Text | None
    intent: Text | None
    model: ItemModel
    output: Text | None
    edited_output: Text | None
    retries: list[RetryStep] | None
    candidates: Annotated[list[Candidate], Meta(min_length=2, max_length=2)] | None
    picked: Literal[0, 1] | None
    subject_hash: Sha256 | None
    restricted: bool
    pii: list[PiiSpan]
    overlap: bool
    holdout: bool
    content_hash: Sha256


# --- the bundle manifest (manifest.json) -----------------------------------------------------


class FileDigest(Struct):
    sha256: Sha256
    size: Count


class BundleFiles(Struct):
    items: FileDigest = msgspec.field(name="items.jsonl")


class LowIntentCount(Struct):
    count: int
    negative: int
    share_negative: float | None


class HoldoutCounts(Struct):
    total: int
    failure_modes: int
    normal_traffic: int
    by_case: dict[str, int]


class BuildOptionsRecord(Struct):
    """The options the bundle was built with. Week bundles: week, per_reason, normal,
    overlap, holdout_rate, seed, holdout_key; eval bundles: size, seed, holdout."""

    week: str | None = None
    per_reason: Count | None = None
    normal: Count | None = None
    overlap: Annotated[int, Meta(ge=10, le=20)] | None = None
    holdout_rate: Annotated[float, Meta(ge=0, le=1)] | None = None
    seed: int | None = None
    holdout_key: (
        Annotated[str, Meta(description="first 16 hex of sha256 of the key, never the key")] | None
    ) = None
    size: Count | None = None
    holdout: str | None = None
    allow_fewer: bool | None = None


class BundleStatistics(Struct):
    """What the builder saw (docs/formats/capture-events.md). Week bundles: events through
    holdout; eval bundles: holdout_items, eligible, per_case_type."""

    events: int | None = None
    by_signal: dict[str, int] | None = None
    low_intent: dict[str, LowIntentCount] | None = None
    dropped: dict[str, int] | None = None
    eligible_per_case: dict[str, int] | None = None
    sampled_per_case: dict[str, int] | None = None
    ignored_over_cap: dict[str, int] | None = None
    restricted: int | None = None
    overlap: int | None = None
    holdout: HoldoutCounts | None = None
    holdout_items: int | None = None
    left_out: int | None = None
    eligible: int | None = None
    sampled: int | None = None
    per_case_type: dict[str, int] | None = None


class PackRef(Struct):
    """A label pack verified when the eval was built: its id, kind, manifest hash and key."""

    pack_id: str
    kind: Literal["training", "eval"]
    manifest_sha256: Sha256
    signer_key_id: str
    created_at: str
    rows: Count
    weeks: list[str]


class LeftOut(Struct):
    """A holdout item the eval left out: a training pack holds it or a near copy of it."""

    item_id: str
    cause: Literal["in_training_pack", "near_duplicate_of_training"]
    pack_id: str


class EvalLineage(Struct):
    """Where the eval's items come from (the eval pack; null for a week's bundle file), the
    training packs the candidate was trained on, and the holdout items left out for them."""

    holdout_pack: PackRef | None
    trained_on: list[PackRef]
    left_out: list[LeftOut]


class EvalSection(Struct):
    """An eval bundle's two model versions and each item's case type (item id -> case type);
    ``lineage`` from eval bundles built since the release-safety work."""

    current_version: str
    candidate_version: str
    case_types: dict[str, str]
    lineage: EvalLineage | None = None


class BundleManifest(Struct):
    """manifest.json of a bundle. Builders always write builder_version, options and
    statistics; 'eval' is required when kind is 'eval'. Other fields are ignored."""

    format_version: Literal[1]
    bundle_id: Annotated[str, Meta(min_length=1, max_length=100)]
    week: Week
    created_at: Annotated[str, Meta(extra_json_schema={"format": "date-time"})]
    item_count: Annotated[int, Meta(ge=0, le=MAX_ITEMS)]
    files: BundleFiles
    kind: Literal["week", "eval"] = "week"
    builder_version: str | None = None
    options: BuildOptionsRecord | None = None
    statistics: BundleStatistics | None = None
    eval: EvalSection | None = None


SCHEMAS: dict[str, tuple[Any, str]] = {
    "capture-event.schema.json": (CaptureEvent, "Labeler capture event"),
    "bundle-manifest.schema.json": (BundleManifest, "Labeler bundle manifest (manifest.json)"),
    "bundle-item.schema.json": (BundleItem, "Labeler bundle item (one line of items.jsonl)"),
}
