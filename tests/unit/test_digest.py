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

import pytest

from probewatch.digest import build_digest
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


NETGEAR_PRIVATE = (
    "[DoS Attack: SYN/ACK Scan] from source: 192.168.1.5, port 443, "
    "Tuesday, November 25, 2026 08:01:55"
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
                rejected={"private-source": 2},
                rejected_examples={"private-source": NETGEAR_PRIVATE},
                clock_offset_seconds=-1.5,
            ),
            submission(
                "2026-11-25T09:41:00Z",
                "s2",
                subject="ufw log",
                formats={"netfilter": 30},
                events_stored=30,
                rejected={"future-time": 1},
                rejected_examples={
                    "future-time": "Nov 27 10:00:00 gw kernel: [UFW BLOCK] IN=eth0 SRC=203.0.113.9 DST=198.51.100.2 PROTO=TCP SPT=5555 DPT=23"
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
                reason="not reported: a single SYN from one reporter could be spoofed",
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


@pytest.mark.parametrize("name", sorted(DAYS))
def test_digest_matches_golden_files(name: str) -> None:
    text, html = parts(render(name))
    for suffix, actual in ((".txt", text), (".html", html)):
        path = GOLDEN / f"{name}{suffix}"
        if os.environ.get("PROBEWATCH_UPDATE_GOLDEN"):
            path.write_text(actual, encoding="utf-8")
        assert actual == path.read_text(encoding="utf-8"), f"{path} differs (see module doc)"


@pytest.mark.parametrize("name", sorted(DAYS))
def test_plain_text_comes_first_and_html_holds_the_same_cells(name: str) -> None:
    message = render(name)
    assert message.get_content_type() == "multipart/alternative"
    first, second = list(message.iter_parts())
    assert (first.get_content_type(), second.get_content_type()) == ("text/plain", "text/html")
    text, html = parts(message)
    assert "<img" not in html and "http://" not in html and "https://" not in html
    # Every table row of the text version appears, cell by cell, in the HTML version.
    unescaped = html.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    unescaped = unescaped.replace("&#x27;", "'").replace("&quot;", '"')
    for line in text.splitlines():
        if bar := re.fullmatch(r"(\d\d:\d\d)\s+#+ (\d+)", line):  # chart: a bar with a title
            assert f'title="{bar[1]} {bar[2]}"' in html
            continue
        for cell in re.split(r"\s{2,}", line.strip()):
            if cell and not set(cell) <= {"-"}:
                assert cell in unescaped, f"{cell!r} is in the text but not in the HTML"


def test_headers_address_the_reporter_and_forbid_auto_replies() -> None:
    message = render("busy_day")
    assert message["From"] == SENDER
    assert message["To"] == "alice@example.net"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Subject"] == "probewatch digest 2026-11-25: 42 events accepted, 2 reports sent"
    assert message["Message-ID"].endswith("@probes.example.org>")
    again = render("busy_day")
    assert again["Message-ID"] == message["Message-ID"]  # same period, same id


def test_busy_day_accounts_for_every_event() -> None:
    text, _ = parts(render("busy_day"))
    assert re.search(r"Events accepted\s+42\b", text)
    assert re.search(r"Lines refused while reading\s+3\b", text)  # 2 private + 1 future
    assert re.search(r"Events filtered out\s+3\b", text)  # 3 crawler
    assert re.search(r"reading\s+private-source\s+2\s+\[DoS Attack", text)
    assert re.search(r"filtering\s+web-crawler\s+3\s+IN=eth0", text)
    assert re.search(r"Incidents open\s+1\b", text)  # the crawler one was final: not reported
    assert re.search(r"i-198.51.100.77\s+198.51.100.77\s+collecting events", text)
    assert re.search(r"Incidents not reported\s+2\b", text)
    assert re.search(r"i-192.0.2.99\s+192.0.2.99\s+1\s+a single SYN from one reporter", text)
    assert re.search(r"192.0.2.44\s+abuse@isp-a.example\s+i-192.0.2.44\s+17", text)


def test_times_are_local_with_utc_beside_them() -> None:
    text, _ = parts(render("quiet_day"))
    assert "2026-11-25 09:22 EST (14:22 UTC)" in text
    text, _ = parts(render("review_hold"))
    assert "2026-11-26 01:30 IST (20:00 UTC)" in text  # hold_until in Kolkata


def test_review_lists_only_reports_still_held_with_how_to_cancel() -> None:
    text, _ = parts(render("review_hold"))
    assert "reply CANCEL i-198.51.100.20" in text
    assert "reply CANCEL i-198.51.100.21" not in text  # cancelled later that day
    assert re.search(r"Reports waiting for your review\s+1\b", text)


def test_clock_warning_only_beyond_five_seconds() -> None:
    text, _ = parts(render("clock_warning"))
    assert "about 43 seconds behind" in text
    text, _ = parts(render("busy_day"))  # 1.5 s off: fine
    assert "Clock warning" not in text


def test_bounce_shows_where_the_report_went_next() -> None:
    text, _ = parts(render("bounce"))
    assert re.search(r"abuse@old-isp.example\s+bounced \(550 5.1.1 user unknown\)", text)
    assert re.search(r"abuse@old-isp.example\s+sent on to postmaster@old-isp.example", text)
    assert "no mailbox left to try: not delivered (every mailbox of gone.example bounced)" in text
    assert re.search(r"Bounces\s+1\b", text)


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
            reason="not reported: private source",
            events=1,
        ),
        entry(
            same,
            "filtered",
            "i-1",
            incident_id="i-1",
            src_ip="192.0.2.1",
            counts={"private-source": 1},
            examples={},
        ),
    ]
    message = build_digest(Reporter(email="a@example.net"), START, END, entries, sender=SENDER)
    assert message is not None
    text, _ = parts(message)
    assert re.search(r"Incidents open\s+0\b", text)
    assert re.search(r"Incidents not reported\s+1\b", text)
