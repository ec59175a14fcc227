"""A label pack's ``manifest.json``, declared once: ``export`` builds it from these structs,
``verify`` decodes what it reads into them, and ``scripts/make-schemas`` publishes the same
declaration as docs/formats/pack-manifest.schema.json. Unknown fields are ignored, so a
newer Labeler may add some and older verifiers still check the files. Every string, list and
map has a cap, so a signed but absurd manifest is refused with a sentence, not shown.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

FORMAT_VERSION = 1
MAX_ITEMS = 10_000_000
Sha256 = Annotated[str, Meta(pattern="^[0-9a-f]{64}$", description="sha256, lowercase hex")]
Count = Annotated[int, Meta(ge=0, le=2**53)]
Short = Annotated[str, Meta(max_length=200)]
Key = Annotated[str, Meta(max_length=200)]
Counts = Annotated[dict[Key, Count], Meta(max_length=10_000)]


class PackFile(Struct):
    """A file of the pack, as signed: any changed byte changes its size or hash."""

    name: Annotated[str, Meta(min_length=1, max_length=200, pattern=r"^[^/\\]+$")]
    size: Count
    sha256: Sha256


class RubricRef(Struct):
    id: Short
    version: Short
    hash: Short


class PackCounts(Struct):
    """Rows, per reason code, per case type, per answer per question, per decision, and the
    items left out per cause (holdout, restricted_unredacted, unresolved_disagreement,
    unlabeled, defective_item, low_intent, text_purged, near_duplicate_of_holdout; eval
    packs: in_training_pack, near_duplicate_of_training)."""

    rows: Count
    per_reason_code: Counts
    per_case_type: Counts
    per_answer: Annotated[dict[Key, Counts], Meta(max_length=1_000)]
    decided: Counts
    excluded: Counts


class FlaggedItem(Struct):
    """A holdout item left out of an eval pack: a training pack exported from this workspace
    held it (``in_training_pack``) or a row nearly copying it (``near_duplicate_of_training``)."""

    item_id: Key
    cause: Literal["in_training_pack", "near_duplicate_of_training"]


class LeakageGuard(Struct, omit_defaults=True):
    """What the guard compared and how many items it left out; eval packs also list the
    holdout items it flagged."""

    measure: Annotated[str, Meta(max_length=1_000)]
    excluded: Count
    flagged: Annotated[list[FlaggedItem], Meta(max_length=MAX_ITEMS)] | None = None


class QuestionAgreement(Struct):
    """Agreement on one question over the pack's weeks: paired items, Krippendorff's alpha
    (null when undefined) and a reliability flag."""

    n: Count
    alpha: Annotated[float, Meta(ge=-1e6, le=1)] | None
    flag: Short | None


class EvalCounts(Struct):
    failure_modes: Count
    normal_traffic: Count


class HoldoutEntry(Struct):
    item_id: Short
    content_hash: Sha256


class PackManifest(Struct, omit_defaults=True):
    """manifest.json of a label pack, signed by manifest.json.minisig. Eval packs also carry
    'eval' and 'holdout' (every holdout item id with its content hash)."""

    format_version: Literal[1]
    pack_id: Short
    kind: Literal["training", "eval"]
    created_at: Annotated[str, Meta(max_length=40, extra_json_schema={"format": "date-time"})]
    creator_id: Short
    creator_name: Short
    signer_key_id: Annotated[str, Meta(pattern="^[0-9A-F]{16}$")]
    workspace_id: Short
    weeks: Annotated[list[Short], Meta(max_length=10_000)]
    bundle_ids: Annotated[list[Short], Meta(max_length=10_000)]
    rubric: RubricRef
    counts: PackCounts
    leakage_guard: LeakageGuard
    agreement: Annotated[dict[Key, QuestionAgreement], Meta(max_length=1_000)]
    files: Annotated[list[PackFile], Meta(max_length=100)]
    eval: EvalCounts | None = None
    holdout: Annotated[list[HoldoutEntry], Meta(max_length=MAX_ITEMS)] | None = None


SCHEMAS: dict[str, tuple[Any, str]] = {
    "pack-manifest.schema.json": (PackManifest, "Labeler label pack manifest (manifest.json)"),
}
