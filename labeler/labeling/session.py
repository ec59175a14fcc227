"""Labeling on one workspace: the profile, the rubric, saving and undoing labels, restricted
access with its audit log, and redaction. Every write returns ``Changes``.

Reads go through ``store`` (the caller's read-only connection); writes through ``writer``.
``prepare_label`` validates on the caller's thread and ``submit_label`` queues the commit,
so the app can show the next item while the label is being committed; ``save_label`` does
both and waits.

Rule for callers: texts of restricted items come only through ``open_item`` after
``unlock_restricted``; each opening is written to the audit log before the text is returned.
"""

from __future__ import annotations

import dataclasses
import hmac
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass

from labeler import sides
from labeler.changes import Changes
from labeler.clock import utc_now
from labeler.crypto import keys, roster
from labeler.domain import PAIR_SIGNALS, Item, Label, PiiSpan, Profile, QueueRow
from labeler.errors import LabelerError, ValidationError
from labeler.labeling import pii_marks, rubric_versions
from labeler.labeling.redaction import redacted_fields
from labeler.labeling.rubric import Rubric
from labeler.store import assignments as assignment_rows
from labeler.store import audit, connection, drafts, labelers, labels, queue
from labeler.store import items as item_rows
from labeler.store.connection import Store, WriteStore
from labeler.store.queue import QueueFilter
from labeler.store.writer import Writer

ANY = QueueFilter()


def _with_roster(store: Store, profile: Profile | None) -> Profile | None:
    """The profile with the role and restricted access the team roster gives this laptop's
    key (the roster, not a person's own profile, says what they may do). On a team, a key
    the roster does not name (a member removed, or one not added yet) is a labeler without
    restricted access, whatever the profile said."""
    if profile is None or roster.current(store) is None:
        return profile
    member = roster.me(store)
    if member is None:
        return dataclasses.replace(profile, role="labeler", restricted_access=False)
    return dataclasses.replace(profile, role=member.role, restricted_access=member.restricted)


def _roster_says(store: Store, role: str | None, restricted: bool | None) -> tuple[str, bool]:
    """The role and access a profile may have: the roster's on a team (a differing request is
    refused with a sentence), else what was asked (labeler, no access, by default)."""
    team = roster.current(store)
    if team is None:
        return role or "labeler", bool(restricted)
    member = roster.me(store)
    granted = (member.role, member.restricted) if member else ("labeler", False)
    asked = (role or granted[0], granted[1] if restricted is None else restricted)
    if asked != granted:
        who = "gives you" if member else "does not name you, so you have"
        raise ValidationError(
            f"Your role and restricted access come from the team roster (v{team.version}), "
            f"which {who} {granted[0]}, {'with' if granted[1] else 'without'} restricted "
            "access; ask the lead to change them there."
        )
    return granted


class RestrictedError(LabelerError):
    """A restricted item was asked for without access or before unlocking."""


@dataclass
class LabelingSession:
    """What one person does in one sitting: their labels, undo stack and unlock state."""

    store: Store
    writer: Writer
    workspace_id: str = ""
    unlocked: bool = False
    _rubric: Rubric | None = None
    _profile: Profile | bool | None = None  # None: not read yet; False: there is none
    # The id this laptop's labels carry on other laptops (the workspace gives it: the team
    # layer derives it from the signing key), which is the id assignments name.
    assignee: Callable[[], str] | None = None
    _assignee_id: str | None = None

    def on(self, store: Store) -> LabelingSession:
        """This session reading through another connection (a worker thread's own)."""
        twin = LabelingSession(store, self.writer, self.workspace_id, self.unlocked)
        twin._rubric = self._rubric
        twin.assignee, twin._assignee_id = self.assignee, self._assignee_id
        return twin

    def assignee_id(self) -> str | None:
        """The id an assignment names this person by (None: unknown, as in a bare session)."""
        if self._assignee_id is None and self.assignee is not None:
            self._assignee_id = self.assignee()
        return self._assignee_id

    @property
    def key_source(self) -> str:
        return self.store.key.source

    # -- profile -------------------------------------------------------------------------
    @property
    def profile(self) -> Profile | None:
        """The person using this workspace (read once; ``create_profile`` refreshes it)."""
        if self._profile is None:
            self._profile = _with_roster(self.store, labelers.self_profile(self.store)) or False
        return self._profile if isinstance(self._profile, Profile) else None

    def create_profile(
        self, display_name: str, role: str | None = None, restricted_access: bool | None = None
    ) -> Changes:
        """Set up (or update) the person using this workspace; the id never changes.

        On a team the roster says the role and restricted access: None takes them from it,
        and anything else must agree with it (someone the roster does not name — removed, or
        not yet added — is a labeler without restricted access)."""
        name = display_name.strip()
        if not name:
            raise ValidationError("The display name is empty.")
        role, restricted_access = _roster_says(self.store, role, restricted_access)
        if role not in ("labeler", "lead", "triage"):
            raise ValidationError("The role must be 'labeler' or 'lead'.")
        current = self.profile
        profile = Profile(
            id=current.id if current else uuid.uuid4().hex,
            display_name=name[:80],
            role=role,
            restricted_access=restricted_access,
            is_self=True,
            public_key=current.public_key if current else None,
            trusted=True,
        )
        self.writer.run(lambda tx: labelers.upsert(tx, profile, utc_now()))
        self._profile = profile
        return Changes(profile=True, all_items=True)

    def _me(self) -> Profile:
        profile = self.profile
        if profile is None:
            raise LabelerError("Set up your labeler profile first.")
        return profile

    # -- rubric --------------------------------------------------------------------------
    @property
    def rubric(self) -> Rubric:
        """The workspace's current rubric version (its first use keeps the shipped default)."""
        if self._rubric is None:
            found = rubric_versions.current_rubric(self.store)
            self._rubric = found or self.writer.run(rubric_versions.keep_default)
        return self._rubric

    def forget_profile(self) -> None:
        """Read the profile again (after a roster changed this laptop's role or access)."""
        self._profile = None

    def forget_rubric(self) -> None:
        """Read the current version again (after a new one was installed or imported)."""
        self._rubric = None

    # -- queue and items -----------------------------------------------------------------
    def _sees_restricted(self) -> bool:
        profile = self.profile
        return bool(profile and profile.restricted_access and self.unlocked)

    def _my_id(self) -> str | None:
        profile = self.profile
        return profile.id if profile else None

    def queue_ids(self, flt: QueueFilter | None = None) -> list[str]:
        """The ids the queue shows under ``flt``, in queue order (restricted once unlocked)."""
        flt = flt or ANY
        assignee = self.assignee_id() if flt.mine else None  # the key is read only then
        return queue.queue_ids(self.store, self._my_id(), self._sees_restricted(), flt, assignee)

    def queue_rows(self, ids: list[str]) -> dict[str, QueueRow]:
        return queue.queue_rows(self.store, self._my_id(), ids)

    def queue_progress(self) -> tuple[int, int]:
        """(labeled by me, items in my queue): against my share when there is an assignment."""
        mine = self.has_assignment()
        return queue.queue_progress(
            self.store,
            self._my_id(),
            self._sees_restricted(),
            mine=mine,
            assignee=self.assignee_id() if mine else None,
        )

    def has_assignment(self) -> bool:
        """Whether a bundle here shares its items among labelers (store/assignments)."""
        return assignment_rows.any_assignment(self.store)

    def queue(self, flt: QueueFilter | None = None) -> list[QueueRow]:
        """Every row of the queue (for the CLI and tests; the app fetches rows as painted)."""
        ids = self.queue_ids(flt)
        rows = self.queue_rows(ids)
        return [rows[i] for i in ids if i in rows]

    def can_see_restricted(self) -> bool:
        profile = self.profile
        return bool(profile and profile.restricted_access)

    def unlock_restricted(self, passphrase: str | None = None) -> None:
        """Unlock restricted items for this session: re-enter the passphrase, or confirm.

        For a keychain workspace the confirmation is the explicit act; for a passphrase
        workspace the passphrase must match the one that opened it.
        """
        profile = self._me()
        if not profile.restricted_access:
            raise RestrictedError("Your profile has no access to restricted items.")
        key = self.store.key
        if key.source == keys.SOURCE_PASSPHRASE:
            if not passphrase:
                raise RestrictedError("Enter the workspace passphrase to unlock restricted items.")
            candidate = keys.derive_from_passphrase(passphrase, key.salt)
            if not hmac.compare_digest(candidate, key.raw):
                raise RestrictedError("That is not the workspace passphrase.")
        self.writer.run(
            lambda tx: audit.record(tx, utc_now(), profile.id, "unlock_restricted", None)
        )
        self.unlocked = True

    def open_item(self, item_id: str) -> Item:
        """The item with its texts; restricted ones only when unlocked, and audited."""
        item = item_rows.get(self.store, item_id)
        if item is None:
            raise LabelerError(f"Item {item_id} is not in this workspace.")
        if item.restricted:
            profile = self._me()
            if not (profile.restricted_access and self.unlocked):
                raise RestrictedError("This item is restricted: unlock restricted items first.")
            # Committed before the text is handed out: no unaudited opening.
            self.writer.run(lambda tx: audit.record(tx, utc_now(), profile.id, "open", item.id))
        return item

    def side_order(self, item_id: str) -> str:
        """Blind side-by-side: 'AB' shows candidate 0 on the left, 'BA' candidate 1."""
        return sides.side_order(self._me().id, item_id)

    # -- labels --------------------------------------------------------------------------
    def label_of(self, item_id: str) -> Label | None:
        profile = self.profile
        return labels.get(self.store, item_id, profile.id) if profile else None

    def prepare_label(
        self, item: Item, answers: dict[str, object], started_at: str, seconds: float
    ) -> Label:
        """The label to save, validated against the rubric; raises ``ValidationError``."""
        me = self._me()
        if item.restricted and not (me.restricted_access and self.unlocked):
            raise RestrictedError("This item is restricted: unlock restricted items first.")
        clean = {k: v for k, v in answers.items() if v not in (None, "")}
        rubric = self.rubric
        problems = rubric.problems(clean, item.signal)
        if problems:
            raise ValidationError("; ".join(problems) + ".")
        return Label(
            item_id=item.id,
            labeler_id=me.id,
            rubric_id=rubric.id,
            rubric_version=rubric.version,
            rubric_hash=rubric.content_hash,
            answers=clean,
            started_at=started_at,
            saved_at=utc_now(),
            seconds_spent=round(max(0.0, seconds), 3),
            side_order=self.side_order(item.id) if item.signal in PAIR_SIGNALS else None,
        )

    def submit_label(self, label: Label) -> Future[Changes]:
        """Queue the commit of ``label`` (its draft goes, what it replaced joins the undo
        log, in the same transaction); the future completes once it is on disk."""

        def save(tx: WriteStore) -> Changes:
            previous = labels.get(tx, label.item_id, label.labeler_id)
            labels.put(tx, label)
            drafts.drop(tx, label.item_id, label.labeler_id)
            drafts.push_undo(tx, label.labeler_id, label.item_id, previous, utc_now())
            return Changes(labels=frozenset({label.item_id}))

        return self.writer.submit(save)

    def draft_of(self, item_id: str) -> dict[str, object] | None:
        """The answers chosen on this item but not saved yet, if any."""
        me = self.profile
        return drafts.get(self.store, item_id, me.id) if me else None

    def save_draft(self, item_id: str, answers: dict[str, object]) -> Future[Changes]:
        """Keep unsaved answers in the workspace (none at all: drop the draft)."""
        me = self._me()

        def keep(tx: WriteStore) -> Changes:
            drafts.put(tx, item_id, me.id, answers, utc_now())
            return Changes(labels=frozenset({item_id}))

        return self.writer.submit(keep)

    def save_label(
        self, item: Item, answers: dict[str, object], started_at: str, seconds: float
    ) -> Changes:
        """Validate against the rubric, then commit at once (one transaction) and wait."""
        return self.submit_label(self.prepare_label(item, answers, started_at, seconds)).result()

    def undo_last_label(self) -> tuple[str | None, Changes]:
        """Put back what the last save replaced (kept in the workspace: a restart does not
        lose it); returns the item id it touched."""
        me = self._me()

        def undo(tx: WriteStore) -> tuple[str | None, Changes]:
            last = drafts.pop_undo(tx, me.id)
            if last is None:
                return None, Changes()
            item_id, previous = last
            if previous is None:
                labels.delete(tx, item_id, me.id)
            else:
                labels.put(tx, previous)
            return item_id, Changes(labels=frozenset({item_id}))

        return self.writer.run(undo)

    # -- personal data a person marks -----------------------------------------------------
    def mark_pii(self, item: Item, spans: list[PiiSpan]) -> Changes:
        """Add marked spans to the item's personal data; it becomes restricted (a person with
        restricted access, unlocked: they are reading its text)."""
        me = self._me()
        if not (me.restricted_access and self.unlocked):
            raise RestrictedError("Unlock restricted items to mark personal data.")
        if not spans:
            raise ValidationError("That text is not in this item.")
        merged_spans = pii_marks.merged(item.pii, spans)

        def mark(tx: WriteStore) -> None:
            item_rows.mark_restricted(tx, item.id, merged_spans)
            audit.record(tx, utc_now(), me.id, f"mark_pii:{len(spans)}", item.id)

        self.writer.run(mark)
        return Changes(items=frozenset({item.id}), all_items=True)

    def send_to_restricted(self, item: Item) -> Changes:
        """Anyone may route an item to the restricted queue (it leaves their own queue when
        they have no access); the audit log keeps who did."""
        me = self._me()
        if item.restricted:
            return Changes()

        def send(tx: WriteStore) -> None:
            item_rows.mark_restricted(tx, item.id)
            audit.record(tx, utc_now(), me.id, "send_restricted", item.id)

        self.writer.run(send)
        return Changes(items=frozenset({item.id}), all_items=True)

    # -- redaction -----------------------------------------------------------------------
    def confirm_redaction(self, item: Item, spans: list[PiiSpan]) -> Changes:
        """Replace ``spans`` with placeholders, confirm, and destroy the original text."""
        me = self._me()
        if not (me.restricted_access and self.unlocked):
            raise RestrictedError("Unlock restricted items before redacting.")
        values = redacted_fields(item, spans)

        def redact(tx: WriteStore) -> None:
            now = utc_now()
            item_rows.apply_redaction(tx, item.id, values)
            # The spans (offsets, never text) travel in the label file to the lead.
            item_rows.keep_redaction(tx, item.id, spans, me.id, now)
            audit.record(tx, now, me.id, "redact", item.id)

        self.writer.run(redact)
        self.writer.run(connection.checkpoint, transaction=False)
        return Changes(items=frozenset({item.id}))
