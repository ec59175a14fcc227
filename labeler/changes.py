"""Changes: what a write touched, returned by every write so views know what to refresh."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Changes:
    """A summary of one write. Empty means nothing changed (e.g. a re-import)."""

    items: frozenset[str] = field(default_factory=frozenset)
    labels: frozenset[str] = field(default_factory=frozenset)  # item ids whose labels changed
    bundles: frozenset[str] = field(default_factory=frozenset)
    profile: bool = False
    all_items: bool = False  # a bulk change: refresh every item view
    runs: bool = False  # a gate (or rollout) run was recorded: the reports that show runs
    team: bool = False  # trusted keys, the roster or the lead's feedback changed

    def __bool__(self) -> bool:
        return bool(
            self.items or self.labels or self.bundles or self.profile or self.all_items
            or self.runs or self.team
        )  # fmt: skip

    def merged(self, other: Changes) -> Changes:
        return Changes(
            items=self.items | other.items,
            labels=self.labels | other.labels,
            bundles=self.bundles | other.bundles,
            profile=self.profile or other.profile,
            all_items=self.all_items or other.all_items,
            runs=self.runs or other.runs,
            team=self.team or other.team,
        )
