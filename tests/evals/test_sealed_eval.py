"""An eval built from a sealed week's bundle on a team: sealed itself (nothing in clear), read
by every laptop of the team as its access allows, refused off the team; the CLI's refusals."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from labeler.cli import cli
from labeler.crypto import roster, signing
from labeler.crypto.sealed import is_sealed
from labeler.errors import LabelerError, ValidationError
from labeler.evals.build import build_eval, seal_for_eval
from labeler.store import meta
from labeler.triage.build import BuildOptions, build_bundle
from labeler.triage.bundle_import import import_bundle, open_for
from labeler.triage.sealed_bundle import seal_to_team
from labeler.workspace import Workspace
from tests.triage.test_sampling import make_events, write

PEOPLE = {  # name: (role, restricted access)
    "lee": ("lead", True), "tia": ("triage", False), "ana": ("labeler", False),
    "bo": ("labeler", True),
}  # fmt: skip
CARD = "4111 1111 1111 1111"


@pytest.fixture
def team(tmp_path: Path, memory_keyring: object) -> Iterator[dict[str, Workspace]]:
    """Four laptops on one team, each with the lead's roster; Tia (triage) has built the
    week's sealed bundle (week.lbundle), which every laptop has imported."""
    laptops = {name: Workspace.create(tmp_path / f"{name}.lbw") for name in PEOPLE}
    lee = laptops["lee"]
    roster.init(lee.store, lee.writer, "Lee")
    for name, (role, restricted) in PEOPLE.items():
        if name != "lee":
            card = tmp_path / f"{name}.card"
            roster.write_card(laptops[name].store, card, name.title())
            roster.add(lee.store, lee.writer, card, role, restricted)
    roster.export(lee.store, tmp_path / "team.roster")
    lead_key = signing.signing_key(lee.store).public.encoded()
    for name, ws in laptops.items():
        if name != "lee":
            roster.accept(ws.store, ws.writer, tmp_path / "team.roster", lead_key=lead_key)
    # reason 4 is sensitive_data (restricted); the first inputs carry a card number.
    events = make_events([(r, n % 7, n) for r in range(6) for n in range(12)])
    for event in events[:6]:
        event["input"] = f"my card is {CARD}, please help ({event['event_id']})"
    options = BuildOptions(week="2026-W48", holdout_rate=0.6)
    week = tmp_path / "week.lbundle"
    build_bundle([write(tmp_path / "events.jsonl", events)], options, week,
                 seal=seal_to_team(laptops["tia"].store))  # fmt: skip
    for ws in laptops.values():
        import_bundle(ws.store, ws.writer, week)
    yield laptops
    for ws in laptops.values():
        ws.close()


def _outputs(tmp_path: Path, lee: Workspace) -> tuple[Path, Path]:
    """Both models' answers to every item of the week (the lead reads them all)."""
    ids = [item.id for _, item in open_for(lee.store, tmp_path / "week.lbundle").items()]
    paths = []
    for version in ("v1", "v2"):
        path = tmp_path / f"{version}.jsonl"
        path.write_text("".join(json.dumps({"item_id": i, "model_version": version,
                                            "output": f"{version} answer to {i}"}) + "\n"
                                for i in ids))  # fmt: skip
        paths.append(path)
    return paths[0], paths[1]


def _build(tmp_path: Path, ws: Workspace, name: str = "eval.lbundle") -> tuple[Path, dict]:
    current, candidate = _outputs(tmp_path, ws)
    out = tmp_path / name
    manifest = build_eval(tmp_path / "week.lbundle", current, candidate, 50, out,
                          week="2026-W48", allow_fewer=True, seal=seal_for_eval(ws.store),
                          store=ws.store)  # fmt: skip
    return out, manifest


def _restricted_holdout(ws: Workspace) -> set[str]:
    return {r[0] for r in ws.store.query("SELECT id FROM items WHERE restricted AND holdout")}


def test_an_eval_of_a_sealed_week_is_sealed_and_read_as_each_laptop_may(
    team: dict[str, Workspace], tmp_path: Path
) -> None:
    lee, ana, bo = team["lee"], team["ana"], team["bo"]
    restricted_sources = _restricted_holdout(lee)
    assert restricted_sources, "the week's holdout has restricted items"
    out, manifest = _build(tmp_path, lee)
    raw = out.read_bytes()
    assert is_sealed(out) and "withheld" not in manifest["statistics"]
    for clear in (b"answer to", b"4111", b"input 1", b"do a thing"):
        assert clear not in raw  # no model output, no input, no intent in clear
    pairs = {i.split(":", 1)[1]: i for i in manifest["eval"]["case_types"]}
    restricted_pairs = {pairs[s] for s in restricted_sources if s in pairs}
    assert restricted_pairs, "restricted holdout items are in the eval"
    for ws in (lee, ana, bo):
        result = import_bundle(ws.store, ws.writer, out)
        assert result.bundle_id == manifest["bundle_id"]
    # Ana (no restricted access) never received a restricted pair: only its id and kind.
    withheld = ana.store.query("SELECT id, kind FROM withheld_items WHERE kind = 'eval_pair'")
    assert {r[0] for r in withheld} == restricted_pairs
    texts = ana.store.query("SELECT coalesce(input, '') || coalesce(candidates, '') FROM items")
    assert CARD not in " ".join(r[0] for r in texts)
    # Bo (restricted access) holds every pair, the restricted ones restricted.
    held = "SELECT id FROM items WHERE kind = 'eval_pair' AND restricted"
    assert {r[0] for r in bo.store.query(held)} == restricted_pairs
    open_pairs = "SELECT id FROM items WHERE kind = 'eval_pair' AND NOT restricted ORDER BY id"
    assert ana.store.query(open_pairs) == bo.store.query(open_pairs)
    assert len(ana.store.query(open_pairs)) == manifest["item_count"] - len(restricted_pairs)


def test_an_eval_is_refused_off_the_team(team: dict[str, Workspace], tmp_path: Path) -> None:
    out, _ = _build(tmp_path, team["lee"])
    with Workspace.create(tmp_path / "new.lbw") as fresh:  # on no team
        with pytest.raises(ValidationError, match="import the lead's roster first"):
            import_bundle(fresh.store, fresh.writer, out)
        assert meta.counts(fresh.store)["items"] == 0
    with Workspace.create(tmp_path / "eve.lbw") as eve:  # on a team of her own
        roster.init(eve.store, eve.writer, "Eve")
        with pytest.raises(ValidationError, match="not on the team roster"):
            import_bundle(eve.store, eve.writer, out)
        assert meta.counts(eve.store)["items"] == 0


def test_withheld_items_cannot_be_in_the_eval_and_it_says_so(
    team: dict[str, Workspace], tmp_path: Path
) -> None:
    tia = team["tia"]  # triage may build; she has no restricted access
    withheld = {r[0] for r in tia.store.query("SELECT id FROM withheld_items")}
    assert withheld
    out, manifest = _build(tmp_path, tia)
    assert manifest["statistics"]["withheld"] == len(withheld)
    sources = {i.split(":", 1)[1] for i in manifest["eval"]["case_types"]}
    assert sources and not sources & withheld
    import_bundle(team["bo"].store, team["bo"].writer, out)  # the team reads Tia's eval


def test_a_sealed_week_needs_the_workspace_and_a_plain_path_stays_off_teams(
    team: dict[str, Workspace], tmp_path: Path
) -> None:
    current, candidate = _outputs(tmp_path, team["lee"])
    week = tmp_path / "week.lbundle"
    with pytest.raises(ValidationError, match="is a sealed bundle: build the eval in a workspace"):
        build_eval(week, current, candidate, 50, tmp_path / "e.lbundle", allow_fewer=True)
    with Workspace.create(tmp_path / "solo.lbw") as solo, pytest.raises(LabelerError) as err:
        seal_for_eval(solo.store)
    assert "never written in plaintext" in str(err.value)
    with pytest.raises(LabelerError, match="Only the team's triage member or lead"):
        seal_for_eval(team["ana"].store)
    assert not (tmp_path / "e.lbundle").exists()


def test_the_cli_seals_the_eval_and_says_why_it_cannot(
    team: dict[str, Workspace], tmp_path: Path
) -> None:
    current, candidate = _outputs(tmp_path, team["lee"])
    plain = tmp_path / "plain.lbundle"
    build_bundle([write(tmp_path / "plain.jsonl", make_events([(0, 1, n) for n in range(9)]))],
                 BuildOptions(week="2026-W48", holdout_rate=1.0), plain)  # fmt: skip
    for ws in team.values():
        ws.close()  # the CLI opens them itself
    team.clear()
    Workspace.create(tmp_path / "solo.lbw").close()
    out = tmp_path / "cli.lbundle"

    def run(who: str, holdout: Path = tmp_path / "week.lbundle") -> tuple[int, str]:
        args = ["--workspace", str(tmp_path / f"{who}.lbw"), "eval", "build", "--holdout",
                str(holdout), "--current", str(current), "--candidate", str(candidate),
                "--allow-fewer", "--week", "2026-W48", "-o", str(out)]  # fmt: skip
        result = CliRunner().invoke(cli, args)
        return result.exit_code, result.output

    code, output = run("lee")
    assert code == 0, output
    assert "signed and sealed to the team (roster v4)" in output and "Withheld" not in output
    assert is_sealed(out) and b"answer to" not in out.read_bytes()
    code, output = run("tia")
    assert code == 0, output
    assert "Withheld: " in output and "restricted items of week.lbundle are not readable" in output
    out.unlink()
    code, output = run("solo")
    assert code == 2 and "sealed to the team roster, and this workspace has none" in output
    assert "never written in plaintext" in output
    code, output = run("ana")
    assert code == 2 and "Only the team's triage member or lead" in output
    code, output = run("lee", plain)
    assert code == 2 and "plain.lbundle: not a sealed bundle" in output
    assert not out.exists()  # every refusal wrote nothing
