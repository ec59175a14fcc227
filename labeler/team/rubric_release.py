"""Releasing rubric versions: a lead installs one from a file and exports it signed; a
labeler's laptop imports it only when a lead it trusts signed it.

Installing or importing is one transaction: the new version becomes current, and the items
its changed clauses send back are queued for re-check (``team/rechecks.py``). Everything is
checked first; a refusal is one sentence and writes nothing.

The file is a signed envelope (``crypto/signed_files.py``, format ``labeler-rubric``) whose
payload (``team.formats.RubricPayload``) carries the YAML and guidance texts exactly; its
stated content hash must be the one they give.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from labeler.changes import Changes
from labeler.clock import utc_now
from labeler.crypto import signing
from labeler.crypto.signed_files import SignedFile, read_signed, require_trusted, write_signed
from labeler.domain import Profile
from labeler.errors import LabelerError, ValidationError
from labeler.jsonio import convert
from labeler.labeling import rubric_versions
from labeler.labeling.rubric import Rubric, load_rubric, parse_rubric
from labeler.labeling.rubric_diff import RubricDiff, diff_rubrics
from labeler.labeling.session import LabelingSession
from labeler.store import rechecks as recheck_rows
from labeler.store.connection import Store, WriteStore
from labeler.store.rubrics import RubricRow
from labeler.team import rechecks
from labeler.team.formats import RubricPayload

FORMAT = "labeler-rubric"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Release:
    """A version made current: what changed from the one before, and how many items it
    queued for re-check."""

    rubric: Rubric
    diff: RubricDiff
    queued: int
    changes: Changes


def _lead(session: LabelingSession, doing: str) -> Profile:
    me = session.profile
    if me is None or me.role != "lead":
        raise LabelerError(f"Only a lead {doing}.")
    return me


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) else "not UTF-8 text"
        raise ValidationError(f"{path.name}: cannot be read ({reason}).") from None


def read_rubric_file(path: Path, guidance: Path | None = None) -> tuple[Rubric, str]:
    """The rubric in ``path`` (validated fully) and its YAML text; the guidance is
    ``guidance`` when given, else the file the YAML names beside it."""
    if guidance is None:
        return load_rubric(path), _read_text(path)
    text = _read_text(path)
    return parse_rubric(text, _read_text(guidance), path.name), text


def _release(session: LabelingSession, rubric: Rubric, row: RubricRow, name: str) -> Release:
    before = session.rubric  # also keeps the shipped default first on a fresh workspace
    rubric_versions.check_installable(session.store, rubric, name)

    def write(tx: WriteStore) -> int:
        rubric_versions.check_installable(tx, rubric, name)  # again, inside the transaction
        entries = rechecks.pending(session.on(tx), rubric)
        seq = rubric_versions.keep(tx, row)
        return recheck_rows.put(tx, seq, entries, utc_now())

    queued = session.writer.run(write)
    session.forget_rubric()
    return Release(rubric, diff_rubrics(before, rubric), queued, Changes(all_items=True))


def install_rubric(session: LabelingSession, path: Path, guidance: Path | None = None) -> Release:
    """Install the rubric in ``path`` as the new current version (lead only)."""
    me = _lead(session, "installs a rubric")
    rubric, text = read_rubric_file(path, guidance)
    return _release(
        session, rubric, rubric_versions.new_row(rubric, text, "install", me), path.name
    )


def export_rubric(session: LabelingSession, target: Path) -> rubric_versions.RubricVersion:
    """Write the current version, signed with the lead's key, for labelers' laptops."""
    me = _lead(session, "exports the rubric")
    rubric = session.rubric
    version = rubric_versions.by_hash(session.store, rubric.content_hash)
    assert version is not None  # the current rubric is always a kept version
    payload = {
        "lead": {"id": me.id, "display_name": me.display_name},
        "exported_at": utc_now(),
        "workspace_id": session.workspace_id,
        "rubric": {"id": rubric.id, "version": rubric.version, "content_hash": rubric.content_hash,
                   "yaml": version.row.yaml, "guidance": version.row.guidance},
    }  # fmt: skip
    write_signed(target, FORMAT, FORMAT_VERSION, payload, signing.signing_key(session.store))
    return version


def rubric_signer(store: Store, signed: SignedFile, name: str, who: str) -> str:
    """The name of the lead who signed a rubric file, or a refusal: the one rule for who may
    sign a rubric. Today a key this workspace trusts ('labeler keys trust'); a lead-signed
    team roster, where there is one, decides here instead (its leads only)."""
    return require_trusted(store, signed, name, who)


@dataclass(frozen=True)
class RubricFile:
    """A verified rubric file: who signed it, and the rubric with its YAML text."""

    signed: SignedFile
    signer: str
    rubric: Rubric
    yaml: str


def read_rubric_export(store: Store, path: Path) -> RubricFile:
    """Parse, verify the signature and the signer, and validate the rubric it carries."""
    name = path.name
    signed = read_signed(path, FORMAT, FORMAT_VERSION, "Labeler rubric file")
    payload = convert(signed.payload, RubricPayload, name, "the payload")
    signer = rubric_signer(store, signed, name, payload.lead.display_name)
    text = payload.rubric
    rubric = parse_rubric(text.yaml, text.guidance, name)
    stated = (text.id, text.version, text.content_hash)
    if stated != (rubric.id, rubric.version, rubric.content_hash):
        raise ValidationError(
            f"{name}: the rubric it carries is not the one it names ({text.id} {text.version})."
        )
    return RubricFile(signed, signer, rubric, text.yaml)


def import_rubric(session: LabelingSession, path: Path) -> Release | None:
    """Make the lead's signed rubric file this workspace's current version; None when it
    already is. Refused (nothing written): unsigned, tampered, untrusted, older files."""
    found = read_rubric_export(session.store, path)
    rubric = found.rubric
    if rubric.content_hash == session.rubric.content_hash:
        return None
    row = rubric_versions.new_row(
        rubric, found.yaml, "import", session.profile,
        signed_by_key=found.signed.public_key.encoded(), signed_by_name=found.signer,
        file_sha256=found.signed.sha256,
    )  # fmt: skip
    return _release(session, rubric, row, path.name)
