"""A dependency-light PII and secret detector: ``detect(text) -> list[PiiSpan]``.

Patterns are anchored at token boundaries and use bounded quantifiers only, so scanning is
linear (1 MB of adversarial text well under a second). Candidates that a checksum can refute
are refuted: payment cards need a Luhn pass and a known issuer prefix, IBANs the mod-97 check
and their country's length, IP addresses a valid parse. Look-alikes (order numbers, dates,
versions, UUIDs, hashes) are rejected by those checks or by context.
"""

from __future__ import annotations

import bisect
import ipaddress
import re
from collections.abc import Callable, Iterator

from labeler.domain import PiiSpan

KINDS = ("email", "phone", "payment_card", "iban", "us_ssn", "ip_address", "secret")
PLACEHOLDERS = {
    "email": "[EMAIL]",
    "phone": "[PHONE]",
    "payment_card": "[CARD]",
    "iban": "[IBAN]",
    "us_ssn": "[SSN]",
    "ip_address": "[IP]",
    "secret": "[SECRET]",
}

_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,8}[A-Za-z]{2,24}(?![\w-])"
)
# International (+CC ...) or North-American style numbers; digit counts are checked after.
_PHONE = re.compile(
    r"(?<![\w+.-])(?:\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]\d{2,4}){1,4}"
    r"|\(\d{3}\)[ .-]?\d{3}[ .-]\d{4}"
    r"|\d{3}[ .-]\d{3}[ .-]\d{4})(?![\w-]|\.\d)"
)
_CARD = re.compile(r"(?<![\w.-])\d(?:[ -]?\d){12,18}(?![\w-]|\.\d)")
_IBAN = re.compile(
    r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?(?![A-Za-z0-9])"
)
_SSN = re.compile(r"(?<![\w-])(?!000|666|9)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\w-])")
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]|\.\d)")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_VERSION_CONTEXT = re.compile(r"(?:\bv|version|ver\.?|release|build)\s*$", re.IGNORECASE)
_SECRET_TOKENS = re.compile(
    r"(?<![A-Za-z0-9])(?:"
    r"AKIA[0-9A-Z]{16}"  # AWS access key id
    r"|gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255}"  # GitHub
    r"|xox[abposr]-[A-Za-z0-9-]{10,200}"  # Slack
    r"|(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,200}"  # Stripe
    r"|sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,200}"  # OpenAI / Anthropic style
    r"|AIza[0-9A-Za-z_-]{35}"  # Google API key
    r"|glpat-[A-Za-z0-9_-]{20,100}"  # GitLab
    r"|eyJ[A-Za-z0-9_-]{8,2000}\.eyJ[A-Za-z0-9_-]{8,4000}\.[A-Za-z0-9_-]{8,2000}"  # JWT
    r")(?![A-Za-z0-9])"
)
_PRIVATE_KEY_BEGIN = re.compile(r"-----BEGIN (?:[A-Z]{2,10} ){0,2}PRIVATE KEY(?: BLOCK)?-----")
_PRIVATE_KEY_END = re.compile(r"-----END (?:[A-Z]{2,10} ){0,2}PRIVATE KEY(?: BLOCK)?-----")
_PRIVATE_KEY_MAX = 20_000  # characters between BEGIN and END; a real key block is < 4 KB
_ASSIGNMENT = re.compile(
    r"(?i)(?<![\w])(?:password|passwd|pwd|passphrase|secret|client_secret|api[_-]?key|"
    r"access[_-]?token|auth[_-]?token|secret[_-]?key|private[_-]?key|token)"
    r"[\"']?[ \t]{0,4}[:=][ \t]{0,4}[\"']?(?P<value>[^\s\"',;]{4,256})"
)
_ISSUER_PREFIX = re.compile(r"^(?:4|5[1-5]|2[2-7]|3[47]|3[068]|6011|65|64[4-9]|62|35)")
_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20,
    "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18,
    "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IS": 26, "IT": 27, "JO": 30,
    "KW": 30, "KZ": 20, "LB": 28, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24,
    "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28,
    "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SE": 24, "SI": 19, "SK": 24,
    "SM": 27, "TN": 24, "TR": 26, "UA": 29, "VG": 24, "XK": 20,
}  # fmt: skip


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def iban_ok(candidate: str) -> bool:
    compact = candidate.replace(" ", "")
    if _IBAN_LENGTHS.get(compact[:2]) != len(compact):
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(char, 36)) for char in rearranged)
    return int(number) % 97 == 1


def _digits(text: str) -> str:
    return "".join(char for char in text if char.isdigit())


def _emails(text: str) -> Iterator[tuple[int, int]]:
    for match in _EMAIL.finditer(text):
        yield match.span()


def _phones(text: str) -> Iterator[tuple[int, int]]:
    for match in _PHONE.finditer(text):
        count = len(_digits(match.group()))
        if 10 <= count <= 15:
            yield match.span()


def _cards(text: str) -> Iterator[tuple[int, int]]:
    for match in _CARD.finditer(text):
        raw = match.group()
        digits = _digits(raw)
        separators = {char for char in raw if not char.isdigit()}
        if len(separators) > 1 or not 13 <= len(digits) <= 19:
            continue
        if luhn_ok(digits) and _ISSUER_PREFIX.match(digits) and len(set(digits)) > 1:
            yield match.span()


def _ibans(text: str) -> Iterator[tuple[int, int]]:
    for match in _IBAN.finditer(text):
        if iban_ok(match.group()):
            yield match.span()


def _ssns(text: str) -> Iterator[tuple[int, int]]:
    for match in _SSN.finditer(text):
        yield match.span()


def _ips(text: str) -> Iterator[tuple[int, int]]:
    for match in _IPV4.finditer(text):
        if _VERSION_CONTEXT.search(text, max(0, match.start() - 12), match.start()):
            continue
        try:
            ipaddress.IPv4Address(match.group())
        except ValueError:
            continue
        yield match.span()
    for match in _IPV6.finditer(text):
        candidate = match.group()
        if candidate.count(":") < 2 or not any(c.isalnum() for c in candidate):
            continue
        try:
            ipaddress.IPv6Address(candidate)
        except ValueError:
            continue
        yield match.span()


def _secrets(text: str) -> Iterator[tuple[int, int]]:
    for match in _SECRET_TOKENS.finditer(text):
        yield match.span()
    # BEGIN then a bounded search for END, not one lazy regex: that one rescans up to the
    # bound from every BEGIN and went quadratic on repeated headers.
    cursor = 0
    while (begin := _PRIVATE_KEY_BEGIN.search(text, cursor)) is not None:
        end = _PRIVATE_KEY_END.search(text, begin.end(), begin.end() + _PRIVATE_KEY_MAX)
        stop = end.end() if end else begin.end()
        yield begin.start(), stop
        cursor = stop
    for match in _ASSIGNMENT.finditer(text):
        yield match.span("value")


_DETECTORS: tuple[tuple[str, Callable[[str], Iterator[tuple[int, int]]]], ...] = (
    ("secret", _secrets),
    ("email", _emails),
    ("iban", _ibans),
    ("payment_card", _cards),
    ("us_ssn", _ssns),
    ("ip_address", _ips),
    ("phone", _phones),
)


def detect(text: str) -> list[PiiSpan]:
    """Spans of personal data or secrets in ``text``, sorted, non-overlapping.

    Where two detections overlap, the one found by the earlier (more specific) detector wins.
    """
    starts: list[int] = []  # taken spans never overlap, so starts and ends sort alike
    taken: list[PiiSpan] = []
    for kind, finder in _DETECTORS:
        for start, end in finder(text):
            index = bisect.bisect_right(starts, start)
            if index and taken[index - 1].end > start:
                continue
            if index < len(taken) and taken[index].start < end:
                continue
            starts.insert(index, start)
            taken.insert(index, PiiSpan(kind, start, end, field=""))
    return taken


def redact(text: str, spans: list[PiiSpan]) -> str:
    """Replace each span with its typed placeholder, e.g. ``[EMAIL]``."""
    pieces: list[str] = []
    cursor = 0
    for span in sorted(spans, key=lambda s: s.start):
        if span.start < cursor:
            continue
        pieces.append(text[cursor : span.start])
        pieces.append(PLACEHOLDERS.get(span.kind, "[REDACTED]"))
        cursor = span.end
    pieces.append(text[cursor:])
    return "".join(pieces)
