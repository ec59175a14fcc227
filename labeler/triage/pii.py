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
from collections.abc import Callable, Iterable, Iterator

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

# Letters of any script (josé@exämple.de, an IDN domain), or a punycode top-level domain.
_EMAIL = re.compile(
    r"(?<![\w.%+-])[^\W_][\w.%+-]{0,63}@"
    r"(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.){1,8}(?:[^\W\d_]{2,24}|xn--[a-z0-9-]{1,59})(?![\w-])"
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
# Upper or lower case, one case a candidate (else "…1332 as I said" runs into the words
# after it): stdnum checks the country's format and mod 97 either way.
_IBAN = re.compile(
    r"(?<![A-Za-z0-9])(?:[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?"
    r"|[a-z]{2}\d{2}(?: ?[a-z0-9]{4}){2,7}(?: ?[a-z0-9]{1,4})?)(?![A-Za-z0-9])"
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


# How people write numbers beyond ASCII, folded one character to one (spans keep their
# offsets) before any detector runs: no-break, thin and ideographic spaces and zero-width
# separators as a space, Unicode dashes as '-', full-width '+' and '@', and the digits of
# full-width, Arabic-Indic and Devanagari forms as ASCII digits. A card written
# 4111<NBSP>1111... or with full-width digits was missed.
_SPACES = "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
    "\u200b\u200c\u200d\u202f\u205f\u2060\u3000\ufeff"  # fmt: skip
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"
_DIGIT_ZEROS = (0xFF10, 0x0660, 0x06F0, 0x0966)
_FOLD = str.maketrans(
    {ord(c): " " for c in _SPACES}
    | {ord(c): "-" for c in _DASHES}
    | {0xFF0B: "+", 0xFF20: "@", 0xFF08: "(", 0xFF09: ")", 0xFF0E: "."}
    | {zero + n: str(n) for zero in _DIGIT_ZEROS for n in range(10)}
)
# The bulk gate (RE2) sees the texts before folding: it lets through a digit of those forms,
# a full-width '@', or an ASCII digit beside a folded separator (not every text with an
# em dash or an ideographic space: most of those hold nothing to find).
_FOLDED_SEPARATORS = (
    "\\x{00a0}\\x{2000}-\\x{200d}\\x{202f}\\x{205f}\\x{2060}\\x{3000}\\x{feff}"
    "\\x{2010}-\\x{2015}\\x{2212}\\x{fe63}\\x{ff08}\\x{ff09}\\x{ff0b}\\x{ff0d}\\x{ff0e}"
)
_FOLDED_RE2 = (
    "[\\x{ff10}-\\x{ff19}\\x{0660}-\\x{0669}\\x{06f0}-\\x{06f9}\\x{0966}-\\x{096f}"
    f"\\x{{ff20}}]|\\d[{_FOLDED_SEPARATORS}]|[{_FOLDED_SEPARATORS}]\\d"
)


def folded(text: str) -> str:
    """``text`` with those characters folded (the same length: offsets carry over). An ASCII
    text, the common case, is returned as it is (``isascii`` is a flag on the string)."""
    return text if text.isascii() else text.translate(_FOLD)


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
    if candidate.startswith("00") and 10 <= digits <= 17:
        # 00 is the international call prefix of most countries: 0044 20 ... is +44 20 ...
        return phone_ok("+" + candidate[2:].lstrip(" .-"))
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


# Cheap gates, each a superset of what its detectors can find: most texts hold no candidate
# at all, and a detector that cannot match is not run (every bundle item is scanned again on
# import, so this is the import's cost). Each is one linear scan with a simple pattern.
_EIGHT_DIGITS = re.compile(r"\d(?:[ .()+-]{0,3}\d){7}")  # phones, cards, SSNs (8+ digits)
_DOTTED_QUAD = re.compile(r"\d\.\d{1,3}\.\d")  # IPv4
_IBAN_START = re.compile(r"[A-Za-z]{2}\d\d")
# Literal pieces every secret pattern holds (a substring test is far cheaper than a regex
# with case-insensitive alternatives: 58 us a text became ~2 us).
_SECRET_PIECES = (
    "AKIA", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "xox", "_live_", "_test_",
    "sk-", "AIza", "glpat-", "eyJ", "PRIVATE KEY",
)  # fmt: skip
_SECRET_WORDS = ("pass", "pwd", "secret", "apikey", "api_key", "api-key", "token", "private")


def _may_hold_secret(text: str) -> bool:
    # map over a bound method, not a generator: the loop stays in C (3x cheaper here).
    if any(map(text.__contains__, _SECRET_PIECES)):
        return True
    return any(map(text.lower().__contains__, _SECRET_WORDS))


def _gates(text: str) -> dict[str, bool]:
    # Ten substring tests say whether there is any digit at all (most prose has none), and
    # only then do the digit patterns scan.
    numeric = any(map(text.__contains__, "0123456789"))
    digits = numeric and _EIGHT_DIGITS.search(text) is not None
    return {
        "secret": _may_hold_secret(text),
        "email": "@" in text,
        "iban": numeric and _IBAN_START.search(text) is not None,
        "payment_card": digits,
        "us_ssn": digits,
        # IPv6 may be written in hex letters only ("fe::ab"): its gate is the colons.
        "ip_address": (numeric and _DOTTED_QUAD.search(text) is not None) or text.count(":") >= 2,
        "phone": digits,
    }


# The same gates in RE2's syntax, for DuckDB to run over many texts at once (``scan_many``).
_GATE_RE2 = (
    r"\d(?:[ .()+-]{0,3}\d){7}|\d\.\d{1,3}\.\d|[A-Za-z]{2}\d\d|@|(?s::.*:)|AKIA|gh[pousr]_|"
    r"github_pat_|xox|_live_|_test_|sk-|AIza|glpat-|eyJ|PRIVATE KEY|"
    r"(?i:pass|pwd|secret|apikey|api_key|api-key|token|private)|" + _FOLDED_RE2
)


def scan_many(texts: list[str]) -> list[list[PiiSpan]]:
    """``detect`` on each text, gated in bulk (see ``findings``)."""
    found = findings(texts)
    return [found.get(index, []) for index in range(len(texts))]


def findings(texts: list[str]) -> dict[int, list[PiiSpan]]:
    """The spans ``detect`` finds in each text that holds any, by index. The gates run first
    over all the texts in DuckDB (RE2: linear, vectorised, on every core), so the Python
    detectors see only the few texts that could hold something. The texts stay in memory:
    the query reads an Arrow array and never spills."""
    if len(texts) < 2048:  # a weekly bundle: not worth starting DuckDB
        candidates: Iterable[int] = range(len(texts))
    else:
        from labeler.triage.engines.text_gate import gated  # DuckDB: only for big scans

        candidates = gated(texts, _GATE_RE2)
    found = {}
    for index in candidates:
        spans = detect(texts[index])
        if spans:
            found[index] = spans
    return found


def detect(text: str) -> list[PiiSpan]:
    """Spans of personal data or secrets in ``text``, sorted, non-overlapping.

    Where two detections overlap, the one found by the earlier (more specific) detector wins.
    """
    starts: list[int] = []  # taken spans never overlap, so starts and ends sort alike
    taken: list[PiiSpan] = []
    text = folded(text)
    gates = _gates(text)
    for kind, finder in _DETECTORS:
        if not gates[kind]:
            continue
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
