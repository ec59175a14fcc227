"""The PII and secret detector: ``detect(text) -> list[PiiSpan]``.

Candidates are found by patterns anchored at token boundaries with bounded quantifiers
only, so scanning stays linear (1 MB of adversarial text well under a second); each
candidate, at most a few dozen characters, is then judged by a well-kept library: phone
numbers by ``phonenumbers`` (libphonenumber's metadata: every country's lengths and
prefixes), IBANs by ``python-stdnum`` (every country's BBAN format and the mod-97 check),
payment cards by stdnum's Luhn and an issuer prefix, IP addresses by a parse. Verdicts are
cached per candidate string, so a text repeating one number pays once. Look-alikes (order
numbers, dates, versions, UUIDs, hashes) fail those checks or the context rules. The
libraries are imported on the first scan, not with this module (bundle_file imports it).
"""

from __future__ import annotations

import bisect
import functools
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
# International (+CC ...) or national numbers in groups; phonenumbers judges each one.
_PHONE = re.compile(
    r"(?<![\w+.-])(?:\+\d{7,15}"
    r"|(?:\+\d{1,3}[ .-]?(?:\(0\)[ .-]?)?)?(?:\(\d{1,5}\)[ .-]?)?\d{1,8}(?:[ .-]\d{1,8}){0,6})"
    r"(?![\w-]|\.\d)"
)
# Where a number written without +CC is read as national: with its trunk prefix 0 (or an
# area code in parentheses) in these countries, or in the North American layout.
NATIONAL_REGIONS = ("GB", "DE", "FR", "ES", "IT", "NL", "IN", "AU", "BR", "JP")
_NANP = re.compile(r"^(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}$")
_CARD = re.compile(r"(?<![\w.+-])\d(?:[ -]?\d){12,18}(?![\w-]|\.\d)")
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
# Payment networks by leading digits: Visa 4, Mastercard 51-55 and 2221-2720, Amex 34/37,
# Diners 30/36/38, JCB 35, Discover 6011/64/65, UnionPay 62, Maestro 50/56-69, Mir 2200-2204.
_ISSUER_PREFIX = re.compile(r"^(?:4|5[0-9]|2[2-7]|3[0-8]|6)")


def luhn_ok(digits: str) -> bool:
    from stdnum import luhn

    return bool(luhn.is_valid(digits))


@functools.lru_cache(maxsize=4096)
def iban_ok(candidate: str) -> bool:
    """A valid IBAN of any country: its BBAN format, length and mod-97 check (stdnum)."""
    from stdnum import iban

    return bool(iban.is_valid(candidate))


@functools.lru_cache(maxsize=4096)
def phone_ok(candidate: str) -> bool:
    """A number valid for its country, as libphonenumber's metadata says."""
    import phonenumbers

    digits = sum(char.isdigit() for char in candidate)
    if candidate.startswith("+"):
        regions: tuple[str | None, ...] = (None,)
        if not 8 <= digits <= 15:
            return False
    elif _NANP.match(candidate):
        regions = ("US",)
    elif candidate.startswith(("0", "(")) and 9 <= digits <= 13:
        # Without +CC, only a number that starts as a dialled one does: an order number or
        # a grouped amount (1 234 567 890) does not.
        regions = NATIONAL_REGIONS
    else:
        return False
    for region in regions:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return True
    return False


def _digits(text: str) -> str:
    return "".join(char for char in text if char.isdigit())


def _emails(text: str) -> Iterator[tuple[int, int]]:
    for match in _EMAIL.finditer(text):
        yield match.span()


def _phones(text: str) -> Iterator[tuple[int, int]]:
    for match in _PHONE.finditer(text):
        if phone_ok(match.group()):
            yield match.span()


def _cards(text: str) -> Iterator[tuple[int, int]]:
    for match in _CARD.finditer(text):
        raw = match.group()
        digits = _digits(raw)
        separators = {char for char in raw if not char.isdigit()}
        if len(separators) > 1 or not 13 <= len(digits) <= 19:
            continue
        if _ISSUER_PREFIX.match(digits) and len(set(digits)) > 1 and luhn_ok(digits):
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
