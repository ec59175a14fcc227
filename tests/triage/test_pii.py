"""The PII detector: true positives per kind, look-alikes that must not match, spans."""

from __future__ import annotations

import pytest

from labeler.triage.pii import detect, iban_ok, luhn_ok, redact


def kinds(text: str) -> list[tuple[str, str]]:
    return [(span.kind, text[span.start : span.end]) for span in detect(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail me: john.smith@example.com today", ("email", "john.smith@example.com")),
        ("cc to a_b+tag@sub.mail-host.co.uk", ("email", "a_b+tag@sub.mail-host.co.uk")),
        ("call +1 415-555-0132 now", ("phone", "+1 415-555-0132")),
        ("office (212) 555-0199", ("phone", "(212) 555-0199")),
        ("uk +44 20 7946 0958", ("phone", "+44 20 7946 0958")),
        ("visa 4111111111111111", ("payment_card", "4111111111111111")),
        ("amex 3782-822463-10005", ("payment_card", "3782-822463-10005")),
        ("mc 5555 5555 5555 4444", ("payment_card", "5555 5555 5555 4444")),
        ("iban DE89 3704 0044 0532 0130 00", ("iban", "DE89 3704 0044 0532 0130 00")),
        ("GB82WEST12345698765432", ("iban", "GB82WEST12345698765432")),
        ("ssn 078-05-1120", ("us_ssn", "078-05-1120")),
        ("host 192.168.0.12 down", ("ip_address", "192.168.0.12")),
        ("v6 2001:db8:85a3::8a2e:370:7334", ("ip_address", "2001:db8:85a3::8a2e:370:7334")),
        ("key AKIAIOSFODNN7EXAMPLE", ("secret", "AKIAIOSFODNN7EXAMPLE")),
        ("token ghp_" + "a" * 36, ("secret", "ghp_" + "a" * 36)),
        ("password = 'hunter2!x'", ("secret", "hunter2!x")),
        ("api_key: sk_live_0123456789abcdefABCD", ("secret", "sk_live_0123456789abcdefABCD")),
        (
            "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.abcdefghijKLMNOP123",
            ("secret", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.abcdefghijKLMNOP123"),
        ),
    ],
)
def test_true_positives(text: str, expected: tuple[str, str]) -> None:
    assert expected in kinds(text)


def test_private_key_block_is_one_secret() -> None:
    block = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAK\n-----END RSA PRIVATE KEY-----"
    found = kinds(f"here:\n{block}\nend")
    assert found == [("secret", block)]


@pytest.mark.parametrize(
    "text",
    [
        "order number 1234567812345678",  # 16 digits failing Luhn
        "card 4111 1111 1111 1112",  # fails Luhn
        "invoice 2026-11-26 and 26/11/2026",
        "upgrade to version 1.2.3.4 or v10.0.0.1",
        "uuid 123e4567-e89b-12d3-a456-426614174000",
        "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904",
        "ticket #88231 and order 100-200-30",
        "IBAN-like GB00 WEST 1234 5698 7654 32",  # wrong check digits
        "the time is 12:30:45",
        "ssn-like 000-12-3456 and 666-12-3456",
        "ip-like 999.1.1.1",
        "price 1,299.99 total 12345.67",
    ],
)
def test_look_alikes_do_not_match(text: str) -> None:
    assert kinds(text) == []


def test_spans_are_character_offsets_end_exclusive() -> None:
    text = "é€ x@y.io"
    (span,) = detect(text)
    assert (span.kind, span.start, span.end) == ("email", 3, 9)
    assert text[span.start : span.end] == "x@y.io"


def test_redact_replaces_with_typed_placeholders() -> None:
    text = "mail a@b.com, call +1 415-555-0132"
    assert redact(text, detect(text)) == "mail [EMAIL], call [PHONE]"


def test_checksums() -> None:
    assert luhn_ok("79927398713") and not luhn_ok("79927398710")
    assert iban_ok("GB82 WEST 1234 5698 7654 32") and not iban_ok("GB83 WEST 1234 5698 7654 32")


# Recall on realistic vectors: phones as people write them in a dozen countries, IBANs of
# every IBAN country (the registry's examples), and the networks' published test cards.
PHONES = [
    "+1 415-555-0132", "(212) 555-0199", "212-555-0199", "212.555.0199", "+1 (212) 555-0199",
    "+44 20 7946 0958", "020 7946 0958", "+44 7911 123456", "07911 123456",
    "+44 (0)20 7946 0958", "+49 30 901820", "+49 151 12345678", "+4915112345678",
    "030 9018 2012", "+33 1 42 68 53 00", "01 42 68 53 00", "+33 6 12 34 56 78",
    "06 12 34 56 78", "+91 98765 43210", "+81 3-1234-5678", "03-1234-5678", "+61 2 9374 4000",
    "(02) 9374 4000", "+34 912 345 678", "+39 06 6982 0000", "+31 20 123 4567",
    "+55 11 91234-5678", "+86 138 0013 8000", "+7 495 123-45-67", "+27 21 123 4567",
    "+52 55 1234 5678", "+353 1 234 5678", "+46 8 123 456 78", "+48 22 123 45 67",
    "+65 6123 4567",
]  # fmt: skip
IBAN_TEXT = """DE89370400440532013000 GB82WEST12345698765432 FR1420041010050500013M02606
ES9121000418450200051332 IT60X0542811101000000123456 NL91ABNA0417164300
CH9300762011623852957 AT611904300234573201 PL61109010140000071219812874
SE4550000000058398257466 NO9386011117947 DK5000400440116243 FI2112345600000785
PT50000201231234567890154 IE29AIBK93115212345678 LU280019400644750000
GR1601101250000000012300695 CZ6508000000192000145399 HU42117730161111101800000000
RO49AAAA1B31007593840000 SA0380000000608010167519 AE070331234567890123456
TR330006100519786457841326 BR9700360305000010009795493P1 IL620108000000099999999
MT84MALT011000012345MTLCAST001S HR1210010051863000160 SI56263300012039086
SK3112000000198742637541 LT121000011101001000 LV80BANK0000435195001 EE382200221020145685
BG80BNBG96611020345678 CY17002001280000001200527600 IS140159260076545510730339
LI21088100002324013AA MC5811222000010123456789030 QA58DOHB00001234567890ABCDEFG
KW81CBKU0000000000001234560101 JO94CBJO0010000000000131000302
MU17BOMM0101101030300200000MUR PK36SCBL0000001123456702 UA213223130000026007233566001
KZ86125KZT5004100100 GE29NB0000000101904917 AZ21NABZ00000000137010001944
BH67BMAG00001299123456 CR05015202001026284066 DO28BAGR00000001212453611324
XK051212012345678906 ME25505000012345678951 RS35260005601001611379 MK07250120000058984
AL47212110090000000235698741 BA391290079401028494 MD24AG000225100013104168
SM86U0322509800000000270100 TN5910006035183598478831 EG380019000500000000263180002
LB62099900000001001901229114 GT82TRAJ01020000001210029690 VG96VPVG0000012345678901
PS92PALS000000000400123456702 SC18SSCB11010000000000001497USD
BY13NBRB3600900000002Z00AB00 IQ98NBIQ850123456789012 LC55HEMM000100010012001200023015
ST68000100010051845310112 SV62CENR00000000000000700025 TL380080012345678910157
VA59001123000012345678 LY83002048000020100120361 SD2129010501234001
RU0304452522540817810538091310419 SO211000001001000100141 NI45BAPR00000013000003558124
MN121234123456789123 FK88SC123456789012 OM810180000001299123456
YE15CBYE0001018861234567891234 HN88CABF00000000000250005469"""
IBANS = IBAN_TEXT.split()
CARDS = [
    "4111111111111111", "4012888888881881", "4222222222222", "5555555555554444",
    "5105105105105100", "2223003122003222", "2720992720992729", "378282246310005",
    "371449635398431", "6011111111111117", "6011000990139424", "30569309025904",
    "38520000023237", "36227206271667", "3530111333300000", "3566002020360505",
    "6200000000000005", "6759649826438453", "5019717010103742", "4111 1111 1111 1111",
    "5555-5555-5555-4444", "3782 822463 10005",
]  # fmt: skip


def _spaced(iban: str) -> str:
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


@pytest.mark.parametrize(
    ("kind", "value"),
    [("phone", p) for p in PHONES]
    + [("iban", i) for i in IBANS]
    + [("iban", _spaced(i)) for i in IBANS[::7]]
    + [("payment_card", c) for c in CARDS],
)
def test_recall_on_realistic_vectors(kind: str, value: str) -> None:
    text = f"Hi, it is {value} as I said."
    assert kinds(text) == [(kind, value)]


FALSE_POSITIVES = [
    "ticket 2026-11-26T10:00:00Z", "zip 94105-1234", "isbn 978-3-16-148410-0",
    "tracking 1Z999AA10123456784", "version 10.0.19045.3693", "call me maybe 555-0199",
    "id 20261126103000", "batch 1234 5678 9012", "ref 100-200-3000-4000", "sku 12-3456-7890",
    "phone 000-000-0000", "2026 11 26 10 00", "build 2026.11.2", "order 12345678",
    "amount 1 234 567 890 EUR", "the years 1999 and 2000 and 2001", "order 0012 3456 7890",
    "invoice 2026-000123", "IBAN-like DE00 3704 0044 0532 0130 00", "GB82 WEST 1234 5698 7654 33",
]  # fmt: skip


@pytest.mark.parametrize("text", FALSE_POSITIVES)
def test_no_false_positives_on_numbers_that_are_not_personal(text: str) -> None:
    assert kinds(text) == []


def test_scanning_many_texts_finds_exactly_what_detect_finds() -> None:
    """scan_many gates the texts in DuckDB (RE2) first: its gate must let every text with a
    finding through, whatever its case or layout."""
    import random

    from labeler.triage.pii import scan_many

    rng = random.Random(3)
    planted = [f"Hi, it is {v} as I said." for v in PHONES + IBANS + CARDS]
    planted += ["mail: A.B@x.io", "PassWord = 'Zz9!zz9!'", "ApiKey: 'abcd1234efgh'",
                "fe::ab is up", "abcd:ef01:2345:6789:abcd:ef01:2345:6789", "1.2.3.4",
                "-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----"]  # fmt: skip
    planted += FALSE_POSITIVES
    words = ["the", "report", "shows", "revenue", "up", "4%", "Q3", "order", "v2", "né", "東京"]
    plain = [" ".join(rng.choice(words) for _ in range(rng.randrange(1, 60))) for _ in range(3000)]
    texts = plain + planted
    rng.shuffle(texts)
    assert len(texts) >= 2048  # the DuckDB path, not the small-batch one
    assert scan_many(texts) == [detect(text) for text in texts]


def test_scanning_many_texts_loads_no_pandas_and_leaves_it_importable() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from labeler.triage.pii import scan_many\n"
        "found = scan_many(['mail a@b.io'] + ['plain words'] * 3000)\n"
        "assert found[0] and not any(found[1:])\n"
        "print('pandas' in sys.modules, any(m.startswith('pandas.') for m in sys.modules))\n"
        "import pandas\n"
        "print(pandas.DataFrame({'a': [1]}).shape)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["False False", "(1, 1)"]


# How people write these beyond ASCII (a trial found each missed): no-break and zero-width
# separators, full-width forms, the 00 international prefix, a lower-case IBAN, addresses in
# other scripts. The span is the text as written (folding keeps every offset).
BEYOND_ASCII = [
    (
        "visa 4111\u00a01111\u00a01111\u00a01111",
        ("payment_card", "4111\u00a01111\u00a01111\u00a01111"),
    ),
    (
        "visa 4111\u200b1111\u200b1111\u200b1111",
        ("payment_card", "4111\u200b1111\u200b1111\u200b1111"),
    ),
    (
        "card ４１１１ １１１１ １１１１ １１１１",
        ("payment_card", "４１１１ １１１１ １１１１ １１１１"),
    ),
    ("call 0044 20 7946 0958", ("phone", "0044 20 7946 0958")),
    ("call 001 415-555-0132", ("phone", "001 415-555-0132")),
    ("call 415\u2013555\u20130132 today", ("phone", "415\u2013555\u20130132")),
    ("tel +44\u00a020\u00a07946\u00a00958", ("phone", "+44\u00a020\u00a07946\u00a00958")),
    ("tel ＋４４ ２０ ７９４６ ０９５８", ("phone", "＋４４ ２０ ７９４６ ０９５８")),
    ("iban gb82 west 1234 5698 7654 32", ("iban", "gb82 west 1234 5698 7654 32")),
    ("iban de89370400440532013000.", ("iban", "de89370400440532013000")),
    ("mail josé.müller@exämple.de ok", ("email", "josé.müller@exämple.de")),
    ("пишите пример@пример.рф", ("email", "пример@пример.рф")),
    ("mail user@xn--bcher-kva.example", ("email", "user@xn--bcher-kva.example")),
    ("ssn ٠٧٨-٠٥-١١٢٠", ("us_ssn", "٠٧٨-٠٥-١١٢٠")),
]


@pytest.mark.parametrize(("text", "expected"), BEYOND_ASCII)
def test_numbers_and_addresses_written_beyond_ascii(text: str, expected) -> None:
    assert kinds(text) == [expected]


@pytest.mark.parametrize(
    "text",
    ["results 2019\u20142020 were flat", "gb82 west 1234 5698 7654 33", "order 0012 3456 7890",
     "id ab12 cdef ghij klmn", "mail me at noreply@localhost", "room 12\u00a0B, floor 3"],
)  # fmt: skip
def test_what_folding_must_not_turn_into_a_finding(text: str) -> None:
    assert kinds(text) == []


def test_the_bulk_gate_lets_every_text_beyond_ascii_through() -> None:
    from labeler.triage.pii import scan_many

    texts = [text for text, _ in BEYOND_ASCII] + ["plain words — and an em dash"] * 3000
    assert scan_many(texts) == [detect(text) for text in texts]
    assert all(scan_many(texts)[: len(BEYOND_ASCII)])
