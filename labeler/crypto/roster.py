"""The team roster: who is on the team, in which role, with which keys — signed by the lead.

A roster is a signed file (``crypto.signed_files``, format ``labeler-roster``) whose payload
lists the members (id, display name, role, restricted access, signing key, age recipient) and
the keys revoked so far. Roles and restricted access come from here, never from a person's
own profile. A laptop accepts a roster only when it is signed by the lead key it already
trusts (the first one: the key the user names, or its own), is for the same team, and is newer
than the one it has; the lead's key may change only through a roster the old key signed.

Member cards (``labeler-member-card``) are how someone joins: their public keys and name,
signed by the key they carry (so the card proves its holder has that key).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import msgspec

from labeler.clock import utc_now
from labeler.crypto import age_keys, signing
from labeler.crypto.signed_files import read_signed, write_signed
from labeler.errors import LabelerError, ValidationError
from labeler.jsonio import convert, name_problem
from labeler.store import meta
from labeler.store import rosters as roster_rows
from labeler.store.connection import Store, WriteStore
from labeler.store.writer import Writer

FORMAT = "labeler-roster"
CARD_FORMAT = "labeler-member-card"
FORMAT_VERSION = 1
ROLES = ("labeler", "lead", "triage")
MAX_MEMBERS = 64
ID_PREFIX = "labeler-"


class Member(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    id: str
    display_name: str
    role: str
    restricted: bool
    signing_key: str
    age_recipient: str
    joined_at: str


class RevokedKey(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    signing_key: str
    member_id: str
    revoked_at: str


class RosterPayload(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    team_id: str
    version: int
    issued_at: str
    members: list[Member]
    revoked: list[RevokedKey] = []


class CardPayload(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    display_name: str
    signing_key: str
    age_recipient: str
    made_at: str


@dataclass(frozen=True)
class Roster:
    payload: RosterPayload
    lead_key: str  # the key that signed it

    @property
    def version(self) -> int:
        return self.payload.version

    @property
    def members(self) -> list[Member]:
        return list(self.payload.members)

    def member(self, member_id: str) -> Member | None:
        return next((m for m in self.payload.members if m.id == member_id), None)

    def by_key(self, key_text: str) -> Member | None:
        return next((m for m in self.payload.members if m.signing_key == key_text), None)

    def revocation(self, key_text: str) -> RevokedKey | None:
        return next((r for r in self.payload.revoked if r.signing_key == key_text), None)

    def recipients(self, *, restricted_only: bool = False) -> list[str]:
        """The age recipients of the members (only those with restricted access)."""
        return sorted(
            {m.age_recipient for m in self.payload.members if m.restricted or not restricted_only}
        )

    def with_role(self, role: str) -> list[Member]:
        return [m for m in self.payload.members if m.role == role]


def member_id_for(public: signing.PublicKey) -> str:
    """A new member's id: from the first key they join with (rotation keeps it)."""
    return ID_PREFIX + hashlib.sha256(public.raw).hexdigest()[:20]


# -- reading -------------------------------------------------------------------------------
def current(store: Store) -> Roster | None:
    """The newest roster this laptop accepted, or None (a workspace with no team yet)."""
    row = roster_rows.latest(store)
    if row is None:
        return None
    document = msgspec.json.decode(row.document)
    payload = msgspec.convert(msgspec.json.decode(document["payload"]), RosterPayload)
    return Roster(payload, row.lead_key)


def read_roster_file(path: Path) -> tuple[Roster, str, str]:
    """(roster, the file's text, sha256), checked in itself; whether to accept it is
    ``accept``'s call."""
    signed = read_signed(path, FORMAT, FORMAT_VERSION, "team roster")
    payload = convert(signed.payload, RosterPayload, path.name, "the roster")
    _check_payload(path.name, payload)
    lead_key = signed.public_key.encoded()
    leads = [m for m in payload.members if m.role == "lead"]
    if not any(m.signing_key == lead_key for m in leads) and not _hands_over(payload, lead_key):
        raise ValidationError(
            f"{path.name}: the roster is not signed by a lead it names; nothing was changed."
        )
    return Roster(payload, lead_key), path.read_text(encoding="utf-8"), signed.sha256


def _hands_over(payload: RosterPayload, lead_key: str) -> bool:
    """A lead's key handover: the roster is signed by a lead's old key that it revokes while
    naming the lead's new key (how a lead rotates: the key members trust vouches for the
    next one)."""
    return any(
        r.signing_key == lead_key
        and (m := next((x for x in payload.members if x.id == r.member_id), None)) is not None
        and m.role == "lead"
        for r in payload.revoked
    )


def _check_payload(name: str, payload: RosterPayload) -> None:
    if payload.version < 1:
        raise ValidationError(f"{name}: the roster's version must be 1 or more.")
    if not payload.members or len(payload.members) > MAX_MEMBERS:
        raise ValidationError(f"{name}: a roster names 1 to {MAX_MEMBERS} members.")
    for where, value in (("team_id", payload.team_id), ("issued_at", payload.issued_at)):
        if name_problem(value):
            raise ValidationError(f"{name}: field {where!r} {name_problem(value)}.")
    seen_ids: set[str] = set()
    seen_keys: set[str] = set()
    seen_names: set[str] = set()
    for index, member in enumerate(payload.members):
        where = f"{name}: member {index}"
        if member.role not in ROLES:
            raise ValidationError(f"{where}: role must be one of {', '.join(ROLES)}.")
        if not member.display_name.strip() or len(member.display_name) > 80:
            raise ValidationError(f"{where}: the display name must be 1 to 80 characters.")
        if name_problem(member.id) or member.id in seen_ids:
            raise ValidationError(f"{where}: a missing, bad or repeated member id.")
        if member.signing_key in seen_keys:
            raise ValidationError(f"{where}: two members share one signing key.")
        if _folded(member.display_name) in seen_names:
            raise ValidationError(
                f"{where}: another member is already called {member.display_name[:80]!r}; "
                "names on a roster are told apart as people read them."
            )
        seen_names.add(_folded(member.display_name))
        try:
            signing.parse_public_key(member.signing_key)
        except ValidationError:
            raise ValidationError(f"{where}: the signing key is not a minisign key.") from None
        try:
            age_keys.parse_recipient(member.age_recipient)
        except ValidationError:
            raise ValidationError(f"{where}: the encryption key is not an age recipient.") from None
        seen_ids.add(member.id)
        seen_keys.add(member.signing_key)
    for revoked in payload.revoked:
        if revoked.signing_key in seen_keys:
            raise ValidationError(f"{name}: a revoked key is still a member's key.")


def accept(
    store: Store, writer: Writer, path: Path, *, lead_key: str | None = None
) -> tuple[Roster, bool]:
    """Accept a roster file; (roster, changed). Raises ``ValidationError`` and writes nothing
    when it is not signed by the trusted lead, is for another team, or is not newer."""
    roster, text, digest = read_roster_file(path)
    here = current(store)
    name = path.name
    if here is None:
        if lead_key is not None and roster.lead_key != lead_key:
            raise ValidationError(
                f"{name}: signed by the key {_print(roster.lead_key)}, not by the lead key you "
                f"gave ({_print(lead_key)}); nothing was changed."
            )
        trusted = lead_key or meta.get(store, "roster_lead_key")
        mine = signing.signing_key(store).public.encoded()
        if roster.lead_key not in (trusted, mine):
            fingerprint = signing.parse_public_key(roster.lead_key).fingerprint()
            raise ValidationError(
                f"{name}: this laptop does not know the lead's key yet ({fingerprint}); check "
                "that fingerprint with your lead, then run 'labeler roster import "
                f"{name} --lead-key {roster.lead_key}' (nothing was changed)."
            )
    else:
        _check_successor(name, here, roster, digest, store)
        if roster.version == here.version:
            return here, False
    writer.run(_recorder(roster, text, digest, name))
    return roster, True


def _recorder(roster: Roster, text: str, digest: str, name: str) -> Callable[[WriteStore], None]:
    """The write that keeps an accepted roster (refused if a newer one came meanwhile)."""
    row = roster_rows.RosterRow(
        roster.version, roster.payload.team_id, roster.lead_key, roster.payload.issued_at,
        digest, text,
    )  # fmt: skip

    def write(tx: WriteStore) -> None:
        latest = roster_rows.latest(tx)
        if latest is not None and latest.version >= row.version:
            raise ValidationError(f"{name}: a newer roster was accepted meanwhile.")
        roster_rows.insert(tx, row, utc_now())
        meta.put(tx, "roster_lead_key", roster.lead_key)

    return write


def _print(key_text: str) -> str:
    return signing.parse_public_key(key_text).fingerprint()


def _folded(name: str) -> str:
    """A display name as people read it: NFC, case and runs of white space ignored."""
    import unicodedata

    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def _check_successor(name: str, here: Roster, new: Roster, digest: str, store: Store) -> None:
    if new.payload.team_id != here.payload.team_id:
        raise ValidationError(f"{name}: the roster is for another team; nothing was changed.")
    if here.revocation(new.lead_key) is not None:
        # The old key of a lead who rotated (or left): the trust it had ended with the
        # roster that revoked it, even though that roster was its own last signature.
        raise ValidationError(
            f"{name}: the roster is signed by a lead key revoked in roster v{here.version}; "
            "nothing was changed."
        )
    if new.lead_key != here.lead_key and here.by_key(new.lead_key) is None:
        raise ValidationError(
            f"{name}: the roster is not signed by your team's lead key (a new lead key is "
            "trusted only once a roster signed by the old one names it: import that roster "
            "first); nothing was changed."
        )
    if new.lead_key != here.lead_key:
        # A new lead key is accepted only if a roster the trusted key signed named it lead.
        member = here.by_key(new.lead_key)
        if member is None or member.role != "lead":
            raise ValidationError(f"{name}: signed by a key that is not the lead's here.")
    if new.version < here.version:
        raise ValidationError(
            f"{name}: the roster is version {new.version}, older than the version "
            f"{here.version} this laptop has; nothing was changed."
        )
    if new.version == here.version:
        row = roster_rows.latest(store)
        if row is not None and row.sha256 != digest:
            raise ValidationError(
                f"{name}: another roster with the same version {new.version} is here already; "
                "nothing was changed."
            )


# -- the signer of a file ------------------------------------------------------------------
def signer(
    store: Store, public: signing.PublicKey, signed_at: str | None, where: str
) -> Member | None:
    """The roster member whose key signed a file, or None when this laptop has no roster.

    Raises ``ValidationError`` for a key the roster does not name, or one revoked before
    ``signed_at`` (the time the file itself says; a file that says none counts as now).
    """
    roster = current(store)
    if roster is None:
        return None
    key_text = public.encoded()
    revoked = roster.revocation(key_text)
    if revoked is not None:
        moment = _moment(signed_at) if signed_at else dt.datetime.now(dt.UTC)
        if moment is None or moment >= _moment(revoked.revoked_at):  # type: ignore[operator]
            raise ValidationError(
                f"{where}: signed by a key revoked in roster v{roster.version} "
                f"({revoked.revoked_at}); nothing was imported."
            )
        member = roster.member(revoked.member_id)
        if member is not None:
            return member
    member = roster.by_key(key_text)
    if member is None and revoked is None:
        raise ValidationError(
            f"{where}: signed by a key that is not on the team roster (v{roster.version}, "
            f"{public.fingerprint()}); nothing was imported."
        )
    if member is None:
        raise ValidationError(f"{where}: signed by a member no longer on the team.")
    return member


def _moment(text: str) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def me(store: Store) -> Member | None:
    """This laptop's own member entry, if the roster names its key."""
    roster = current(store)
    if roster is None:
        return None
    # The public key alone: reading who one is needs no private key (nor the keychain).
    return roster.by_key(signing.public_key(store).encoded())


# -- cards ---------------------------------------------------------------------------------
def write_card(store: Store, target: Path, display_name: str) -> None:
    """This laptop's member card: name and public keys, signed by its signing key."""
    name = display_name.strip()
    if not name or len(name) > 80:
        raise ValidationError("The display name must be 1 to 80 characters.")
    key = signing.signing_key(store)
    payload = {
        "display_name": name,
        "signing_key": key.public.encoded(),
        "age_recipient": age_keys.recipient(store),
        "made_at": utc_now(),
    }
    write_signed(target, CARD_FORMAT, FORMAT_VERSION, payload, key)


def read_card(path: Path) -> CardPayload:
    signed = read_signed(path, CARD_FORMAT, FORMAT_VERSION, "member card")
    card = convert(signed.payload, CardPayload, path.name, "the card")
    if card.signing_key != signed.public_key.encoded():
        raise ValidationError(f"{path.name}: the card is not signed by the key it carries.")
    age_keys.parse_recipient(card.age_recipient)
    if not card.display_name.strip() or len(card.display_name) > 80:
        raise ValidationError(f"{path.name}: the display name must be 1 to 80 characters.")
    return card


# -- the lead's edits ----------------------------------------------------------------------
def _issue(
    store: Store, writer: Writer, members: list[Member], revoked: list[RevokedKey],
    team_id: str, version: int,
) -> Roster:  # fmt: skip
    """Sign and keep the next roster version."""
    key = signing.signing_key(store)
    payload = RosterPayload(team_id, version, utc_now(), members, revoked)
    _check_payload("the new roster", payload)
    if not any(m.role == "lead" and m.signing_key == key.public.encoded() for m in members):
        raise LabelerError("The roster must keep you as a lead: you sign it.")
    import tempfile

    # The roster holds public keys and names only: a signed file in a temporary folder is
    # fine, and it is read back through the same checks every laptop runs.
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "team.roster"
        write_signed(path, FORMAT, FORMAT_VERSION, msgspec.to_builtins(payload), key)
        roster, _ = accept(store, writer, path, lead_key=key.public.encoded())
    return roster


def handover(
    store: Store, old: signing.SigningKey, new_key: str, new_recipient: str | None
) -> tuple[Roster, Callable[[WriteStore], None]] | None:
    """A lead's rotation: the next roster, signed by the lead's ``old`` key, naming
    ``new_key`` (and ``new_recipient``) as this lead's and revoking the old key from now;
    with the write that keeps it, for the rotation's own transaction. None when this laptop
    is not a lead on its roster (a member sends the lead a new card instead)."""
    import tempfile

    here = current(store)
    mine = None if here is None else here.by_key(old.public.encoded())
    if here is None or mine is None or mine.role != "lead":
        return None
    now = utc_now()
    updated = msgspec.structs.replace(
        mine, signing_key=new_key, age_recipient=new_recipient or mine.age_recipient
    )
    members = [updated if m.id == mine.id else m for m in here.members]
    revoked = [*here.payload.revoked, RevokedKey(old.public.encoded(), mine.id, now)]
    payload = RosterPayload(here.payload.team_id, here.version + 1, now, members, revoked)
    _check_payload("the new roster", payload)
    with tempfile.TemporaryDirectory() as folder:  # public keys and names only
        path = Path(folder) / "team.roster"
        write_signed(path, FORMAT, FORMAT_VERSION, msgspec.to_builtins(payload), old)
        roster, text, digest = read_roster_file(path)
        _check_successor(path.name, here, roster, digest, store)
    return roster, _recorder(roster, text, digest, "the new roster")


def _next(
    store: Store, writer: Writer, roster: Roster, members: list[Member], revoked: list[RevokedKey]
) -> Roster:
    """The version after ``roster`` with these members and revocations, signed and kept."""
    return _issue(store, writer, members, revoked, roster.payload.team_id, roster.version + 1)


def _require_lead(store: Store) -> Roster:
    roster = current(store)
    if roster is None:
        raise LabelerError("This workspace has no team roster yet: run 'labeler roster init'.")
    mine = me(store)
    if mine is None or mine.role != "lead":
        raise LabelerError("Only the team's lead changes the roster.")
    return roster


def init(store: Store, writer: Writer, display_name: str) -> Roster:
    """Start a team with this laptop's person as its lead (roster version 1)."""
    if current(store) is not None:
        raise LabelerError("This workspace already has a team roster ('labeler roster show').")
    key = signing.signing_key(store)
    lead = Member(member_id_for(key.public), display_name.strip()[:80], "lead", True,
                  key.public.encoded(), age_keys.recipient(store), utc_now())  # fmt: skip
    return _issue(store, writer, [lead], [], uuid.uuid4().hex, 1)


def add(
    store: Store, writer: Writer, card_path: Path, role: str, restricted: bool
) -> tuple[Roster, Member]:
    roster = _require_lead(store)
    card = read_card(card_path)
    if role not in ROLES:
        raise ValidationError(f"The role must be one of {', '.join(ROLES)}.")
    if roster.by_key(card.signing_key) is not None:
        raise ValidationError(f"{card_path.name}: that key is on the roster already.")
    if roster.revocation(card.signing_key) is not None:
        raise ValidationError(f"{card_path.name}: that key was revoked; ask for a new card.")
    member = Member(member_id_for(signing.parse_public_key(card.signing_key)),
                    card.display_name.strip(), role, restricted, card.signing_key,
                    card.age_recipient, utc_now())  # fmt: skip
    members = [*roster.members, member]
    return _next(store, writer, roster, members, list(roster.payload.revoked)), member


def change(
    store: Store, writer: Writer, member_id: str, *, role: str | None = None,
    restricted: bool | None = None, card_path: Path | None = None,
) -> Roster:  # fmt: skip
    """A member's new role, restricted access, or keys (a new card: the old key is revoked
    from now, so files it signs later are refused)."""
    roster = _require_lead(store)
    member = _find(roster, member_id)
    revoked = list(roster.payload.revoked)
    updated = member
    if role is not None:
        if role not in ROLES:
            raise ValidationError(f"The role must be one of {', '.join(ROLES)}.")
        updated = msgspec.structs.replace(updated, role=role)
    if restricted is not None:
        updated = msgspec.structs.replace(updated, restricted=restricted)
    if card_path is not None:
        card = read_card(card_path)
        if roster.by_key(card.signing_key) or roster.revocation(card.signing_key):
            raise ValidationError(f"{card_path.name}: that key is or was on the roster already.")
        revoked.append(RevokedKey(member.signing_key, member.id, utc_now()))
        updated = msgspec.structs.replace(
            updated, signing_key=card.signing_key, age_recipient=card.age_recipient
        )
    members = [updated if m.id == member.id else m for m in roster.members]
    return _next(store, writer, roster, members, revoked)


def remove(store: Store, writer: Writer, member_id: str) -> Roster:
    """Take a member off the team; their key is revoked from now."""
    roster = _require_lead(store)
    member = _find(roster, member_id)
    members = [m for m in roster.members if m.id != member.id]
    revoked = [*roster.payload.revoked, RevokedKey(member.signing_key, member.id, utc_now())]
    return _next(store, writer, roster, members, revoked)


def _find(roster: Roster, reference: str) -> Member:
    found = [m for m in roster.members if reference in (m.id, m.display_name)]
    if len(found) != 1:
        raise LabelerError(f"No one member on the roster is {reference[:80]!r}.")
    return found[0]


def export(store: Store, target: Path) -> Roster:
    """Write the current roster file, exactly as it was signed, for the team."""
    row = roster_rows.latest(store)
    roster = current(store)
    if row is None or roster is None:
        raise LabelerError("This workspace has no team roster yet.")
    partial = target.with_name(target.name + ".partial")
    try:
        partial.write_text(row.document, encoding="utf-8")
        partial.replace(target)
    except OSError as err:
        partial.unlink(missing_ok=True)
        raise LabelerError(f"Cannot write {target}: {err.strerror or err}.") from None
    return roster
