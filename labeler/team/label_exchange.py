"""Moving labels between laptops: a signed ``.llabels`` file per labeler.

The file is JSON: ``{"format", "format_version", "public_key", "payload", "signature"}``;
``payload`` is itself a JSON text (signed exactly as written, so no canonical form is needed)
holding the labeler, the bundle ids, the rubric (with its text) and every label (declared in
``team.formats.LabelsPayload``). Import checks everything — signature, shape, the signer's
identity (``team.identity``), bundles, items, every answer against the rubric version it
names, timestamps, staleness — before one transaction writes it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labeler.changes import Changes
from labeler.clock import utc_now
from labeler.crypto import roster, signing
from labeler.crypto.signed_files import SignedFile, read_signed, require_trusted, write_signed
from labeler.domain import PAIR_SIGNALS, Label, Profile
from labeler.errors import LabelerError, ValidationError
from labeler.jsonio import convert, name_problem, text_problem
from labeler.labeling import rubric_versions
from labeler.labeling.rubric import Rubric, load_rubric, parse_rubric
from labeler.labeling.session import LabelingSession
from labeler.resources import default_rubric_path
from labeler.store import bundles, exchange, labelers
from labeler.store import labels as label_rows
from labeler.store import rechecks as recheck_rows
from labeler.store import rubrics as rubric_rows
from labeler.store.connection import Store, WriteStore
from labeler.team import rechecks
from labeler.team.formats import LabelEntry, LabelsPayload
from labeler.team.identity import ROLE_LABELER, Identity, check_claim, key_labeler_id
from labeler.team.identity import signer_identity as identity_of

FORMAT = "labeler-labels"
FORMAT_VERSION = 1
# How far a laptop's clock may run ahead of this one's before its timestamps are refused.
CLOCK_SLACK = dt.timedelta(days=1)
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def export_labels(session: LabelingSession, target: Path) -> int:
    """Write this labeler's labels, signed; returns how many."""
    me = session.profile
    if me is None:
        raise LabelerError("Set up your labeler profile first.")
    store = session.store
    key = signing.signing_key(store)
    mine = label_rows.for_labeler(store, me.id)
    rubric = session.rubric
    payload = {
        # The id the key gives, and the role a file can carry: the lead's workspace derives
        # both from the key again and refuses a file that claims otherwise.
        "labeler": {
            "id": key_labeler_id(key.public),
            "display_name": _my_name(store, me),
            "role": ROLE_LABELER,
        },
        "workspace_id": session.workspace_id,
        "exported_at": utc_now(),
        "bundle_ids": bundles.ids(store),
        "rubric": _rubric_json(store, rubric.content_hash),
        # Every version the labels were made under, with its text: the lead checks each
        # label's answers against the version it names.
        "rubrics": [_rubric_json(store, h) for h in sorted({lab.rubric_hash for lab in mine})],
        "labels": [_label_json(label) for label in mine],
    }
    write_signed(target, FORMAT, FORMAT_VERSION, payload, key)
    return len(mine)


def _my_name(store: Store, me: Profile) -> str:
    """The name the lead's laptop knows this labeler by: the roster's, when there is one."""
    member = roster.me(store)
    return member.display_name if member is not None else me.display_name


def _rubric_json(store: Store, content_hash: str) -> dict[str, Any]:
    found = rubric_versions.by_hash(store, content_hash)
    if found is None:  # a label under a version this workspace no longer holds: no text
        return {"id": "unknown", "version": "unknown", "hash": content_hash}
    row = found.row
    return {"id": row.rubric_id, "version": row.version, "hash": row.content_hash,
            "yaml": row.yaml, "guidance": row.guidance}  # fmt: skip


def _label_json(label: Label) -> dict[str, Any]:
    return {
        "item_id": label.item_id,
        "answers": label.answers,
        "rubric_id": label.rubric_id,
        "rubric_version": label.rubric_version,
        "rubric_hash": label.rubric_hash,
        "started_at": label.started_at,
        "saved_at": label.saved_at,
        "seconds_spent": label.seconds_spent,
        "side_order": label.side_order,
    }


def read_label_file(path: Path) -> tuple[SignedFile, LabelsPayload]:
    """Parse, verify the signature, and decode the payload into its declaration."""
    signed = read_signed(path, FORMAT, FORMAT_VERSION, "Labeler label file")
    return signed, convert(signed.payload, LabelsPayload, path.name, "the payload")


@dataclass(frozen=True)
class ImportOutcome:
    labeler: str
    labels: int
    changes: Changes
    note: str


def import_labels(
    session: LabelingSession, path: Path, accept_rubric: bool = False
) -> ImportOutcome:
    """Import one labeler's signed export; everything is checked before anything is written."""
    store = session.store
    name = path.name
    label_file, payload = read_label_file(path)
    who = _signer(session, name, label_file, payload)
    key_text = label_file.public_key.encoded()
    known = labelers.get(store, who.labeler_id)
    if known is not None and known.public_key and known.public_key != key_text:
        raise ValidationError(f"{name}: labeler {who.labeler_id} is known here with another key.")
    _check_payload_names(name, payload)
    exported = _moment(name, "exported_at", payload.exported_at)
    missing = sorted(set(payload.bundle_ids) - set(bundles.ids(store)))
    if missing:
        raise ValidationError(
            f"{name}: made on bundles this workspace does not have: {', '.join(missing)}."
        )
    new = _checked_labels(session, name, payload, who, exported, accept_rubric)
    previous = exchange.last_import(store, who.labeler_id)
    if previous is not None and previous[1] == label_file.sha256:
        return ImportOutcome(
            who.display_name, len(new), Changes(), "already imported; nothing changed"
        )
    if previous is not None and _later(previous[0], exported):
        raise ValidationError(
            f"{name}: older than the export of {who.display_name} already imported "
            f"({previous[0]}); nothing was changed."
        )
    rubric = _current_rubric(session)
    profile = Profile(
        id=who.labeler_id, display_name=who.display_name, role=who.role,
        restricted_access=False, is_self=False, public_key=key_text, trusted=True,
    )  # fmt: skip

    def write(tx: WriteStore) -> None:
        rubric_versions.keep_default(tx)  # a first use: as the session would on first use
        labelers.upsert(tx, profile, utc_now())
        exchange.replace_labels(
            tx, who.labeler_id, new, payload.exported_at, label_file.sha256, utc_now()
        )
        older = {label.item_id for label in new if label.rubric_hash != rubric.content_hash}
        if older:  # labels made under an earlier version: what it changed goes to re-check
            current = rubric_rows.current(tx)
            assert current is not None
            queued = rechecks.pending(session.on(tx), rubric, older)
            recheck_rows.put(tx, current.seq, queued, utc_now())

    session.writer.run(write)
    note = "supersedes the earlier import" if previous else "first import from this labeler"
    ids = frozenset(label.item_id for label in new)
    return ImportOutcome(who.display_name, len(new), Changes(labels=ids, all_items=True), note)


def _signer(
    session: LabelingSession, name: str, label_file: SignedFile, payload: LabelsPayload
) -> Identity:
    """The key's identity, once the payload's claim about it checks out."""
    public = label_file.public_key
    claimed = payload.labeler
    identity = identity_of(session.store, public, payload.exported_at, name)
    if identity is None:
        require_trusted(session.store, label_file, name, claimed.display_name[:80])
        raise AssertionError("require_trusted raises for an untrusted key")
    if public.raw == _own_key_raw(session):
        raise ValidationError(f"{name}: these are your own labels; nothing to import.")
    check_claim(name, identity, public, claimed.id, claimed.display_name, claimed.role)
    return identity


def _own_key_raw(session: LabelingSession) -> bytes | None:
    try:
        return signing.signing_key(session.store).public.raw
    except LabelerError:  # no key in reach (a deleted keychain entry): then it is not ours
        return None


def _check_payload_names(name: str, payload: LabelsPayload) -> None:
    fields = {
        "labeler.id": payload.labeler.id,
        "labeler.display_name": payload.labeler.display_name,
    }
    fields.update({f"bundle_ids[{i}]": b for i, b in enumerate(payload.bundle_ids)})
    if payload.workspace_id:
        fields["workspace_id"] = payload.workspace_id
    for field, value in fields.items():
        found = name_problem(value)
        if found:
            raise ValidationError(f"{name}: field '{field}' of the payload {found}.")


def _moment(name: str, field: str, value: str) -> dt.datetime:
    """An RFC 3339 timestamp with an offset, not before 2000 and not in the future."""
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"{name}: {field} is not an RFC 3339 timestamp.") from None
    if moment.tzinfo is None:
        raise ValidationError(f"{name}: {field} needs a time zone offset (RFC 3339).")
    if not EARLIEST <= moment <= dt.datetime.now(dt.UTC) + CLOCK_SLACK:
        raise ValidationError(f"{name}: {field} is {value}, not a time labels can be made at.")
    return moment


def _later(stored: str, moment: dt.datetime) -> bool:
    try:
        return dt.datetime.fromisoformat(stored) > moment
    except ValueError:
        return False


def _current_rubric(session: LabelingSession) -> Rubric:
    """The workspace's rubric, read only: a refused import must not be the first use that
    stores the shipped default (``session.rubric`` would)."""
    found = rubric_versions.current_rubric(session.store)
    return found if found is not None else load_rubric(default_rubric_path())


class _Rubrics:
    """The rubric each label names: a version this workspace installed, or the one the file
    carries (its text checked against the hash it is named by). Any other: the label cannot
    be checked, and is refused."""

    def __init__(self, name: str, session: LabelingSession, payload: LabelsPayload) -> None:
        self.name = name
        # Every version this workspace installed: a label names the one it was made under.
        self.by_hash: dict[str, Rubric] = {
            v.row.content_hash: v.rubric for v in rubric_versions.versions(session.store)
        }
        self.current = _current_rubric(session)
        self.by_hash[self.current.content_hash] = self.current
        self.installed = set(self.by_hash)
        carried = [payload.rubric] if payload.rubric is not None else []
        for ref in [*carried, *(payload.rubrics or ())]:
            if ref.yaml and ref.hash not in self.by_hash:
                source = f"{name}: the rubric it carries"
                rubric = parse_rubric(ref.yaml, ref.guidance or "", source)
                if rubric.content_hash != ref.hash:
                    raise ValidationError(f"{source} does not match its hash.")
                self.by_hash[rubric.content_hash] = rubric

    def of(self, where: str, entry: LabelEntry) -> Rubric:
        rubric = self.by_hash.get(entry.rubric_hash)
        if rubric is None:
            raise ValidationError(
                f"{where}: made under rubric {entry.rubric_id[:100]!r} version "
                f"{entry.rubric_version[:100]!r}, whose text the file does not carry, so its "
                "answers cannot be checked; export it again with this version of Labeler."
            )
        if (rubric.id, rubric.version) != (entry.rubric_id, entry.rubric_version):
            raise ValidationError(f"{where}: its rubric id and version do not match its hash.")
        return rubric


def _checked_labels(
    session: LabelingSession,
    name: str,
    payload: LabelsPayload,
    who: Identity,
    exported: dt.datetime,
    accept_rubric: bool,
) -> list[Label]:
    """Every label checked as a label saved in the app is, then as one that travelled."""
    entries = payload.labels
    ids = [entry.item_id for entry in entries]
    signals = exchange.item_signals(session.store, ids)
    rubrics = _Rubrics(name, session, payload)
    seen: set[str] = set()
    new = []
    for index, entry in enumerate(entries):
        where = f"{name}: label {index} (item {entry.item_id[:100]!r})"
        signal = signals.get(entry.item_id)
        if signal is None:
            raise ValidationError(
                f"{name}: labels for items this workspace does not have: {entry.item_id[:100]}."
            )
        if entry.item_id in seen:
            raise ValidationError(f"{where}: the item is labeled twice in the file.")
        seen.add(entry.item_id)
        answers = _checked_answers(where, entry, rubrics.of(where, entry), signal)
        _check_times(where, entry, exported)
        new.append(
            Label(
                item_id=entry.item_id, labeler_id=who.labeler_id, rubric_id=entry.rubric_id,
                rubric_version=entry.rubric_version, rubric_hash=entry.rubric_hash,
                answers=answers, started_at=entry.started_at, saved_at=entry.saved_at,
                seconds_spent=entry.seconds_spent, side_order=entry.side_order,
            )
        )  # fmt: skip
    # A version this workspace installed is not another rubric; a later version's changes to
    # what these labels answered are queued for re-check when they are written.
    other = [e for e in entries if e.rubric_hash not in rubrics.installed]
    if other and not accept_rubric:
        first, current = other[0], rubrics.current
        raise ValidationError(
            f"{name}: {len(other)} labels were made under rubric {first.rubric_id} "
            f"version {first.rubric_version}, not this workspace's {current.id} version "
            f"{current.version}; import with --accept-rubric (the lead's confirmation) to take "
            "them."
        )
    return new


def _checked_answers(where: str, entry: LabelEntry, rubric: Rubric, signal: str) -> dict[str, Any]:
    """The answers as the app saves them (empty ones dropped), or the first problem."""
    if (signal in PAIR_SIGNALS) != (entry.side_order is not None):
        needs = "needs a side_order (AB or BA)" if signal in PAIR_SIGNALS else "has no sides"
        raise ValidationError(f"{where}: a {signal} item {needs}.")
    answers = {k: v for k, v in entry.answers.items() if v not in (None, "")}
    for question, value in answers.items():
        found = name_problem(question) or text_problem(value)
        if found:
            raise ValidationError(f"{where}: an answer {found}.")
    problems = rubric.problems(answers, signal)
    if problems:
        shown = problems[0] if len(problems[0]) <= 200 else problems[0][:200] + "…"
        raise ValidationError(f"{where}: {shown}.")
    return answers


def _check_times(where: str, entry: LabelEntry, exported: dt.datetime) -> None:
    started = _moment(where, "started_at", entry.started_at)
    saved = _moment(where, "saved_at", entry.saved_at)
    if started > saved:
        raise ValidationError(f"{where}: started_at is after saved_at.")
    if saved > exported + dt.timedelta(minutes=1):
        raise ValidationError(f"{where}: saved_at is after the file's exported_at.")
