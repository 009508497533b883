"""Nothing a stranger controls can inject a header, a MIME part or a second source; and the
rule checker catches reports that break the rules."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email.policy import default

import pytest
from test_report_golden import ABUSE, SETTINGS, incident, line

from probewatch.clock import frozen
from probewatch.model import Contact, Reporter
from probewatch.report import (
    InvalidAddress,
    clean_hostname,
    clean_text,
    render_report,
    validate_address,
)
from probewatch.report_rules import report_violations

NOW = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)
INJECTIONS = [
    "evil.example\r\nBcc: victim@example.com",
    "evil.example\nContent-Type: text/html",
    "evil.example\x00\r\n\r\n<html><body>click</body></html>",
    "\u202eevil\u00e9.example",
]


def rendered(
    inc: object, contact: Contact = ABUSE, reporters: list[Reporter] | None = None
) -> bytes:
    with frozen(NOW):
        return render_report(inc, contact, SETTINGS, reporters or []).as_bytes()  # type: ignore[arg-type]


def headers_of(raw: bytes) -> dict[str, list[str]]:
    msg = email.message_from_bytes(raw, policy=default)
    out: dict[str, list[str]] = {}
    for name, value in msg.items():
        out.setdefault(name.lower(), []).append(str(value))
    return out


@pytest.mark.parametrize("payload", INJECTIONS)
def test_hostile_ptr_and_network_name_cannot_add_headers_or_parts(payload: str) -> None:
    inc = incident(
        [line(0)], ["a@home.example"], ptr=payload, network={"name": payload, "cidr": payload}
    )
    raw = rendered(inc)
    headers = headers_of(raw)
    assert "bcc" not in headers and list(headers["content-type"]) == [
        'text/plain; charset="us-ascii"'
    ]
    assert report_violations(raw) == []
    assert b"<html" not in raw.lower() and b"\x00" not in raw
    assert all(byte < 128 for byte in raw)


@pytest.mark.parametrize(
    "field",
    ["src_ip", "incident_id"],
)
def test_hostile_subject_fields_are_flattened_to_one_line(field: str) -> None:
    inc = incident([line(0)], ["a@home.example"])
    setattr(inc, field, getattr(inc, field) + "\r\nBcc: victim@example.com")
    raw = rendered(inc)
    assert "bcc" not in headers_of(raw)
    assert b"\r\nBcc:" not in raw


@pytest.mark.parametrize(
    "address",
    [
        "abuse@isp.example\r\nBcc: victim@example.com",
        "abuse@isp.example, victim@example.com",
        "Abuse <abuse@isp.example>",
        "abuse@isp.example\x00",
        "ab use@isp.example",
        "abuse@\u00e9xample.com",
        "abuse@localhost",
        "",
    ],
)
def test_bad_recipient_addresses_are_refused(address: str) -> None:
    with pytest.raises(InvalidAddress):
        rendered(incident([line(0)], ["a@home.example"]), contact=Contact(address, "rdap", 1.0))


def test_bad_sender_setting_is_refused() -> None:
    settings = SETTINGS.model_copy(update={"reply_to_address": "x@y.example\r\nBcc: z@w.example"})
    with frozen(NOW), pytest.raises(InvalidAddress):
        render_report(incident([line(0)], ["a"]), ABUSE, settings, [])


def test_clean_text_and_hostname() -> None:
    assert clean_text("a\r\nb\x00c\td") == "a b c d"
    assert clean_text("Caf\u00e9 \u4e2d") == "Cafe ?"
    assert clean_hostname("Host-1.Example.NET.") == "host-1.example.net"
    assert clean_hostname("bad name.example") is None
    assert validate_address("Abuse+tag@isp.example") == "Abuse+tag@isp.example"


def test_evidence_lines_keep_ip_and_time_together_and_are_never_wrapped() -> None:
    inc = incident(
        [line(0, src="2001:db8:4:1::be", dst="2001:db8:77::/48", sport=65535, dport=65535)], ["a"]
    )
    body = email.message_from_bytes(rendered(inc), policy=default).get_content()
    evidence = [row for row in body.splitlines() if row.startswith("  2026-")]
    assert evidence == [
        "  2026-11-25 03:14:07 UTC  TCP  [2001:db8:4:1::be]:65535  -> 2001:db8:77::/48 (masked)  port 65535  flags SYN"
    ]
    assert all(len(row) <= 72 for row in body.splitlines() if not row.startswith("  2026-"))


def test_long_incidents_list_the_first_hundred_events_and_say_so() -> None:
    inc = incident([line(n) for n in range(130)], ["a"])
    body = email.message_from_bytes(rendered(inc), policy=default).get_content()
    assert sum(row.startswith("  2026-") for row in body.splitlines()) == 100
    assert "... and 30 more events like these, not listed here" in body
    assert "Events:                130" in body


def _good() -> bytes:
    return rendered(
        incident([line(0)], ["alice@home.example"]), reporters=[Reporter("alice@home.example")]
    )


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda raw: raw.replace(b"203.0.0.0/16 (masked)", b"203.0.113.9 (masked)"),
            "not masked enough",
        ),
        (
            # A prefix that claims to show more than two octets hide is not a masked address.
            lambda raw: raw.replace(b"203.0.0.0/16 (masked)", b"203.0.0.0/24 (masked)"),
            "not masked enough",
        ),
        (lambda raw: raw.replace(b"concern,", b"concern, 8.8.8.8"), "another address appears"),
        (lambda raw: raw.replace(b"Security issue", b"Port scan"), "subject"),
        (lambda raw: raw.replace(b"All times are UTC", b"Times are local"), "All times are UTC"),
        (lambda raw: raw.replace(b"Reply OPT-OUT", b"Reply STOP"), "Reply OPT-OUT"),
        (lambda raw: raw.replace(b"03:14:07 UTC  TCP", b"03:14 UTC     TCP"), "no evidence line"),
        (lambda raw: raw.replace(b"concern,", b"concern, <b>"), "HTML"),
        (lambda raw: raw.replace(b"concern,", "concern, \u00e9".encode()), "US-ASCII"),
        (lambda raw: raw.replace(b"text/plain", b"text/html"), "text/plain"),
        (
            lambda raw: raw.replace(b"probewatch, on behalf", b"alice@home.example, on behalf"),
            "alice@home.example",
        ),
    ],
)
def test_rule_checker_catches_each_broken_rule(mutate: object, expected: str) -> None:
    raw = _good()
    assert report_violations(raw, forbidden=["alice@home.example"]) == []
    problems = report_violations(mutate(raw), forbidden=["alice@home.example"])  # type: ignore[operator]
    assert any(expected in problem for problem in problems), problems
