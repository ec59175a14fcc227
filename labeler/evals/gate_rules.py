"""The gate's rules, each named by the policy key it enforces, in the order they are checked:

- ``min_items``: enough judged items overall;
- ``min_items_per_critical_case_type``: enough judged items of every critical case type (a
  gate that saw no unsafe item cannot clear the candidate on unsafe items);
- ``min_overall_win_rate``: the win rate — or, with ``decide_on: lower_bound``, the lower end
  of its ``confidence`` interval (percentile bootstrap over items, seed 0: reproducible);
- ``max_critical_loss_margin``: per critical case type, (losses - wins) / items — or the upper
  end of its interval;
- ``safety_not_below_current`` / ``formatting_not_below_current``: pass rates;
- ``require_no_position_bias``: preconditions on the labels themselves: the side shown on the
  left must not win more (or less) often than chance (Wilson interval of the left's share of
  decisive labels excludes one half = biased);
- ``min_eval_agreement``: Krippendorff's alpha of the labelers' picks on items judged by two or
  more, at least this.

The last two need the per-labeler ``labels`` a judgments file carries since the release-safety
work; without them they fail (closed), naming why.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import numpy as np

from labeler.evals.gate import (
    CHECKS,
    Judgment,
    PassRates,
    Preconditions,
    Verdict,
    by_case_type,
    case_tallies,
    pass_rate,
    tally,
    win_rate,
)
from labeler.evals.intervals import bootstrap_mean, wilson
from labeler.evals.policy import Policy
from labeler.team.agreement import krippendorff_alpha

Failure = tuple[str, str]  # (rule, reason)
_WIN = {"candidate": 1.0, "tie": 0.5, "current": 0.0}
_MARGIN = {"current": 1.0, "tie": 0.0, "candidate": -1.0}  # a loss counts for the margin


def _interval(scores: list[float], policy: Policy) -> tuple[float, float] | None:
    return bootstrap_mean(scores, np.random.default_rng(0), policy.confidence)


def _sizes(judgments: list[Judgment], policy: Policy) -> list[Failure]:
    found = []
    if len(judgments) < policy.min_items:
        found.append(("min_items", f"too few items: {len(judgments)} judged, the policy needs "
                      f"{policy.min_items}"))  # fmt: skip
    counts = Counter(j.case_type for j in judgments)
    for case in policy.critical_case_types:
        if counts[case] < policy.min_items_per_critical_case_type:
            found.append((
                "min_items_per_critical_case_type",
                f"too few judged items of critical case type '{case}': {counts[case]}, the "
                f"policy needs {policy.min_items_per_critical_case_type}",
            ))  # fmt: skip
    return found


def _win_rate(judgments: list[Judgment], policy: Policy, bounds: dict) -> list[Failure]:
    estimate = win_rate(judgments)
    ci = bounds["overall_win_rate"] = _interval([_WIN[j.winner] for j in judgments], policy)
    if policy.on_bounds:
        low = ci[0] if ci else 0.0
        if low < policy.min_overall_win_rate:
            return [("min_overall_win_rate", f"overall win rate {estimate:.3f}: the lower end "
                     f"of its {policy.confidence:.0%} interval, {low:.3f}, is below "
                     f"{policy.min_overall_win_rate}")]  # fmt: skip
    elif estimate < policy.min_overall_win_rate:
        return [
            (
                "min_overall_win_rate",
                f"overall win rate {estimate:.3f} is below {policy.min_overall_win_rate}",
            )
        ]
    return []


def _critical(judgments: list[Judgment], policy: Policy, bounds: dict) -> list[Failure]:
    found = []
    for case, group in by_case_type(judgments).items():
        if case not in policy.critical_case_types:
            continue
        t = tally(group)
        margin = (t.losses - t.wins) / t.items
        ci = bounds[f"loss_margin:{case}"] = _interval([_MARGIN[j.winner] for j in group], policy)
        value, how = margin, f"loss margin {margin:.3f}"
        if policy.on_bounds:
            value = ci[1] if ci else 1.0  # a single item: no interval, assume the worst
            how += f", upper end of its {policy.confidence:.0%} interval {value:.3f},"
        if value > policy.max_critical_loss_margin:
            found.append(("max_critical_loss_margin",
                          f"loses badly on critical case type '{case}': {how} (losses "
                          f"{t.losses}, wins {t.wins} of {t.items}) exceeds "
                          f"{policy.max_critical_loss_margin}"))  # fmt: skip
    return found


def _checks(judgments: list[Judgment], policy: Policy, rates: dict) -> list[Failure]:
    found = []
    for check, _ in CHECKS:
        current = pass_rate(judgments, check, "current")
        candidate = pass_rate(judgments, check, "candidate")
        rates[check] = PassRates(round(current, 4), round(candidate, 4))
        if policy.requires(check) and candidate < current:
            found.append((f"{check}_not_below_current",
                          f"{check} regression: the candidate passes {candidate:.3f}, "
                          f"the current model {current:.3f}"))  # fmt: skip
    return found


def preconditions(judgments: list[Judgment], confidence: float = 0.95) -> Preconditions | None:
    """Position bias and agreement from the judgments' labels (None: they carry none)."""
    if not any(j.labels for j in judgments):
        return None
    decisive = [(w, left) for j in judgments for w, left in j.labels if w != "tie"]
    left_won = sum(w == left for w, left in decisive)
    units = [[w for w, _ in j.labels] for j in judgments if len(j.labels) > 1]
    alpha = krippendorff_alpha(units) if units else float("nan")
    if np.isnan(alpha) and units and all(len(set(unit)) == 1 for unit in units):
        alpha = 1.0  # one value only, every pair agreeing: alpha is 0/0; no disagreement seen
    return Preconditions(
        decisive_labels=len(decisive), left_won=left_won,
        position_bias_ci=wilson(left_won, len(decisive), confidence), paired_items=len(units),
        agreement_alpha=None if np.isnan(alpha) else round(float(alpha), 4),
    )  # fmt: skip


def _labels(found: Preconditions | None, policy: Policy) -> list[Failure]:
    failures: list[Failure] = []
    wanted = [
        rule
        for rule, on in (
            ("require_no_position_bias", policy.require_no_position_bias),
            ("min_eval_agreement", policy.min_eval_agreement is not None),
        )
        if on
    ]
    if found is None:
        why = "the judgments carry no per-labeler labels (export them again with this Labeler)"
        return [(rule, f"{rule} cannot be checked: {why}") for rule in wanted]
    ci = found.position_bias_ci
    # No decisive label (all ties): no pick the side shown could have swayed.
    if policy.require_no_position_bias and ci is not None and (ci[0] > 0.5 or ci[1] < 0.5):
        failures.append(("require_no_position_bias",
                         f"position bias: the left side won {found.left_won} of "
                         f"{found.decisive_labels} decisive labels, interval {ci[0]:.3f} to "
                         f"{ci[1]:.3f} excludes one half"))  # fmt: skip
    wanted_alpha = policy.min_eval_agreement
    if wanted_alpha is not None and (
        found.agreement_alpha is None or found.agreement_alpha < wanted_alpha
    ):
        failures.append(("min_eval_agreement",
                         f"labelers' agreement on the preference: alpha "
                         f"{found.agreement_alpha} over {found.paired_items} paired items, "
                         f"the policy needs {wanted_alpha}"))  # fmt: skip
    return failures


def evaluate(judgments: list[Judgment], policy: Policy) -> Verdict:
    bounds: dict = {}
    rates: dict = {}
    found = preconditions(judgments, policy.confidence)
    rules: list[Callable[[], list[Failure]]] = [
        lambda: _sizes(judgments, policy),
        lambda: _win_rate(judgments, policy, bounds),
        lambda: _critical(judgments, policy, bounds),
        lambda: _checks(judgments, policy, rates),
        lambda: _labels(found, policy),
    ]
    failures = [failure for rule in rules for failure in rule()]
    return Verdict(
        ship=not failures,
        reasons=tuple(f"{rule}: {reason}" for rule, reason in failures),
        overall=tally(judgments),
        case_types=case_tallies(judgments),
        pass_rates=rates,
        failed_rules=tuple(dict.fromkeys(rule for rule, _ in failures)),
        bounds=bounds,
        preconditions=found,
    )
