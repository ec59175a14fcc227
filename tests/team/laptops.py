"""Two or three workspaces as a team's separate laptops: Lee the lead starts the roster, Ana
(and Bo) join with member cards; every laptop accepts the lead's roster."""

from __future__ import annotations

from pathlib import Path

from labeler.crypto import roster as team
from labeler.crypto import signing
from labeler.labeling.session import LabelingSession
from labeler.store import meta
from labeler.triage.bundle_import import import_bundle
from labeler.workspace import Workspace


def seat(tmp_path: Path, name: str, role: str, bundle: Path | None) -> LabelingSession:
    ws = Workspace.create(tmp_path / f"{name}.lbw")
    if bundle is not None:
        import_bundle(ws.store, ws.writer, bundle)
    session = ws.session
    session.create_profile(name, role, restricted_access=False)
    return session


def key_text(session: LabelingSession) -> str:
    return signing.signing_key(session.store).public.encoded()


def make_team(
    tmp_path: Path, bundle: Path | None, *, restricted: tuple[str, ...] = (), bo: bool = False
) -> dict[str, LabelingSession]:
    """Lee (lead, restricted), Ana and optionally Bo (labelers; restricted if named)."""
    lee = seat(tmp_path, "Lee", "lead", bundle)
    team.init(lee.store, lee.writer, "Lee")
    people = {"Lee": lee, "Ana": seat(tmp_path, "Ana", "labeler", bundle)}
    if bo:
        people["Bo"] = seat(tmp_path, "Bo", "labeler", bundle)
    for name, session in people.items():
        if name == "Lee":
            continue
        card = tmp_path / f"{name}.card"
        team.write_card(session.store, card, name)
        team.add(lee.store, lee.writer, card, "labeler", name in restricted)
    path = tmp_path / "team.roster"
    team.export(lee.store, path)
    for name, session in people.items():
        if name != "Lee":
            team.accept(session.store, session.writer, path, lead_key=key_text(lee))
        session._profile = None  # read again: the roster gives role and restricted access
    return people


def snapshot(session: LabelingSession) -> dict[str, object]:
    """What a refused import must leave exactly as it was."""
    store = session.store
    tables = ("items", "labels", "audit_log", "feedback", "redactions", "tombstones", "meta")
    rows = {t: store.query(f"SELECT * FROM {t} ORDER BY 1") for t in tables}
    return {"counts": meta.counts(store), **rows}
