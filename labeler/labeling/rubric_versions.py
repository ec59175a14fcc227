"""The workspace's rubric versions: the current one, its history, and what may replace it.

Every version a workspace used stays in it (``store.rubrics``); labels and resolutions name
the one they were made under by its content hash. ``LabelingSession.rubric`` reads
``current_rubric``; a workspace used for the first time keeps the shipped default as its
first version (``keep_default``). Installing a version (``team/rubric_release.py``) checks
``check_installable`` and writes ``keep``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from labeler.clock import utc_now
from labeler.domain import Profile
from labeler.errors import ValidationError
from labeler.labeling.rubric import Rubric, load_rubric, parse_rubric
from labeler.labeling.rubric_diff import version_key
from labeler.resources import default_rubric_path
from labeler.store import rubrics as rubric_rows
from labeler.store.connection import Store, WriteStore
from labeler.store.rubrics import RubricRow

_PARSED: dict[str, Rubric] = {}  # by content hash: a stored version never changes


@dataclass(frozen=True)
class RubricVersion:
    """An installed version: how it came (``row``) and what it says (``rubric``)."""

    row: RubricRow
    rubric: Rubric

    @property
    def name(self) -> str:
        return f"{self.row.rubric_id} {self.row.version}"

    @property
    def how(self) -> str:
        """How it came to this workspace, in a few words."""
        row = self.row
        if row.source == "default":
            return "the shipped default, on first use"
        if row.source == "workspace":
            return "kept by this workspace before rubric versions"
        if row.source == "import":
            return f"imported, signed by {row.signed_by_name}"
        return f"installed by {row.installed_by_name or 'a lead'}"

    def to_json(self) -> dict[str, Any]:
        row, rubric = self.row, self.rubric
        return {
            "seq": row.seq, "id": row.rubric_id, "version": row.version, "title": rubric.title,
            "content_hash": row.content_hash, "installed_at": row.installed_at,
            "installed_by": row.installed_by_name, "source": row.source, "how": self.how,
            "signed_by": row.signed_by_name, "signed_by_key": row.signed_by_key,
            "current": row.current,
            "questions": [
                {"id": q.id, "prompt": q.prompt, "kind": q.kind, "required": q.required,
                 "choices": [c.id for c in q.choices]}
                for q in rubric.questions
            ],
        }  # fmt: skip


def parsed(row: RubricRow) -> Rubric:
    """The rubric a stored version holds (validated when it was installed)."""
    found = _PARSED.get(row.content_hash)
    if found is None:
        found = parse_rubric(row.yaml, row.guidance, f"rubric {row.rubric_id} {row.version}")
        _PARSED[row.content_hash] = found
    return found


def current_rubric(store: Store) -> Rubric | None:
    row = rubric_rows.current(store)
    return parsed(row) if row else None


def versions(store: Store) -> list[RubricVersion]:
    """Every installed version, oldest first."""
    return [RubricVersion(row, parsed(row)) for row in rubric_rows.history(store)]


def by_hash(store: Store, content_hash: str) -> RubricVersion | None:
    row = rubric_rows.by_hash(store, content_hash)
    return RubricVersion(row, parsed(row)) if row else None


def find_version(store: Store, spec: str) -> RubricVersion:
    """The installed version ``spec`` names: ``VERSION`` or ``ID:VERSION``."""
    rubric_id, _, version = spec.rpartition(":")
    found = [
        v for v in versions(store)
        if v.row.version == version and (not rubric_id or v.row.rubric_id == rubric_id)
    ]  # fmt: skip
    if not found:
        known = ", ".join(v.row.version for v in versions(store)) or "none"
        raise ValidationError(f"No rubric version {spec!r} is installed here (installed: {known}).")
    if len(found) > 1:
        raise ValidationError(
            f"Version {version!r} is installed for rubrics "
            f"{', '.join(v.row.rubric_id for v in found)}; name one as ID:{version}."
        )
    return found[0]


def keep_default(tx: WriteStore) -> Rubric:
    """The current rubric; on a workspace's first use, the shipped default kept as version 1."""
    found = current_rubric(tx)
    if found is not None:
        return found
    path = default_rubric_path()
    rubric = load_rubric(path)
    text = path.read_text(encoding="utf-8")
    rubric_rows.add(tx, new_row(rubric, text, "default", None))
    return rubric


def check_installable(store: Store, rubric: Rubric, name: str) -> None:
    """Refuse, in one sentence naming ``name``, a version already installed or not newer
    than the current one of the same rubric id."""
    same = rubric_rows.by_hash(store, rubric.content_hash)
    if same is not None:
        raise ValidationError(
            f"{name}: rubric {same.rubric_id} version {same.version} is already installed here "
            "with exactly this content; nothing changed."
        )
    current = rubric_rows.current(store)
    if current is None or current.rubric_id != rubric.id:
        return  # a team's own rubric replacing another: versions of different ids don't compare
    if version_key(rubric.version) <= version_key(current.version):
        raise ValidationError(
            f"{name}: version {rubric.version} of rubric {rubric.id} is not newer than the "
            f"installed {current.version}; raise 'version' to release a new one."
        )


def new_row(
    rubric: Rubric,
    yaml_text: str,
    source: str,
    by: Profile | None,
    *,
    signed_by_key: str | None = None,
    signed_by_name: str | None = None,
    file_sha256: str | None = None,
) -> RubricRow:
    return RubricRow(
        seq=0, rubric_id=rubric.id, version=rubric.version, content_hash=rubric.content_hash,
        yaml=yaml_text, guidance=rubric.guidance, installed_at=utc_now(),
        installed_by=by.id if by else None, installed_by_name=by.display_name if by else None,
        source=source, signed_by_key=signed_by_key, signed_by_name=signed_by_name,
        file_sha256=file_sha256,
    )  # fmt: skip


def keep(tx: WriteStore, row: RubricRow) -> int:
    """Make ``row`` the current version; returns its seq."""
    return rubric_rows.add(tx, row)
