"""Assignment: who labels which item of a bundle, and the manifest field that records it."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labeler.errors import ValidationError
from labeler.triage.assignment import AssignedLabeler, ItemFlags, assign, parse_labeler
from labeler.triage.bundle_file import read_bundle, write_bundle
from tests.factories import assigned_bundle, edit_item

ANA = AssignedLabeler("labeler-ana", "Ana", True)
BO = AssignedLabeler("labeler-bo", "Bo", False)
CY = AssignedLabeler("labeler-cy", "Cy", False)

flags = st.lists(
    st.tuples(st.booleans(), st.booleans()).map(lambda t: (t[0] and not t[1], t[1])),
    max_size=60,
)
teams = st.lists(st.booleans(), min_size=1, max_size=3).map(
    lambda cleared: [AssignedLabeler(f"labeler-{n}", f"L{n}", r) for n, r in enumerate(cleared)]
)
keys = st.binary(min_size=32, max_size=32).map(bytes.hex)


def _items(routing: list[tuple[bool, bool]]) -> list[ItemFlags]:
    return [ItemFlags(f"item-{n}", o, r) for n, (o, r) in enumerate(routing)]


@settings(max_examples=150, deadline=None)
@given(routing=flags, team=teams, key=keys)
def test_every_non_overlap_item_has_one_allowed_assignee_and_the_same_key_agrees(
    routing: list[tuple[bool, bool]], team: list[AssignedLabeler], key: str
) -> None:
    items = _items(routing)
    first = assign(items, team, key)
    assert first == assign(list(reversed(items)), team, key)  # order does not matter
    cleared = {p.id for p in team if p.restricted}
    everyone = {p.id for p in team}
    for item in items:
        if item.overlap:
            assert item.id not in first.items and item.id not in first.unassigned
        elif item.restricted and not cleared:
            assert item.id in first.unassigned and item.id not in first.items
        else:
            assert first.items[item.id] in (cleared if item.restricted else everyone)
            assert item.id not in first.unassigned


def test_adding_a_labeler_moves_about_one_in_n_and_only_to_the_newcomer() -> None:
    items = _items([(False, False)] * 3000)
    before = assign(items, [ANA, BO], "01" * 32)
    after = assign(items, [ANA, BO, CY], "01" * 32)
    moved = [i for i in before.items if before.items[i] != after.items[i]]
    assert {after.items[i] for i in moved} == {CY.id}
    assert 0.28 < len(moved) / len(items) < 0.39  # ~1/3
    assert 0.45 < sum(v == ANA.id for v in before.items.values()) / len(items) < 0.55


def test_another_key_gives_another_split() -> None:
    items = _items([(False, False)] * 200)
    assert assign(items, [ANA, BO], "01" * 32).items != assign(items, [ANA, BO], "02" * 32).items
    assert len(assign(items, [ANA, BO]).key) == 64  # a random key when none is given


def test_labeler_option_is_parsed() -> None:
    assert parse_labeler("labeler-ana:Ana Lima:restricted") == AssignedLabeler(
        "labeler-ana", "Ana Lima", True
    )
    assert parse_labeler("labeler-bo:Bo") == BO
    with pytest.raises(ValueError, match="ID:NAME"):
        parse_labeler("labeler-bo")


def test_an_assigned_bundle_reads_back(tmp_path: Path) -> None:
    path = assigned_bundle(tmp_path / "w.lbundle", 10, [ANA, BO], overlap=(0, 1), restricted=(2,))
    section = read_bundle(path).manifest["assignment"]
    assert len(section["items"]) == 8 and section["items"][edit_item(2)["id"]] == ANA.id


def _tampered(tmp_path: Path, change) -> Path:
    path = assigned_bundle(tmp_path / "w.lbundle", 6, [ANA, BO], overlap=(0,), restricted=(1,))
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        items = [json.loads(line) for line in archive.read("items.jsonl").splitlines()]
    change(manifest["assignment"], items)
    out = tmp_path / "bad.lbundle"
    manifest.pop("files"), manifest.pop("item_count")
    write_bundle(out, manifest, items)
    return out


def _assign_overlap(section, items) -> None:
    section["items"][items[0]["id"]] = BO.id


def _unknown_item(section, items) -> None:
    section["items"]["item-nowhere"] = BO.id


def _unknown_labeler(section, items) -> None:
    section["items"][items[3]["id"]] = "labeler-zed"


def _restricted_to_uncleared(section, items) -> None:
    section["items"][items[1]["id"]] = BO.id


def _twice(section, items) -> None:
    section["labelers"].append(section["labelers"][0])


def _bad_key(section, items) -> None:
    section["key"] = "xyz"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (_assign_overlap, "item 0 (items.jsonl line 1): an overlap item is everyone's"),
        (_unknown_item, "'item-nowhere', which is not an item of the bundle"),
        (_unknown_labeler, "to 'labeler-zed', who is not among its labelers"),
        (_restricted_to_uncleared, "item 1 (items.jsonl line 2): a restricted item is assigned"),
        (_twice, "field 'labelers' of 'assignment' lists 'labeler-ana' twice"),
        (_bad_key, "field 'key' of 'assignment'"),
    ],
)
def test_a_bad_assignment_is_one_sentence_naming_the_field(
    tmp_path: Path, change, words: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        read_bundle(_tampered(tmp_path, change))
    sentence = str(caught.value)
    assert words in sentence and sentence.startswith("bad.lbundle: ")
    assert sentence.count(". ") == 0 and "\n" not in sentence


def test_bundle_build_with_labelers_records_the_assignment(
    tmp_path: Path, memory_keyring: object
) -> None:
    from click.testing import CliRunner

    from labeler.cli import cli
    from tests.factories import sealed_parts, team_workspace
    from tests.triage.test_sampling import make_events, write

    events = write(
        tmp_path / "e.jsonl", make_events([(r, n % 7, n) for r in range(6) for n in range(30)])
    )
    (tmp_path / "team.yaml").write_text("- {id: labeler-cy, display_name: Cy}\n")
    out = tmp_path / "w.lbundle"
    ws = team_workspace(tmp_path / "triage.lbw")
    args = ["--workspace", ws, "bundle", "build", str(events), "--week", "2026-W48", "-o", str(out),
            "--labeler", "labeler-ana:Ana:restricted", "--labeler", "labeler-bo:Bo",
            "--labelers", str(tmp_path / "team.yaml")]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "Assigned: Ana " in result.output and "overlap items to everyone" in result.output
    manifest, lines = sealed_parts(out, ws)
    section = manifest["assignment"]
    assert [p["id"] for p in section["labelers"]] == ["labeler-ana", "labeler-bo", "labeler-cy"]
    for item in map(json.loads, lines.splitlines()):
        if item["overlap"]:
            assert item["id"] not in section["items"]
        elif item["restricted"]:
            assert section["items"][item["id"]] == "labeler-ana"
        else:
            assert section["items"][item["id"]] in {"labeler-ana", "labeler-bo", "labeler-cy"}
    bad = CliRunner().invoke(cli, [*args[:9], "--labeler", "nobody"])
    assert bad.exit_code == 2 and "ID:NAME" in bad.output


def test_an_assignment_too_large_for_a_manifest_is_never_written(tmp_path: Path) -> None:
    team = [ANA, BO]
    with pytest.raises(ValidationError, match="assign fewer items per bundle"):
        assigned_bundle(tmp_path / "big.lbundle", 25_000, team)
    assert list(tmp_path.iterdir()) == []
