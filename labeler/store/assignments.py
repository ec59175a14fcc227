"""Who labels what, as the bundles' assignments say (``triage.assignment``): recorded at
import, asked by the queue ("mine and pairs"), the lead's progress per person, and which
labels were made outside their item's assignment.

One's share of an item: it is an overlap item, it is assigned to one, or its bundle has no
assignment (everyone's, as before assignments). A label is outside its assignment when the
item is assigned to someone else; it is kept, but it is no pair for agreement.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from labeler.store.connection import Store

# SQL fragments over ``items i`` (with one ``?`` for the labeler id) and ``labels <alias>``.
IN_SHARE = (
    "(i.overlap OR EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = i.id AND "
    "a.labeler_id = ?) OR i.bundle_id NOT IN (SELECT bundle_id FROM assignment_labelers))"
)


def outside(alias: str) -> str:
    """True for a label (of table alias ``alias``) on an item assigned to someone else."""
    return (
        f"EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = {alias}.item_id AND "
        f"a.labeler_id <> {alias}.labeler_id)"
    )


# The labels that can pair (agreement, disagreements): all but those outside the assignment,
# so only overlap items (and items of bundles without an assignment) make pairs. Used in
# place of the ``labels`` table in a FROM clause.
COUNTED_LABELS = f"(SELECT * FROM labels c WHERE NOT {outside('c')})"
# The labels a gold label is made of: those that pair, or, on an item that has none of those
# (only someone else labeled it), the labels outside its assignment: kept work is not lost.
GOLD_LABELS = (
    f"(SELECT * FROM labels g WHERE NOT {outside('g')} OR NOT EXISTS (SELECT 1 FROM labels k "
    f"WHERE k.item_id = g.item_id AND NOT {outside('k')}))"
)


def record(
    store: Store, bundle_id: str, section: dict[str, Any] | None, item_ids: Collection[str]
) -> None:
    """Keep a bundle's assignment for the items of ``item_ids`` it brought (inside the
    import's transaction); nothing when the bundle has no assignment."""
    if not section:
        return
    store.conn.executemany(
        "INSERT INTO assignment_labelers(bundle_id, labeler_id, display_name, restricted) "
        "VALUES (?, ?, ?, ?)",
        [
            (bundle_id, p["id"], p["display_name"], bool(p["restricted"]))
            for p in section["labelers"]
        ],
    )
    wanted = set(item_ids)
    store.conn.executemany(
        "INSERT INTO assignments(item_id, labeler_id) VALUES (?, ?)",
        [(item, who) for item, who in section["items"].items() if item in wanted],
    )


def any_assignment(store: Store) -> bool:
    """Whether any bundle here has an assignment (the queue then offers "Mine and pairs")."""
    return bool(store.scalar("SELECT EXISTS (SELECT 1 FROM assignment_labelers)"))


def assignee(store: Store, item_id: str) -> str | None:
    return store.scalar("SELECT labeler_id FROM assignments WHERE item_id = ?", (item_id,))


@dataclass(frozen=True)
class PersonProgress:
    """One assigned labeler's progress in a week, from the labels here (their label files)."""

    labeler_id: str
    display_name: str
    own_labeled: int
    own: int  # items assigned to them
    pairs_labeled: int
    pairs: int  # overlap items of the bundles they are assigned in
    outside: int  # their labels on items assigned to someone else


def person_progress(
    store: Store, week: str | None, me: tuple[str, str] | None = None
) -> list[PersonProgress]:
    """Every labeler an assignment of ``week`` names, by display name. ``me``: (the id the
    assignment names the person of this laptop by, the profile id their own labels are
    stored under): their labels count toward their share (they counted as none)."""
    names = dict(
        store.query(
            "SELECT al.labeler_id, max(al.display_name) FROM assignment_labelers al "
            "JOIN bundles b ON b.id = al.bundle_id WHERE b.week = ? GROUP BY al.labeler_id",
            (week,),
        )
    )
    mapped = _as_assigned(me)
    own = {
        r[0]: (r[1], r[2])
        for r in store.query(
            f"WITH l AS ({mapped.sql}) SELECT a.labeler_id, count(*), count(l.item_id) "
            "FROM assignments a JOIN items i ON i.id = a.item_id LEFT JOIN l "
            "ON l.item_id = a.item_id AND l.labeler_id = a.labeler_id WHERE i.week = ? "
            "GROUP BY a.labeler_id",
            (*mapped.params, week),
        )
    }
    pairs = {
        r[0]: (r[1], r[2])
        for r in store.query(
            f"WITH l AS ({mapped.sql}) SELECT al.labeler_id, count(i.id), count(l.item_id) "
            "FROM assignment_labelers al "
            "JOIN items i ON i.bundle_id = al.bundle_id AND i.overlap AND i.week = ? "
            "LEFT JOIN l ON l.item_id = i.id AND l.labeler_id = al.labeler_id "
            "GROUP BY al.labeler_id",
            (*mapped.params, week),
        )
    }
    strays = outside_counts(store, week, me)
    found = [
        PersonProgress(
            who, name, own.get(who, (0, 0))[1], own.get(who, (0, 0))[0],
            pairs.get(who, (0, 0))[1], pairs.get(who, (0, 0))[0], strays.get(who, 0),
        )
        for who, name in names.items()
    ]  # fmt: skip
    return sorted(found, key=lambda p: (p.display_name.casefold(), p.labeler_id))


@dataclass(frozen=True)
class _Mapped:
    sql: str
    params: tuple[str, ...]


def _as_assigned(me: tuple[str, str] | None) -> _Mapped:
    """The labels (item_id, labeler_id) with this laptop's own labels under the id the
    assignments name their author by."""
    assigned, profile = me or ("", "")
    return _Mapped(
        "SELECT item_id, CASE WHEN labeler_id = ? THEN ? ELSE labeler_id END AS labeler_id "
        "FROM labels",
        (profile, assigned),
    )


def outside_counts(
    store: Store, week: str | None, me: tuple[str, str] | None = None
) -> dict[str, int]:
    """Labels outside their assignment in ``week``, by labeler id (``me``: as above)."""
    mapped = _as_assigned(me)
    return dict(
        store.query(
            f"WITH l AS ({mapped.sql}) SELECT l.labeler_id, count(*) FROM l "
            f"JOIN items i ON i.id = l.item_id WHERE i.week = ? AND {outside('l')} "
            "GROUP BY l.labeler_id",
            (*mapped.params, week),
        )
    )


def outside_item_ids(store: Store) -> set[str]:
    """Items that hold a label outside their assignment."""
    return {
        r[0] for r in store.query(f"SELECT DISTINCT item_id FROM labels l WHERE {outside('l')}")
    }
