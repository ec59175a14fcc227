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
