"""The confirmation digest: what happened to everything a reporter forwarded. Pure: no AWS.

`build_digest` reads the reporter's log lines for the period (store.reporters.read_log) and
renders one message for a reader who knows nothing of networking: a short summary first
("In short": what was sent, to whom; "What needs you"), then the details. The plain-text
part keeps every line within 78 columns; the HTML alternative shows the same sections as
tables plus a chart. Both come from the same sections, so they cannot disagree.

Modules: digest_facts (log lines -> facts), digest_sections (facts -> sections, one function
per topic), digest_words (codes -> plain words), digest_text / digest_render (text / HTML).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any
from zoneinfo import ZoneInfo

from probewatch.digest_facts import IGNORED_KINDS, DigestFacts, entry_time
from probewatch.digest_render import render_html
from probewatch.digest_sections import Chart, Section
from probewatch.digest_text import render_text
from probewatch.digest_topics import TOPICS, other_news
from probewatch.digest_words import format_time
from probewatch.model import Reporter

FOOTER = [
    "--",
    "Reply with HELP for the commands you can send (PAUSE, RESUME, SETTINGS, CANCEL, STOP).",
]


def build_digest(
    reporter: Reporter,
    day_start: datetime,
    day_end: datetime,
    entries: list[dict[str, Any]],
    *,
    sender: str | None = None,
    send_empty: bool = False,
) -> EmailMessage | None:
    """The digest for [day_start, day_end), or None when there is nothing to say.

    `sender` becomes From: (leave it out only to render, not to send). With `send_empty`, a quiet
    period still gets a short message saying so.
    """
    zone = ZoneInfo(reporter.tz)
    entries = sorted(
        (e for e in entries if isinstance(e, dict) and e.get("kind") not in IGNORED_KINDS),
        key=entry_time,
    )
    entries = [e for e in entries if isinstance(e.get("kind"), str)]
    if not entries and not send_empty:
        return None
    facts = DigestFacts(zone, day_start, day_end, entries)
    sections = digest_sections(facts)
    intro = _intro(reporter, day_start, day_end, zone)
    chart = Chart("Events accepted by hour received (your time)", facts.per_hour())
    chart_or_none = chart if facts.accepted else None

    message = EmailMessage()
    if sender:
        message["From"] = sender
    message["To"] = reporter.email
    local_day = (day_end - timedelta(seconds=1)).astimezone(zone).date().isoformat()
    message["Subject"] = (
        f"probewatch digest {local_day}: {facts.accepted} events accepted, "
        f"{len(facts.sent())} reports sent"
    )
    message["Date"] = format_datetime(day_end.astimezone(UTC))
    domain = sender.rpartition("@")[2] if sender else "probewatch.invalid"
    token = hashlib.sha256(f"{reporter.email}\0{day_end.isoformat()}".encode()).hexdigest()[:20]
    message["Message-ID"] = f"<digest.{token}@{domain}>"
    # RFC 3834: machines must not answer this, and we never answer machines either.
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    message.set_content(render_text(intro, sections, chart_or_none, FOOTER), cte="quoted-printable")
    message.add_alternative(
        render_html(intro, sections, chart_or_none, FOOTER), subtype="html", cte="quoted-printable"
    )
    return message


def digest_sections(facts: DigestFacts) -> list[Section]:
    """ "In short" and "What needs you" first, then every topic that has something to say."""
    if not facts.entries:
        return [
            Section(
                "In short",
                notes=["No email arrived from you and nothing happened to your reports."],
            )
        ]
    details = [s for s in (topic.build(facts) for topic in TOPICS) if s is not None]
    other = other_news(facts, IGNORED_KINDS)
    if other is not None:
        details.append(other)
    ranked = sorted(details, key=lambda s: s.short_rank)  # stable: TOPICS order within a rank
    short = [line for s in ranked for line in s.in_short]
    needs = [line for s in details for line in s.needs_you] or ["Nothing needs you."]
    head = [
        Section("In short", notes=short, bullets=True),
        Section("What needs you", notes=needs, bullets=True),
    ]
    return head + [s for s in details if s.rows or s.notes]


def _intro(reporter: Reporter, start: datetime, end: datetime, zone: ZoneInfo) -> list[str]:
    when = (
        "Times are in UTC."
        if start.astimezone(zone).tzname() == "UTC"
        else f"Times are in your time zone, {reporter.tz}, with UTC in brackets."
    )
    return [
        f"What probewatch did with the firewall alerts that {reporter.email} forwarded.",
        f"From {format_time(start, zone)} to {format_time(end, zone)}.",
        when,
    ]
