"""Synthetic capture events for the demo: a realistic week, generated deterministically.

Prose and code, every signal and reason code, some PII, edits with real diffs. Our own code,
no network: the same seed always gives the same events.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

MODEL = "support-assistant"
VERSIONS = ("2026.11.1", "2026.11.2")

_CODE_CASES = [
    (
        "Fix the off-by-one in this pagination helper",
        "def page(items, n, size):\n    start = n * size\n    return items[start:start + size + 1]\n",
        'def page(items, n, size):\n    """Return page n (0-based) of items."""\n'
        "    start = n * size\n    return items[start:start + size + 1]\n",
        'def page(items, n, size):\n    """Return page n (0-based) of items."""\n'
        "    start = n * size\n    return items[start:start + size]\n",
    ),
    (
        "Write a SQL query for last week's refunds per region",
        "Table refunds(id, region, amount, created_at). Need totals per region for last week.",
        "SELECT region, SUM(amount)\nFROM refunds\nWHERE created_at > now() - 7\nGROUP BY region;\n",
        "SELECT region, SUM(amount) AS total\nFROM refunds\n"
        "WHERE created_at >= date_trunc('week', now()) - interval '7 days'\n"
        "  AND created_at < date_trunc('week', now())\nGROUP BY region\nORDER BY total DESC;\n",
    ),
    (
        "Make this config loader fail loudly on a missing key",
        "def load(cfg):\n    return cfg.get('timeout', 30), cfg.get('retries')\n",
        "def load(cfg):\n    timeout = cfg.get('timeout', 30)\n    retries = cfg.get('retries')\n"
        "    return timeout, retries\n",
        "def load(cfg):\n    timeout = cfg.get('timeout', 30)\n    if 'retries' not in cfg:\n"
        "        raise KeyError('retries is required')\n    return timeout, cfg['retries']\n",
    ),
]

_PROSE_CASES = [
    (
        "Draft a reply to a customer asking about a late delivery",
        "Customer writes: my order 88231 was due Monday and still hasn't arrived. What's going on?",
        "Hi there,\n\nThanks for reaching out. Your order is delayed. It will arrive soon.\n\n"
        "Best,\nSupport",
        "Hi there,\n\nThanks for reaching out, and sorry for the wait. Order 88231 left our "
        "warehouse on Tuesday and the carrier now expects to deliver it by Thursday.\n\n"
        "If it has not arrived by Friday, reply here and we will send a replacement.\n\n"
        "Best,\nSupport",
    ),
    (
        "Summarize this incident ticket for the weekly report",
        "Ticket: checkout API returned 502s for 14 minutes after the 10:05 deploy; rolled back "
        "at 10:19; root cause was a missing env var for the payments client.",
        "- Checkout API had errors.\n- It was rolled back.\n",
        "- Checkout API returned 502s for 14 minutes after the 10:05 deploy.\n"
        "- Rolled back at 10:19.\n- Root cause: missing env var for the payments client.\n"
        "- Follow-up: add a config check to the deploy pipeline.\n",
    ),
    (
        "Turn these notes into a markdown table",
        "plan basic 10 users 5 GB; plan team 50 users 100 GB; plan enterprise unlimited users 1 TB",
        "Basic: 10 users, 5 GB. Team: 50 users, 100 GB. Enterprise: unlimited, 1 TB.",
        "| Plan | Users | Storage |\n|---|---|---|\n| Basic | 10 | 5 GB |\n"
        "| Team | 50 | 100 GB |\n| Enterprise | Unlimited | 1 TB |\n",
    ),
]

_PII_SNIPPETS = [
    " Reach me at dana.kim@example.org or +1 415-555-0142.",
    " My card 4111 1111 1111 1111 was charged twice.",
    " Server 10.20.30.40 rejects my api_key=sk_live_51Habcdefghijklmnop1234.",
    " Please refund to IBAN GB82 WEST 1234 5698 7654 32.",
]

# Context the user added around the snippet: makes inputs differ as real ones do, so the
# leakage guard finds only the true near-duplicates of holdout items.
_CONTEXT = [
    "This is for the finance team's Monday review.",
    "We are on Postgres 15 if that matters.",
    "Keep it under 120 words, please.",
    "The previous answer missed the second half of the question.",
    "Our style guide prefers short sentences and no exclamation marks.",
    "It has to run on Python 3.11 without extra packages.",
    "The customer is on the enterprise plan and has written twice already.",
    "Please keep the column names as they are in the warehouse.",
    "This goes into the weekly ops report for the leadership team.",
    "We need this before the 3 pm release cut.",
    "Assume the reader has never seen our internal tools.",
    "Last time the totals did not add up; double-check them.",
    "The table must fit on a phone screen.",
    "Avoid promising a delivery date we cannot keep.",
    "Use British spelling throughout.",
    "The on-call engineer will paste this into the incident channel.",
    "Refunds over 500 need a manager's approval; mention that.",
    "It should handle an empty list without crashing.",
    "Mention the status page link at the end.",
    "Do not include any internal ticket numbers.",
]


def _context(rng: random.Random) -> tuple[str, str]:
    """(what the user added to the snippet, how the model's answer takes it up)."""
    first, second = rng.sample(_CONTEXT, 2)
    ref = rng.randrange(10_000, 99_999)
    return f" {first} {second} (ref {ref})", f"{first} {second} Ref {ref}."


def _answering(output: str, note: str, code: bool) -> str:
    """The template answer, taking up the request's context as a real answer would: answers
    to different requests differ, so the leakage guard (which compares outputs too) finds
    only true near copies of holdout items."""
    return output.rstrip("\n") + (f"\n# Noted: {note}\n" if code else f"\n\n(Noted: {note})")


_RETRY_CHANGES = [
    "Asked for a shorter answer",
    "Added the missing table schema",
    "Said the answer must be in British English",
    "Pointed out the code does not run",
]


def _reason(rng: random.Random) -> str | None:
    return rng.choices(
        ["wrong", "unsafe", "missing_info", "formatting", "sensitive_data", None],
        weights=[30, 6, 18, 16, 6, 10],
    )[0]


def synthetic_events(
    week_start: dt.date, count: int = 320, seed: int = 48
) -> Iterator[dict[str, Any]]:
    """``count`` capture events spread over the seven days from ``week_start``."""
    rng = random.Random(seed)
    cases = _CODE_CASES + _PROSE_CASES
    for number in range(count):
        case = rng.choice(cases)
        intent, source, output, better = case
        moment = dt.datetime.combine(week_start, dt.time(8), dt.UTC) + dt.timedelta(
            minutes=rng.randrange(7 * 24 * 60)
        )
        signal = rng.choices(
            ["edit", "retry", "side_by_side", "sample", "rating", "reaction", "ticket"],
            weights=[26, 14, 12, 14, 14, 14, 6],
        )[0]
        context, note = _context(rng)
        text = source + context + (rng.choice(_PII_SNIPPETS) if rng.random() < 0.12 else "")
        code = case in _CODE_CASES
        output, better = _answering(output, note, code), _answering(better, note, code)
        event: dict[str, Any] = {
            "event_id": f"ev-{week_start.isoformat()}-{number:05d}",
            "captured_at": moment.isoformat().replace("+00:00", "Z"),
            "signal": signal,
            "reason_code": None if signal == "sample" else _reason(rng),
            "input": text,
            "intent": intent,
            "model": {
                "name": MODEL,
                "version": rng.choice(VERSIONS),
                "settings": {"temperature": rng.choice([0.2, 0.7]), "max_tokens": 800},
            },
            "output": output,
            "subject": f"acct-{rng.randrange(40):04d}",
        }
        if signal == "edit":
            event["edited_output"] = better
        elif signal == "retry":
            event["retries"] = [
                {"change": rng.choice(_RETRY_CHANGES), "output": output.replace("\n\n", "\n")},
                {"change": rng.choice(_RETRY_CHANGES), "output": better},
            ]
        elif signal == "side_by_side":
            event["candidates"] = [
                {"model_version": VERSIONS[0], "output": output},
                {"model_version": VERSIONS[1], "output": better},
            ]
            event["picked"] = rng.choice([0, 1, 1, None])
        elif signal == "rating":
            event["rating"] = rng.choice([1, 2, 3, 4, 5, 5])
        elif signal == "reaction":
            event["reaction"] = rng.choice(["up", "up", "down"])
        elif signal == "ticket":
            event["ticket_text"] = "The assistant's answer did not match our data."
        if rng.random() < 0.03:
            event["intent"] = None  # some capture paths lose context; triage drops these
        yield event
