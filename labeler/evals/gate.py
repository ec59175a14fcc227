"""The ship / don't-ship gate: judgments of a blind side-by-side eval against a policy.

Pure functions, no store and no Qt: a release pipeline calls ``labeler eval gate`` with a
(signed) judgments file and a policy and acts on the exit code (0 ship, 1 do not ship, 2 bad
input). Every rule that fails is named in the verdict (``failed_rules``) and explained in
its reasons; the rules themselves are in labeler/evals/gate_rules.py.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labeler.crypto.signing import PublicKey
from labeler.errors import ValidationError
from labeler.evals.formats import JudgmentLine
from labeler.evals.policy import POLICY_KEYS, Policy, load_policy, parse_policy, read_text
from labeler.evals.signed import read_signature, signer_of
from labeler.jsonio import read_lines

__all__ = ["POLICY_KEYS", "Policy", "load_policy", "parse_policy", "read_text"]

# (check name in judgments files and policies, the rubric role whose side pair answers it)
CHECKS = (("safety", "side_safety"), ("formatting", "side_formatting"))
Vote = tuple[str, str]  # (winner, the model shown on the left) of one labeler's label


@dataclass(frozen=True)
class Judgment:
    item_id: str
    case_type: str
    winner: str
    safety: dict[str, bool]
    formatting: dict[str, bool]
    labels: tuple[Vote, ...] = ()

    def check(self, name: str) -> dict[str, bool]:
        return dict(getattr(self, name))

    def to_json(self) -> dict[str, Any]:
        """One line of a judgments file."""
        line: dict[str, Any] = {
            "item_id": self.item_id,
            "case_type": self.case_type,
            "winner": self.winner,
            **{name: self.check(name) for name, _ in CHECKS},
        }
        if self.labels:
            line["labels"] = [{"winner": w, "left": left} for w, left in self.labels]
        return line


@dataclass(frozen=True)
class Tally:
    """Wins (the candidate's), losses and ties of a group of judgments."""

    items: int
    wins: int
    losses: int
    ties: int
    win_rate: float  # (wins + ties / 2) / items


@dataclass(frozen=True)
class CaseTally(Tally):
    loss_margin: float  # (losses - wins) / items


@dataclass(frozen=True)
class PassRates:
    current: float
    candidate: float


@dataclass(frozen=True)
class Preconditions:
    """What the labels say about the eval itself, when the judgments carry them."""

    decisive_labels: int
    left_won: int
    position_bias_ci: tuple[float, float] | None
    paired_items: int
    agreement_alpha: float | None  # Krippendorff's alpha on the preference (nominal)


@dataclass(frozen=True)
class Verdict:
    ship: bool
    reasons: tuple[str, ...]  # each starts with the rule's name: "min_items: ..."
    overall: Tally
    case_types: Mapping[str, CaseTally]
    pass_rates: Mapping[str, PassRates]  # by check name
    failed_rules: tuple[str, ...] = ()
    bounds: Mapping[str, tuple[float, float] | None] = dataclasses.field(default_factory=dict)
    preconditions: Preconditions | None = None

    @property
    def word(self) -> str:
        return "SHIP" if self.ship else "DO NOT SHIP"

    def figures(self) -> dict[str, Any]:
        """The figures behind the verdict, as ``--json`` prints and a gate run keeps them
        (JSON's own types: what is kept reads back equal)."""
        return _json_normal(
            {
                **_fields(self.overall),
                "case_types": {case: _fields(t) for case, t in self.case_types.items()},
                **{f"{check}_pass_rate": _fields(r) for check, r in self.pass_rates.items()},
                "intervals": {name: list(ci) if ci else None for name, ci in self.bounds.items()},
                "preconditions": _fields(self.preconditions) if self.preconditions else None,
            }
        )

    def to_json(self) -> dict[str, Any]:
        return {"verdict": self.word, "ship": self.ship, "reasons": list(self.reasons),
                "failed_rules": list(self.failed_rules), **self.figures()}  # fmt: skip


def _json_normal(value: dict[str, Any]) -> dict[str, Any]:
    return dict(json.loads(json.dumps(value)))


def _fields(value: Any) -> dict[str, Any]:
    return dataclasses.asdict(value)


@dataclass(frozen=True)
class GateInputs:
    """A policy and judgments as read, with what a gate run keeps of them."""

    policy: Policy
    policy_text: str
    judgments: tuple[Judgment, ...]
    judgments_sha256: str
    judgments_signer: str | None = None  # key id that signed the judgments file
    policy_name: str = "gate.yaml"

    @property
    def policy_sha256(self) -> str:
        return hashlib.sha256(self.policy_text.encode("utf-8")).hexdigest()


def read_inputs(judgments: Path, policy: Path, signer: str | None = None) -> GateInputs:
    """Read and check both files (a ValidationError names the first problem); ``signer``:
    the key id whose signature of the judgments file was checked (labeler/evals/signed.py)."""
    policy_text = read_text(policy)
    found = tuple(parse_judgments(judgments))
    digest = hashlib.sha256(judgments.read_bytes()).hexdigest()
    parsed = parse_policy(policy_text, policy.name)
    return GateInputs(parsed, policy_text, found, digest, signer, policy.name)


def read_verified_inputs(judgments: Path, policy: Path, keys: Sequence[PublicKey]) -> GateInputs:
    """``read_inputs`` of a judgments file whose ``.minisig`` one of ``keys`` made: an
    unsigned, re-signed by a stranger or changed file is refused before anything is read."""
    signature = read_signature(judgments)
    if not keys:
        raise ValidationError(
            f"{judgments.name}: no key to check its signature with; give --pubkey (the "
            "exporter's public key) or a workspace that trusts it."
        )
    key = signer_of(judgments.read_bytes(), signature, keys, judgments.name)
    return read_inputs(judgments, policy, key.key_id_hex)


def parse_judgments(path: Path) -> list[Judgment]:
    """Every line decoded into ``formats.JudgmentLine``; an item judged twice is refused."""
    judgments, seen = [], set()
    for where, line in read_lines(path, JudgmentLine):
        if line.item_id in seen:
            raise ValidationError(f"{where}: item {line.item_id!r} is judged twice.")
        seen.add(line.item_id)
        judgments.append(
            Judgment(
                line.item_id,
                line.case_type,
                line.winner,
                {"current": line.safety.current, "candidate": line.safety.candidate},
                {"current": line.formatting.current, "candidate": line.formatting.candidate},
                tuple((vote.winner, vote.left) for vote in line.labels or ()),
            )
        )
    if not judgments:
        raise ValidationError(f"{path.name}: no judgments.")
    return judgments


def win_rate(judgments: list[Judgment]) -> float:
    counts = Counter(j.winner for j in judgments)
    return (counts["candidate"] + counts["tie"] / 2) / len(judgments) if judgments else 0.0


def tally(judgments: list[Judgment]) -> Tally:
    counts = Counter(j.winner for j in judgments)
    return Tally(len(judgments), counts["candidate"], counts["current"], counts["tie"],
                 round(win_rate(judgments), 4))  # fmt: skip


def pass_rate(judgments: list[Judgment], check: str, model: str) -> float:
    return sum(j.check(check)[model] for j in judgments) / len(judgments) if judgments else 0.0


def by_case_type(judgments: list[Judgment]) -> dict[str, list[Judgment]]:
    found: dict[str, list[Judgment]] = defaultdict(list)
    for judgment in judgments:
        found[judgment.case_type].append(judgment)
    return dict(sorted(found.items()))


def case_tallies(judgments: list[Judgment]) -> dict[str, CaseTally]:
    found = {}
    for case_type, group in by_case_type(judgments).items():
        t = tally(group)
        margin = round((t.losses - t.wins) / t.items, 4)
        found[case_type] = CaseTally(t.items, t.wins, t.losses, t.ties, t.win_rate, margin)
    return found


def decide(judgments: list[Judgment], policy: Policy) -> Verdict:
    """SHIP only when every rule holds; every failed rule is named, with its reason."""
    from labeler.evals.gate_rules import evaluate

    return evaluate(judgments, policy)
