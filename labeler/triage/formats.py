"""The triage file formats, declared once: capture events, and a bundle's manifest and items.

Each declaration is what the reader decodes into (``labeler.jsonio.decode``), so its types and
``Meta`` constraints are the checks, and ``scripts/make-schemas`` turns the same declaration
into the published JSON Schema (docs/formats/*.schema.json). Rules a schema cannot say — an
item's week equals its bundle's, a ``content_hash`` matches, eval signals only in eval
bundles, a span inside its field, a timestamp that parses, flags that agree, no control
characters — are checked after decoding, in ``bundle_file`` and ``events``.

Every field has a cap, not only the texts: a 60 MB model version is as hostile as a 60 MB
input (the app shows it in the header).

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
MAX_NAME_CHARS = 200  # model names and versions
MAX_RETRIES = 100
MAX_SPANS = 100_000
MAX_SETTINGS_BYTES = 65_536  # model.settings as canonical JSON
MAX_SETTINGS_DEPTH = 16
MAX_SUBJECT_CHARS = 1_000
MAX_KEY_CHARS = 64  # keys of the manifest's statistics maps
MAX_MAP_ENTRIES = 1_000
WEEK_REGEX = r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$"
SHA256_REGEX = "^[0-9a-f]{64}$"

# The same values as labeler.domain and labeler.triage.pii name (a test keeps them equal);
# spelled out because a Literal must be written literally for mypy.
Signal = Literal["edit", "retry", "side_by_side", "sample", "rating", "reaction", "ticket"]
ItemSignal = Literal["edit", "retry", "side_by_side", "sample", "eval"]
ReasonCode = Literal["wrong", "unsafe", "missing_info", "formatting", "sensitive_data"]
PiiKind = Literal["email", "phone", "payment_card", "iban", "us_ssn", "ip_address", "secret"]

Text = Annotated[
    str,
    Meta(
        max_length=MAX_TEXT_CHARS,
        description="at most 1 MiB characters; no control characters U+0000-U+0008 or "
        "U+000E-U+001B (NUL, ESC, ...): layout and separators are text",
    ),
]
Name = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=MAX_NAME_CHARS,
        description="1-200 characters, no control or bidirectional formatting characters",
    ),
]
Id = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=MAX_ID_CHARS,
        description="1-200 characters, no control or bidirectional formatting characters",
    ),
]
Sha256 = Annotated[str, Meta(pattern=SHA256_REGEX, description="sha256, lowercase hex")]
Week = Annotated[str, Meta(pattern=WEEK_REGEX, description="ISO week, e.g. 2026-W48")]
Count = Annotated[int, Meta(ge=0, le=2**53)]
Timestamp = Annotated[
    str,
    Meta(
        max_length=40,
        extra_json_schema={"format": "date-time"},
        description="RFC 3339 with a time zone offset",
    ),
]
Key = Annotated[str, Meta(max_length=MAX_KEY_CHARS)]
CountMap = Annotated[dict[Key, Count], Meta(max_length=MAX_MAP_ENTRIES)]
CaseType = Literal[
    "wrong", "unsafe", "missing_info", "formatting", "sensitive_data", "normal", "unspecified"
]


# --- capture events (input of 'labeler bundle build') ----------------------------------------


class EventModel(Struct, gc=False):
    """The model and its key settings; other keys are ignored."""

    name: Annotated[str, Meta(max_length=MAX_NAME_CHARS)] | None = None
    version: Annotated[str, Meta(max_length=MAX_NAME_CHARS)] | None = None
    settings: dict[str, Any] | None = None


class EventRetry(Struct, gc=False):
    """Retry: what the user changed, and the next output."""

    change: Text
    output: Text


class EventCandidate(Struct, gc=False):
    """Side by side: one of the two outputs shown."""

    model_version: Name
    output: Text


class CaptureEvent(Struct, gc=False):
    """One captured feedback event: a line of a .jsonl file, a CSV row (nested fields as JSON
    strings) or a Parquet row. Unknown fields are allowed here but never reach a bundle."""

    event_id: Id
    captured_at: Timestamp
    signal: Signal
    reason_code: ReasonCode | None = None
    input: Text | None = None
    intent: Text | None = None
    model: EventModel | None = None
    output: Text | None = None
    edited_output: Text | None = None
    retries: Annotated[list[EventRetry], Meta(max_length=MAX_RETRIES)] | None = None
    candidates: Annotated[list[EventCandidate], Meta(min_length=2, max_length=2)] | None = None
    picked: Literal[0, 1] | None = None
    rating: Literal[1, 2, 3, 4, 5] | None = None
    reaction: Literal["up", "down"] | None = None
    ticket_text: Text | None = None
    subject: Annotated[str, Meta(max_length=MAX_SUBJECT_CHARS)] | None = None
    redaction_confirmed: bool | None = None


# --- bundle items (items.jsonl) --------------------------------------------------------------


class ItemModel(Struct, forbid_unknown_fields=True, gc=False):
    """The model and its key settings: ``settings`` is at most 64 KiB as canonical JSON and
    nested at most 16 deep."""

    name: Annotated[str, Meta(max_length=MAX_NAME_CHARS)] | None
    version: Name
    settings: dict[str, Any]


class RetryStep(Struct, forbid_unknown_fields=True, gc=False):
    change: Text
    output: Text


class Candidate(Struct, forbid_unknown_fields=True, gc=False):
    model_version: Name
    output: Text


class PiiSpan(Struct, gc=False):
    """A personal-data match: character offsets (end exclusive) in the named field, which is
    one of the item's texts (input, intent, output, edited_output, retries[i].change,
    retries[i].output, candidates[i].output)."""

    kind: PiiKind
    start: Annotated[int, Meta(ge=0, le=MAX_TEXT_CHARS)]
    end: Annotated[int, Meta(ge=1, le=MAX_TEXT_CHARS)]
    field: Annotated[str, Meta(max_length=40)]


class BundleItem(Struct, forbid_unknown_fields=True, gc=False):
    """One line of items.jsonl. Signal 'eval' only in eval bundles; 'week' equals the
    manifest's; 'content_hash' is the sha256 of the canonical JSON of the content fields.
    Each signal carries its evidence (edit: output and edited_output; retry: retries;
    side_by_side and eval: candidates; sample: output), 'picked' only for side_by_side; an
    item is never both restricted and overlap, never restricted=false with PII spans."""

    id: Id
    week: Week
    signal: ItemSignal
    reason_code: ReasonCode | None
    captured_at: Timestamp
    input: Text | None
    intent: Text | None
    model: ItemModel
    output: Text | None
    edited_output: Text | None
    retries: Annotated[list[RetryStep], Meta(min_length=1, max_length=MAX_RETRIES)] | None
    candidates: Annotated[list[Candidate], Meta(min_length=2, max_length=2)] | None
    picked: Literal[0, 1] | None
    subject_hash: Sha256 | None
    restricted: bool
    pii: Annotated[list[PiiSpan], Meta(max_length=MAX_SPANS)]
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
    count: Count
    negative: Count
    share_negative: Annotated[float, Meta(ge=0, le=1)] | None


class HoldoutCounts(Struct):
    total: Count
    failure_modes: Count
    normal_traffic: Count
    by_case: CountMap


class BuildOptionsRecord(Struct):
    """The options the bundle was built with. Week bundles: week, per_reason, normal,
    overlap, holdout_rate, seed, holdout_key; eval bundles: size, seed, holdout."""

    week: Week | None = None
    per_reason: Count | None = None
    normal: Count | None = None
    overlap: Annotated[int, Meta(ge=10, le=20)] | None = None
    holdout_rate: Annotated[float, Meta(ge=0, le=1)] | None = None
    seed: Annotated[int, Meta(ge=-(2**63), le=2**63 - 1)] | None = None
    holdout_key: (
        Annotated[
            str,
            Meta(
                pattern="^[0-9a-f]{16}$",
                description="first 16 hex of sha256 of the key, never the key",
            ),
        ]
        | None
    ) = None
    size: Count | None = None
    holdout: Annotated[str, Meta(max_length=MAX_NAME_CHARS)] | None = None
    sampling: (
        Annotated[
            str,
            Meta(max_length=MAX_NAME_CHARS, description="the sampling definition, docs/triage.md"),
        ]
        | None
    ) = None
    allow_fewer: bool | None = None


class BundleStatistics(Struct):
    """What the builder saw (docs/formats/capture-events.md). Week bundles: events through
    holdout; eval bundles: holdout_items, eligible, per_case_type, and withheld (the sealed
    week's restricted items the building laptop could not read, so none is in the eval)."""

    events: Count | None = None
    by_signal: CountMap | None = None
    low_intent: Annotated[dict[Key, LowIntentCount], Meta(max_length=MAX_MAP_ENTRIES)] | None = None
    dropped: CountMap | None = None
    eligible_per_case: CountMap | None = None
    sampled_per_case: CountMap | None = None
    ignored_over_cap: CountMap | None = None
    restricted: Count | None = None
    overlap: Count | None = None
    holdout: HoldoutCounts | None = None
    holdout_items: Count | None = None
    left_out: Count | None = None
    eligible: Count | None = None
    sampled: Count | None = None
    per_case_type: CountMap | None = None
    withheld: Count | None = None


class PackRef(Struct):
    """A label pack verified when the eval was built: its id, kind, manifest hash and key."""

    pack_id: Id
    kind: Literal["training", "eval"]
    manifest_sha256: Sha256
    signer_key_id: Annotated[str, Meta(pattern="^[0-9A-F]{16}$")]
    created_at: Timestamp
    rows: Count
    weeks: Annotated[list[Week], Meta(max_length=MAX_MAP_ENTRIES)]


class LeftOut(Struct):
    """A holdout item the eval left out: a training pack holds it or a near copy of it."""

    item_id: Id
    cause: Literal["in_training_pack", "near_duplicate_of_training"]
    pack_id: Id


class EvalLineage(Struct):
    """Where the eval's items come from (the eval pack; null for a week's bundle file), the
    training packs the candidate was trained on, and the holdout items left out for them."""

    holdout_pack: PackRef | None
    trained_on: Annotated[list[PackRef], Meta(max_length=MAX_MAP_ENTRIES)]
    left_out: Annotated[list[LeftOut], Meta(max_length=MAX_ITEMS)]


class EvalSection(Struct):
    """An eval bundle's two model versions (different) and each item's case type (item id ->
    case type, for exactly the bundle's items); ``lineage`` from eval bundles built since the
    release-safety work."""

    current_version: Name
    candidate_version: Name
    case_types: Annotated[dict[Id, CaseType], Meta(max_length=MAX_ITEMS)]
    lineage: EvalLineage | None = None


class AssignmentLabeler(Struct, forbid_unknown_fields=True):
    """A labeler the bundle's items are shared among (their id from their public key)."""

    id: Id
    display_name: Name
    restricted: bool


class AssignmentSection(Struct, forbid_unknown_fields=True):
    """Who labels what: each non-overlap item id -> the one labeler it is assigned to (by
    rendezvous hashing with HMAC-SHA256 under ``key``); overlap items are everyone's and are
    not in ``items``; an item in neither is assigned to no one (restricted, and no labeler
    has restricted access). Every id in ``items`` is an item of the bundle, every assignee
    one of ``labelers``, and a restricted item goes only to a labeler with restricted
    access."""

    key: Annotated[str, Meta(pattern="^[0-9a-f]{64}$", description="32 random bytes, hex")]
    labelers: Annotated[list[AssignmentLabeler], Meta(min_length=1, max_length=MAX_MAP_ENTRIES)]
    items: Annotated[dict[Id, Id], Meta(max_length=MAX_ITEMS)]


class BundleManifest(Struct):
    """manifest.json of a bundle. Builders always write builder_version, options and
    statistics; 'eval' is required when kind is 'eval'. Other fields are ignored."""

    format_version: Literal[1]
    bundle_id: Annotated[str, Meta(min_length=1, max_length=100)]
    week: Week
    created_at: Timestamp
    item_count: Annotated[int, Meta(ge=0, le=MAX_ITEMS)]
    files: BundleFiles
    kind: Literal["week", "eval"] = "week"
    builder_version: Annotated[str, Meta(max_length=100)] | None = None
    options: BuildOptionsRecord | None = None
    statistics: BundleStatistics | None = None
    eval: EvalSection | None = None
    assignment: AssignmentSection | None = None


SCHEMAS: dict[str, tuple[Any, str]] = {
    "capture-event.schema.json": (CaptureEvent, "Labeler capture event"),
    "bundle-manifest.schema.json": (BundleManifest, "Labeler bundle manifest (manifest.json)"),
    "bundle-item.schema.json": (BundleItem, "Labeler bundle item (one line of items.jsonl)"),
}
