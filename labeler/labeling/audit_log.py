"""The audit log of restricted access, for the lead: who unlocked, opened, marked, sent to
the restricted queue or redacted what, and when."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from labeler.errors import LabelerError
from labeler.labeling.session import LabelingSession
from labeler.store import audit, labelers

ACTIONS = {
    "unlock_restricted": "unlocked restricted items",
    "open": "opened",
    "redact": "confirmed a redaction of",
    "send_restricted": "sent to the restricted queue",
    "mark_pii": "marked personal data in",
}


@dataclass(frozen=True)
class AuditEntry:
    at: str
    labeler_id: str | None
    labeler: str
    action: str
    item_id: str | None

    @property
    def sentence(self) -> str:
        verb = ACTIONS.get(self.action.split(":", 1)[0], self.action)
        return f"{self.at} {self.labeler} {verb}{' ' + self.item_id if self.item_id else ''}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def audit_entries(session: LabelingSession, item_id: str | None = None) -> list[AuditEntry]:
    """Every entry (of one item, when given), oldest first; a lead's to read."""
    me = session.profile
    if me is None or me.role != "lead":
        raise LabelerError("Only a lead reads the audit log.")
    names = {p.id: p.display_name for p in labelers.all_profiles(session.store)}
    return [
        AuditEntry(at, who, names.get(who or "", who or "—"), action, item)
        for at, who, action, item in audit.entries(session.store, item_id)
    ]
