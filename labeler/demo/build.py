"""The demo workspace: synthetic weeks built and imported through the real bundle path."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

from labeler.crypto import age_keys, keys, roster, signing
from labeler.demo.events import synthetic_events
from labeler.privacy.retention import set_retention_weeks
from labeler.triage.build import BuildOptions, build_bundle
from labeler.triage.bundle_import import import_bundle
from labeler.triage.sealed_bundle import SealTo, seal_to_team
from labeler.workspace import Workspace

DEMO_WEEK_START = dt.date(2026, 11, 23)  # Monday of 2026-W48


def iso_week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _demo_passphrase() -> str | None:
    """Demo data is synthetic: without a keychain, a fixed passphrase keeps it hands-free."""
    return None if keys.keychain_available() else keys.DEMO_PASSPHRASE


def open_or_build_demo(
    path: Path, role: str = "labeler", weeks: int | None = None, *, team: bool = False
) -> Workspace:
    """The demo workspace at ``path``: one week for a labeler, three labeled weeks for a lead.

    ``team`` (what ``labeler demo`` asks for): on a team roster, its weeks sealed to it, as a
    real team's are; without, a workspace on no team that takes plain bundles (the tests'
    fixtures, which import plain bundles of their own)."""
    weeks = weeks or (3 if role == "lead" else 1)
    if path.exists():
        return Workspace.open(path, passphrase=_demo_passphrase())
    ws = Workspace.create(path, passphrase=_demo_passphrase())
    try:
        # Synthetic texts on fixed dates: keep them, or retention would empty the demo later.
        set_retention_weeks(ws.writer, 520)
        with tempfile.TemporaryDirectory(prefix="labeler-demo-") as scratch:
            seal = _demo_team(ws, role, Path(scratch)) if team else None
            for offset in range(weeks):
                start = DEMO_WEEK_START - dt.timedelta(weeks=weeks - 1 - offset)
                _import_week(ws, Path(scratch), start, seal, seed=48 + offset)
        session = ws.session
        session.create_profile(f"Demo {role}", role, restricted_access=True)
        if role == "lead":
            from labeler.demo.eval import add_demo_eval
            from labeler.demo.rollout import add_demo_rollout
            from labeler.demo.team import resolve_some, simulate_team

            simulate_team(session)
            resolve_some(session)
            with tempfile.TemporaryDirectory(prefix="labeler-demo-eval-") as scratch:
                add_demo_eval(session, Path(scratch))
                add_demo_rollout(session, Path(scratch))  # a hotfix's canary: Rollout tab
    except BaseException:
        ws.close()
        discard_demo(path)
        raise
    return ws


def _demo_team(ws: Workspace, role: str, scratch: Path) -> SealTo:
    """The demo's team, as a real one is set up: a roster the lead signs, and the week's
    bundles sealed to it. A lead's demo is its own team's lead; a labeler's demo joins the
    team of a throwaway lead workspace (passphrase-keyed in the scratch folder, so nothing of
    it reaches the keychain), which seals the weeks the way the triage member would."""
    if role == "lead":
        roster.init(ws.store, ws.writer, "Demo lead")
        return seal_to_team(ws.store)
    with Workspace.create(scratch / "demo-lead.lbw", passphrase=keys.DEMO_PASSPHRASE) as lead:
        roster.init(lead.store, lead.writer, "Demo lead")
        roster.write_card(ws.store, scratch / "me.card", f"Demo {role}")
        roster.add(lead.store, lead.writer, scratch / "me.card", role, True)
        roster.export(lead.store, scratch / "team.roster")
        lead_key = signing.signing_key(lead.store).public.encoded()
        roster.accept(ws.store, ws.writer, scratch / "team.roster", lead_key=lead_key)
        return seal_to_team(lead.store)


def _import_week(
    ws: Workspace, scratch: Path, start: dt.date, seal: SealTo | None, seed: int
) -> None:
    events = scratch / f"events-{start.isoformat()}.jsonl"
    with events.open("w", encoding="utf-8") as handle:
        for event in synthetic_events(start, seed=seed):
            handle.write(json.dumps(event) + "\n")
    bundle = scratch / f"{iso_week(start)}.lbundle"
    build_bundle([events], BuildOptions(week=iso_week(start), seed=seed), bundle, seal=seal)
    import_bundle(ws.store, ws.writer, bundle)


def discard_demo(path: Path) -> None:
    """Delete a throwaway demo workspace and its keychain entry."""
    if path.exists():
        with path.open("rb") as handle:
            salt = handle.read(keys.SALT_BYTES)
        keys.forget(salt)
        signing.forget_signing_key(salt)  # the demo leaves nothing in the keychain
        age_keys.forget(salt)
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
