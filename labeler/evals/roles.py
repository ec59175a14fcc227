"""The rubric questions an eval reads, found by the roles the rubric declares.

Evals, reconciliation of eval items and the gate never name a question id: they ask the
rubric for its ``preference`` question and its ``side_safety`` / ``side_formatting`` pairs
(see labeler/labeling/rubric.py). A rubric without one of them is refused with the missing
role named, rather than every item being silently "not judged yet".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from labeler.errors import ValidationError
from labeler.evals.gate import CHECKS
from labeler.labeling.rubric import ROLE_PREFERENCE, Rubric, SidePair

# The preference choice counted on its own in the report ("both bad" is a tie in the win
# rate). Optional: a rubric without it simply reports none.
BOTH_BAD = "both_bad"


@dataclass(frozen=True)
class EvalQuestions:
    """Where an eval's answers are: the preference question and a side pair per check."""

    preference: str
    checks: Mapping[str, SidePair]  # judgments' check name ("safety") -> its side pair

    def winner(self, answers: Mapping[str, Any]) -> str:
        """Canonical answers (A = the current model) -> candidate | current | tie."""
        return {"A": "current", "B": "candidate"}.get(str(answers.get(self.preference)), "tie")

    def passes(self, answers: Mapping[str, Any], check: str) -> dict[str, bool]:
        pair = self.checks[check]
        return {
            "current": answers.get(pair.a) == pair.pass_choice,
            "candidate": answers.get(pair.b) == pair.pass_choice,
        }


def eval_questions(rubric: Rubric, purpose: str = "an eval") -> EvalQuestions:
    """The eval's questions of ``rubric``; a ValidationError names the first missing role."""
    preference = rubric.with_role(ROLE_PREFERENCE)
    if preference is None:
        raise _missing(rubric, ROLE_PREFERENCE, purpose)
    checks = {}
    for check, role in CHECKS:
        pair = rubric.side_pair(role)
        if pair is None:
            raise _missing(rubric, role, purpose)
        checks[check] = pair
    return EvalQuestions(preference.id, checks)


def _missing(rubric: Rubric, role: str, purpose: str) -> ValidationError:
    return ValidationError(
        f"Rubric {rubric.id} (version {rubric.version}) has no question with the role "
        f"'{role}', which {purpose} needs; declare it in the rubric (see docs/rubrics.md)."
    )
