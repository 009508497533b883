"""The reporter digest: golden renderings of typical days, and the rules behind them.

Regenerate the golden files after an intended change with
`PROBEWATCH_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/unit/test_digest.py` and review
the diff.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from probewatch.digest import build_digest, digest_sections
from probewatch.digest_facts import DigestFacts, entry_time
from probewatch.digest_words import (
    EMAIL_RESULT,
    NOT_REPORTED_TEXT,
    OPEN_TEXT,
    READING_TEXT,
)
from probewatch.filters import READER_TEXT, REASONS
from probewatch.model import Reporter

GOLDEN = Path(__file__).parent / "golden" / "digest"
START = datetime(2026, 11, 24, 23, 0, tzinfo=UTC)  # midnight in Berlin
END = datetime(2026, 11, 25, 23, 0, tzinfo=UTC)
SENDER = "digest@probes.example.org"


def entry(time: str, kind: str, ident: str, **data: Any) -> dict[str, Any]:
    return {"time": time, "kind": kind, "ident": ident, "data": data}


def submission(time: str, ident: str, **data: Any) -> dict[str, Any]:
    record = {
        "submission_id": ident,
        "status": "accepted",
        "reason": None,
        "subject": "Fwd: firewall alert",
        "formats": {},
        "events_stored": 0,
        "rejected": {},
        "rejected_examples": {},
        "clock_offset_seconds": None,
    }
    record.update(data)
    return entry(time, "submission", ident, **record)


NETGEAR_DAMAGED = (
    "[DoS Attack: SYN/ACK Scan] from source: 203.0.1l3.5, port 443, "
    "Tuesday, November 25, 2026 08:01:55"
)

LONG_V6 = "2001:db8:ffff:ffff:ffff:ffff:ffff:fffe"
LONG_MAILBOX = "abuse-department-for-the-whole-region@" + "sub." * 8 + "isp.example"
LONG_LINE = (
    "Nov 25 04:00:00 a-router-with-a-really-long-hostname.home.arpa kernel: [UFW BLOCK] "
    "IN=eth0 OUT= MAC=52:54:00:3a:1c:9e:00:1f:ca:b2:40:01:08:00 SRC=" + LONG_V6 + " "
    "DST=2001:db8:1:2:3:4:5:6 LEN=60 TC=0 HOPLIMIT=52 FLOWLBL=0 PROTO=TCP SPT=443 DPT=65000"
)

DAYS: dict[str, tuple[Reporter, list[dict[str, Any]]]] = {
    "busy_day": (
        Reporter(email="alice@example.net", tz="Europe/Berlin"),
        [
            submission(
                "2026-11-25T06:03:10Z",
                "s1",
                subject="Fwd: NETGEAR Security Alert",
                formats={"netgear": 12},
                events_stored=12,
                rejected={"bad-address": 2},
                rejected_examples={"bad-address": NETGEAR_DAMAGED},
                clock_offset_seconds=-1.5,
            ),
            submission(
                "2026-11-25T09:41:00Z",
                "s2",
                subject="ufw log",
                formats={"netfilter": 30},
                events_stored=30,
                rejected={"in-future": 1},
                rejected_examples={
                    "in-future": "Nov 27 10:00:00 gw kernel: [UFW BLOCK] IN=eth0 SRC=203.0.113.9 DST=198.51.100.2 PROTO=TCP SPT=5555 DPT=23"
                },
            ),
            submission(
                "2026-11-25T13:40:00Z",
                "s3",
                status="no-events",
                reason="no-firewall-lines",
                subject="hello there",
            ),
            entry(
                "2026-11-25T10:15:00Z",
                "filtered",
                "i-203.0.113.80",
                incident_id="i-203.0.113.80",
                src_ip="203.0.113.80",
                counts={"web-crawler": 3},
                examples={
                    "web-crawler": "IN=eth0 SRC=203.0.113.80 DST=198.51.100.2 PROTO=TCP SPT=40000 DPT=80"
                },
            ),
            entry(
                "2026-11-25T10:15:00Z",
                "decision",
                "i-203.0.113.80",
                incident_id="i-203.0.113.80",
                src_ip="203.0.113.80",
                status="not-reported",
                code="filtered",
                reason="not reported: every event matched a false-positive rule: web-crawler 3",
                events=3,
            ),
            entry(
                "2026-11-25T11:00:00Z",
                "decision",
                "i-192.0.2.99",
                incident_id="i-192.0.2.99",
                src_ip="192.0.2.99",
                status="not-reported",
                code="uncorroborated",
                reason="not reported: only 1 spoofable event(s) (blocked SYN/UDP/ICMP)",
                events=1,
            ),
            entry(
                "2026-11-25T14:45:00Z",
                "decision",
                "i-192.0.2.44",
                incident_id="i-192.0.2.44",
                src_ip="192.0.2.44",
                status="queued",
                code="established",
                reason="reported: 17 events on 4 ports",
                events=17,
            ),
            entry(
                "2026-11-25T12:00:00Z",
                "filtered",
                "i-198.51.100.77",
                incident_id="i-198.51.100.77",
                src_ip="198.51.100.77",
                counts={},
                examples={},
            ),
            entry(
                "2026-11-25T15:00:00Z",
                "report-sent",
                "i-192.0.2.44",
                incident_id="i-192.0.2.44",
                src_ip="192.0.2.44",
                mailbox="abuse@isp-a.example",
                events=17,
                attempt=1,
            ),
            entry(
                "2026-11-25T15:00:00Z",
                "report-sent",
                "i-192.0.2.45",
                incident_id="i-192.0.2.45",
                src_ip="192.0.2.45",
                mailbox="abuse@isp-b.example",
            ),
            entry(
                "2026-11-25T19:30:00Z",
                "abuse-reply",
                "i-192.0.2.44",
                incident_id="i-192.0.2.44",
                **{
                    "from": "abuse@isp-a.example",
                    "excerpt": "Thank you for your report. We have contacted our customer.",
                    "relayed_to": ["alice@example.net"],
                    "from_sent_mailbox": True,
                },
            ),
            entry(
                "2026-11-25T20:00:00Z",
                "command",
                "c1",
                command="SETTINGS mask=3",
                result="updated",
            ),
        ],
    ),
    "quiet_day": (
        Reporter(email="bob@example.com", tz="America/New_York"),
        [
            submission(
                "2026-11-25T14:22:05Z",
                "q1",
                subject="Fwd: ASUS router log",
                formats={"asus": 2},
                events_stored=2,
            ),
        ],
    ),
    "bounce": (
        Reporter(email="carol@example.org", tz="UTC"),
        [
            entry(
                "2026-11-25T02:00:00Z",
                "report-sent",
                "i-192.0.2.10",
                incident_id="i-192.0.2.10",
                src_ip="192.0.2.10",
                mailbox="abuse@old-isp.example",
            ),
            entry(
                "2026-11-25T02:05:00Z",
                "bounce",
                "i-192.0.2.10",
                incident_id="i-192.0.2.10",
                src_ip="192.0.2.10",
                mailbox="abuse@old-isp.example",
                reason="550 5.1.1 user unknown",
            ),
            entry(
                "2026-11-25T02:05:00Z",
                "rerouted",
                "i-192.0.2.10",
                incident_id="i-192.0.2.10",
                src_ip="192.0.2.10",
                **{"from": "abuse@old-isp.example", "to": "postmaster@old-isp.example"},
            ),
            entry(
                "2026-11-25T02:10:00Z",
                "report-sent",
                "i-192.0.2.10-2",
                incident_id="i-192.0.2.10",
                src_ip="192.0.2.10",
                mailbox="postmaster@old-isp.example",
                events=4,
            ),
            entry(
                "2026-11-25T03:00:00Z",
                "report-sent",
                "i-192.0.2.11",
                incident_id="i-192.0.2.11",
                src_ip="192.0.2.11",
                mailbox="security@gone.example",
            ),
            entry(
                "2026-11-25T03:30:00Z",
                "undeliverable",
                "i-192.0.2.11",
                incident_id="i-192.0.2.11",
                src_ip="192.0.2.11",
                reason="every mailbox of gone.example bounced",
            ),
        ],
    ),
    "review_hold": (
        Reporter(email="dave@example.net", tz="Asia/Kolkata", review=True),
        [
            submission(
                "2026-11-25T04:00:00Z",
                "r1",
                formats={"pf": 9},
                events_stored=9,
            ),
            entry(
                "2026-11-25T08:00:00Z",
                "held",
                "i-198.51.100.20",
                incident_id="i-198.51.100.20",
                src_ip="198.51.100.20",
                hold_until="2026-11-25T20:00:00Z",
            ),
            entry(
                "2026-11-25T08:00:00Z",
                "held",
                "i-198.51.100.21",
                incident_id="i-198.51.100.21",
                src_ip="198.51.100.21",
                hold_until="2026-11-25T20:00:00Z",
            ),
            entry(
                "2026-11-25T09:10:00Z",
                "command",
                "c2",
                command="CANCEL i-198.51.100.21",
                result="cancelled",
                incident_id="i-198.51.100.21",
            ),
        ],
    ),
    "clock_warning": (
        Reporter(email="erin@example.com", tz="Europe/London"),
        [
            submission(
                "2026-11-25T11:00:00Z",
                "w1",
                formats={"netfilter": 5},
                events_stored=5,
                clock_offset_seconds=3.0,
            ),
            submission(
                "2026-11-25T16:00:00Z",
                "w2",
                formats={"netfilter": 4},
                events_stored=4,
                clock_offset_seconds=-42.7,
            ),
        ],
    ),
    "stress": (
        Reporter(
            email="someone.with.a.long.name@a-very-long-domain-name.example", tz="Asia/Kathmandu"
        ),
        [
            submission(
                "2026-11-25T03:00:00Z",
                "x1",
                subject="Fwd: " + "very long subject about the firewall " * 6,
                formats={"netfilter": 40, "pf-filterlog": 2},
                events_stored=42,
                rejected={"bad-time": 1, "a-code-nobody-knows-yet": 2},
                rejected_examples={"bad-time": "x" * 300, "a-code-nobody-knows-yet": "y " * 90},
                clock_offset_seconds=3600.0,
            ),
            entry(
                "2026-11-25T04:00:00Z",
                "filtered",
                "i-v6",
                incident_id="i-v6",
                src_ip=LONG_V6,
                counts={"wrong-number": 3, "lb-proximity-probe": 1, "isp-dhcp": 1},
                examples={
                    "wrong-number": LONG_LINE,
                    "lb-proximity-probe": LONG_LINE.replace("DPT=65000", "DPT=53"),
                },
            ),
            entry(
                "2026-11-25T05:00:00Z",
                "report-sent",
                "i-v6b-1",
                incident_id="i-v6b",
                src_ip=LONG_V6,
                mailbox=LONG_MAILBOX,
                events=120,
            ),
            entry(
                "2026-11-25T05:01:00Z",
                "bounce",
                "i-v6b-1",
                incident_id="i-v6b",
                src_ip=LONG_V6,
                mailbox=LONG_MAILBOX,
                reason="smtp; 552 5.2.2 mailbox full " + "and a very long explanation " * 8,
            ),
            entry(
                "2026-11-25T05:01:00Z",
                "undeliverable",
                "i-v6b",
                incident_id="i-v6b",
                src_ip=LONG_V6,
                reason="every mailbox in the chain bounced",
            ),
            entry(
                "2026-11-25T06:00:00Z",
                "decision",
                "i-u",
                incident_id="i-u",
                src_ip="198.51.100.200",
                status="not-reported",
                code="uncorroborated",
                reason="not reported: only 1 spoofable event(s); corroborated-volume needs 3",
                events=1,
            ),
            entry(
                "2026-11-25T07:00:00Z",
                "added",
                "i-a",
                incident_id="i-a",
                src_ip="203.0.113.99",
                events=4,
            ),
            entry(
                "2026-11-25T08:00:00Z",
                "abuse-reply",
                "i-v6b-r",
                incident_id="i-v6b",
                **{"from": LONG_MAILBOX, "excerpt": "We looked into it. " * 20},
            ),
            entry(
                "2026-11-25T08:30:00Z",
                "opted-out",
                "i-o",
                incident_id="i-o",
                src_ip="192.0.2.77",
                events=6,
                optout_kind="network",
                optout_value="192.0.2.0/24",
                optout_by="abuse@net.example",
                optout_since="2026-11-01T00:00:00Z",
                reason="not reported: the network owner asked for no reports (network ...)",
            ),
            entry(
                "2026-11-25T09:00:00Z",
                "network-opt-out",
                "o1",
                network="2001:db8::/32",
                note="a kind this digest has no section for yet",
            ),
        ],
    ),
}


def render(name: str) -> EmailMessage:
    reporter, entries = DAYS[name]
    message = build_digest(reporter, START, END, entries, sender=SENDER)
    assert message is not None
    return message


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def flat(text: str) -> str:
    """The text with its wrapping undone: what a reader reads."""
    return " ".join(text.split())


def squeeze(text: str) -> str:
    return "".join(text.split())


def unescape(html: str) -> str:
    out = html.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return out.replace("&#x27;", "'").replace("&quot;", '"')


@pytest.mark.parametrize("name", sorted(DAYS))
def test_digest_matches_golden_files(name: str) -> None:
    text, html = parts(render(name))
    for suffix, actual in ((".txt", text), (".html", html)):
        path = GOLDEN / f"{name}{suffix}"
        if os.environ.get("PROBEWATCH_UPDATE_GOLDEN"):
            path.write_text(actual, encoding="utf-8")
        assert actual == path.read_text(encoding="utf-8"), f"{path} differs (see module doc)"


@pytest.mark.parametrize("name", sorted(DAYS))
def test_every_text_line_fits_78_columns(name: str) -> None:
    text, _ = parts(render(name))
    too_wide = [line for line in text.splitlines() if len(line) > 78]
    assert too_wide == []


@pytest.mark.parametrize("name", sorted(DAYS))
def test_text_and_html_show_every_cell_whole(name: str) -> None:
    """Nothing is cut: every cell of every section (an example line, a reply, an address)
    is in the text part, wrapped but whole, and in the HTML table."""
    reporter, entries = DAYS[name]
    facts = DigestFacts(ZoneInfo(reporter.tz), START, END, sorted(entries, key=entry_time))
    text, html = parts(render(name))
    for section in digest_sections(facts):
        assert section.title in text and section.title in unescape(html)
        for row in section.rows:
            if section.text_table:  # short rows shown as columns, one line each
                assert re.search("^" + r"\s+".join(map(re.escape, row)) + "$", text, re.M), row
            else:
                for column, cell in zip(section.columns, row, strict=True):
                    # A word longer than a line is split over two: compare without spaces.
                    assert squeeze(f"{column}: {cell}") in squeeze(text), (column, cell)
            for cell in row:
                assert f"<td>{cell}</td>" in unescape(html), cell


@pytest.mark.parametrize("name", sorted(DAYS))
def test_no_raw_reason_code_reaches_the_reader(name: str) -> None:
    text, _ = parts(render(name))
    codes = {*READER_TEXT, *READING_TEXT, *NOT_REPORTED_TEXT, *EMAIL_RESULT, *OPEN_TEXT}
    codes |= {"a-code-nobody-knows-yet", "corroborated-volume", "not-reported", "report-sent"}
    for code in sorted(c for c in codes if "-" in c):
        assert code not in text, code
    for jargon in ("spoofable", "corroborated", "bogon", "CGNAT", "ephemeral"):
        assert jargon.lower() not in text.lower(), jargon


def test_every_filter_reason_has_reader_text() -> None:
    assert set(REASONS) <= set(READER_TEXT)
    titles = [title for title, _ in READER_TEXT.values()]
    assert len(titles) == len(set(titles)), "titles must tell the reasons apart"
    assert all(sentence.endswith(".") for _, sentence in READER_TEXT.values())


def test_plain_text_comes_first_then_html() -> None:
    message = render("busy_day")
    assert message.get_content_type() == "multipart/alternative"
    first, second = list(message.iter_parts())
    assert (first.get_content_type(), second.get_content_type()) == ("text/plain", "text/html")
    _, html = parts(message)
    assert "<img" not in html and "http://" not in html and "https://" not in html
    assert "<table" in html and 'title="07:00 12"' in html  # tables and the chart


def test_summary_comes_first_and_says_what_was_sent_to_whom() -> None:
    text, _ = parts(render("busy_day"))
    lines = text.splitlines()
    titles = [
        line
        for line, under in zip(lines, lines[1:], strict=False)
        if under and under == "-" * len(line)
    ]
    assert titles[:3] == ["In short", "What needs you", "The day in numbers"]
    short = flat(text.split("What needs you")[0])
    assert "You forwarded 3 emails; 42 events in them were accepted." in short
    assert "abuse@isp-a.example (about 192.0.2.44)" in short
    assert "Nothing needs you." in text


def test_headers_address_the_reporter_and_forbid_auto_replies() -> None:
    message = render("busy_day")
    assert message["From"] == SENDER
    assert message["To"] == "alice@example.net"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Subject"] == "probewatch digest 2026-11-25: 42 events accepted, 2 reports sent"
    assert message["Message-ID"].endswith("@probes.example.org>")
    again = render("busy_day")
    assert again["Message-ID"] == message["Message-ID"]  # same period, same id


def number(text: str, what: str) -> int:
    match = re.search(rf"^{re.escape(what)}\s+(\d+)$", text, re.M)
    assert match, what
    return int(match.group(1))


def test_busy_day_accounts_for_every_event() -> None:
    text, _ = parts(render("busy_day"))
    assert number(text, "Events accepted") == 42
    assert number(text, "Lines that could not be read") == 3  # 2 damaged + 1 future
    assert number(text, "Events filtered out") == 3  # 3 crawler
    assert number(text, "Addresses still being watched") == 1
    assert number(text, "Addresses not reported") == 2
    words = flat(text)
    assert "Reason: Unreadable address Events: 2 Kept out: while reading your email" in words
    assert "Reason: A search engine Events: 3 Kept out: by a safety rule" in words
    assert "Address: 198.51.100.77 Where it stands: still watching" in words
    assert "Address: 192.0.2.99 Why: Too little to go on" in words
    assert "Address reported: 192.0.2.44 Sent to: abuse@isp-a.example" in words


def test_counts_are_true_when_a_report_bounced() -> None:
    message = render("bounce")
    text, _ = parts(message)
    # Three attempts SES accepted: one bounced and went on, one was the last mailbox left.
    assert number(text, "Reports sent") == 1
    assert number(text, "Reports that bounced") == 2
    assert message["Subject"].endswith(", 1 reports sent")
    words = flat(text)
    sent = flat(text.split("Reports sent\n------------")[1].split("Reports that bounced")[0])
    assert "postmaster@old-isp.example" in sent and "abuse@old-isp.example" not in sent
    assert "security@gone.example" not in sent
    assert (
        "Mailbox: abuse@old-isp.example Why: the mailbox does not exist (their server said: "
        "550 5.1.1 user unknown) What happened next: sent on to postmaster@old-isp.example"
    ) in words
    assert (
        "Mailbox: security@gone.example Why: every mailbox of gone.example bounced What "
        "happened next: no other address was left: this report could not be delivered"
    ) in words


def test_times_are_local_with_utc_beside_them() -> None:
    text, _ = parts(render("quiet_day"))
    assert "2026-11-25 09:22 EST (14:22 UTC)" in text
    text, _ = parts(render("review_hold"))
    assert "2026-11-26 01:30 IST (20:00 UTC)" in text  # hold_until in Kolkata


def test_review_lists_only_reports_still_held_with_how_to_cancel() -> None:
    text, _ = parts(render("review_hold"))
    assert "reply CANCEL i-198.51.100.20" in text
    assert "reply CANCEL i-198.51.100.21" not in text  # cancelled later that day
    assert number(text, "Reports waiting for your review") == 1
    needs = flat(text.split("What needs you")[1].split("The day in numbers")[0])
    assert "1 report wait" in needs or "1 reports wait" in needs


def test_clock_warning_says_what_happened_to_the_events() -> None:
    text, _ = parts(render("clock_warning"))
    words = flat(text)
    assert "about 43 seconds behind the true time" in words
    assert "Its 4 events were used with the times your firewall wrote on them" in words
    assert "about 43 seconds slow" in flat(text.split("The day in numbers")[0])
    text, _ = parts(render("busy_day"))  # 1.5 s off: fine
    assert "Clock warning" not in text


def test_clock_warning_shows_a_hold_when_the_record_has_one() -> None:
    reporter, entries = DAYS["clock_warning"]
    held = [dict(e, data={**e["data"], "events_held": 4}) for e in entries]
    message = build_digest(reporter, START, END, held, sender=SENDER)
    assert message is not None
    assert "4 events from it are held: not reported while the clock is wrong." in flat(
        parts(message)[0]
    )


def test_events_added_to_an_earlier_report_are_explained() -> None:
    words = flat(parts(render("stress"))[0])
    assert "4 events came from addresses already reported; no second report was sent" in words
    assert "Address: 203.0.113.99 Events added: 4" in words


def test_a_kind_without_a_section_still_reaches_the_reader_with_its_fields() -> None:
    words = flat(parts(render("stress"))[0])
    assert "What: Network opt out Details: network: 2001:db8::/32; note: a kind" in words


def test_nothing_to_say_sends_nothing_unless_asked() -> None:
    reporter = Reporter(email="quiet@example.net")
    digest_marker = {"time": "2026-11-25T00:00:00Z", "kind": "digest", "ident": "sent", "data": {}}
    assert build_digest(reporter, START, END, [], sender=SENDER) is None
    assert build_digest(reporter, START, END, [digest_marker], sender=SENDER) is None
    message = build_digest(reporter, START, END, [], sender=SENDER, send_empty=True)
    assert message is not None
    text, _ = parts(message)
    assert "No email arrived from you" in text


def test_a_decision_is_not_undone_by_a_filtered_line_logged_in_the_same_second() -> None:
    # read_log returns lines in key order: "decision" sorts before "filtered".
    same = "2026-11-25T10:00:00Z"
    entries = [
        entry(
            same,
            "decision",
            "i-1",
            incident_id="i-1",
            src_ip="192.0.2.1",
            status="not-reported",
            code="filtered",
            events=0,
        ),
        entry(
            same,
            "filtered",
            "i-1",
            incident_id="i-1",
            src_ip="192.0.2.1",
            counts={"special-purpose-source": 1},
            examples={},
        ),
    ]
    message = build_digest(Reporter(email="a@example.net"), START, END, entries, sender=SENDER)
    assert message is not None
    text, _ = parts(message)
    assert number(text, "Addresses still being watched") == 0
    assert number(text, "Addresses not reported") == 1


def test_an_opted_out_network_is_listed_as_not_reported_with_the_opt_out() -> None:
    words = flat(parts(render("stress"))[0])
    assert (
        "Address: 192.0.2.77 Why: The network responsible asked us to send no reports about "
        "its addresses. (opted out: network 192.0.2.0/24, since 2026-11-01 05:45 +0545 (00:00 UTC))"
    ) in words


def test_a_relayed_desk_reply_says_it_was_forwarded_already() -> None:
    words = flat(parts(render("busy_day"))[0])
    assert "Note: already forwarded to you when it arrived" in words
