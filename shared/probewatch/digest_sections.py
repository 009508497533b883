"""The digest's sections: one small function per topic, from the facts to what a reader sees.

Each function takes the DigestFacts and returns a Section (or None when it has nothing to
say): a title, sentences, and a table whose rows the text part shows as short labelled lines
and the HTML part as a table. A section may also add sentences to the "In short" summary at
the top (`in_short`) and to "What needs you" (`needs_you`).

Sections about incidents (reports sent, bounced, not reported...) are in digest_incidents;
the order and the log kinds each explains in digest_topics (where a new section is added).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from probewatch.digest_facts import DigestFacts, data, text
from probewatch.digest_words import (
    OPEN_TEXT,
    duration,
    email_result,
    plural,
    reason_meaning,
    reason_title,
    were,
)

# How the text part names the two stages an event can be kept out at (demo tests read them).
STAGE_TEXT = {"reading": "while reading your email", "filtering": "by a safety rule"}
NUMBERS = "The day in numbers"


@dataclass
class Section:
    title: str
    notes: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    in_short: list[str] = field(default_factory=list)
    needs_you: list[str] = field(default_factory=list)
    text_table: bool = False  # a narrow table the text part may show as columns
    bullets: bool = False  # notes are separate points, not paragraphs
    short_rank: int = 50  # where its `in_short` lines go in the summary (lower: earlier)


@dataclass(frozen=True)
class Chart:
    """Accepted events per hour of the reporter's day (hour label, count)."""

    title: str
    bars: list[tuple[str, int]]


def emails(f: DigestFacts) -> Section | None:
    subs = f.submissions
    if not subs:
        return None
    rows = []
    unused = 0
    for entry in subs:
        d = data(entry)
        if d.get("status") == "accepted":
            result = f"{plural(int(d.get('events_stored') or 0), 'event')} accepted"
        else:
            unused += d.get("reason") not in ("command", "abuse-reply")
            result = email_result(d.get("reason"), d.get("status"))
        kinds = ", ".join(f"{n} {k}" for k, n in sorted((d.get("formats") or {}).items()))
        rows.append([f.when(entry["time"]), text(d.get("subject")), result, kinds or "-"])
    short = f"You forwarded {plural(len(subs), 'email')}; {plural(f.accepted, 'event')} in "
    short += f"them {were(f.accepted)} accepted."
    if unused:
        short += f" {plural(unused, 'email')} gave nothing to report (see Emails received)."
    return Section(
        "Emails received",
        columns=["Received", "Subject", "Result", "Alerts by log type"],
        rows=rows,
        in_short=[short],
        short_rank=0,
    )


def numbers(f: DigestFacts) -> Section:
    status = [s for s, _ in f.status().values()]
    rows: list[tuple[str, int]] = [
        ("Emails received", len(f.submissions)),
        ("Events accepted", f.accepted),
        ("Lines that could not be read", f.dropped_total("reading")),
        ("Events filtered out", f.dropped_total("filtering")),
        ("Reports sent", len(f.sent())),
        ("Reports that bounced", sum(a.bounced for a in f.attempts())),
        ("Reports waiting for your review", len(f.waiting_for_review())),
        ("Addresses still being watched", sum(s in OPEN_TEXT for s in status)),
        ("Addresses not reported", status.count("not-reported")),
        ("Replies from abuse desks", len(f.of_kind("abuse-reply"))),
    ]
    return Section(
        NUMBERS,
        columns=["What", "Count"],
        rows=[[what, str(n)] for what, n in rows],
        text_table=True,
    )


def clock(f: DigestFacts) -> Section | None:
    problems = f.clock_problems()
    if not problems:
        return None
    notes = []
    for offset, entry in problems:
        d = data(entry)
        way = "ahead of" if offset > 0 else "behind"
        notes.append(
            f"Your firewall's clock was about {duration(offset)} {way} the true time "
            f"in the email we received {f.when(entry['time'])}. {_skew_outcome(d)}"
        )
    notes.append(
        "Abuse desks find the person behind an address by the time, so a clock that is off "
        "by more than 5 seconds can point them at the wrong person. Please turn on automatic "
        "time (it may be called NTP or internet time) in your router or firewall settings."
    )
    worst = max(problems, key=lambda p: abs(p[0]))[0]
    way = "fast" if worst > 0 else "slow"
    return Section(
        "Clock warning",
        notes=notes,
        needs_you=[
            f"Your firewall's clock is about {duration(worst)} {way}: please turn on "
            "automatic time in its settings (see Clock warning)."
        ],
    )


def _skew_outcome(d: dict[str, Any]) -> str:
    """What became of the events of an email with a wrong clock: what the record says."""
    if d.get("clock_outcome"):
        return str(d["clock_outcome"])
    held = d.get("clock_held") or d.get("events_held") or d.get("held_events")
    if held:
        return (
            f"{plural(int(held), 'event')} from it are held: not reported while the clock is wrong."
        )
    n = int(d.get("events_stored") or 0)
    if not n:
        return "No events from that email were used."
    return (
        f"Its {plural(n, 'event')} were used with the times your firewall wrote on them, so "
        "a report about them may show times that are off by that much."
    )


def zone_unknown(f: DigestFacts) -> Section | None:
    """Events held because their times carry no zone and the reporter's zone is not known."""
    rows = [
        [
            f.when(e["time"]),
            text(data(e).get("subject")),
            str(data(e)["zone_held"]),
            text(data(e).get("zone_suggestion")),
        ]
        for e in f.submissions
        if int(data(e).get("zone_held") or 0)
    ]
    if not rows:
        return None
    held = sum(int(r[2]) for r in rows)
    return Section(
        "Held: your time zone is unknown",
        notes=[
            "Your firewall wrote these times without a time zone, and we do not know yours, "
            "so the exact time is not known. A report with a wrong time can blame the wrong "
            "person, so they are held and not reported. Reply with SETTINGS tz=<your zone> "
            "(for example SETTINGS tz=Europe/Berlin) so later alerts can be used."
        ],
        columns=["Received", "Subject", "Events held", "Zone it might be"],
        rows=rows,
        needs_you=[
            f"{plural(held, 'event')} {were(held)} held because we do not know your time "
            "zone: reply SETTINGS tz=<your zone> (see Held: your time zone is unknown)."
        ],
    )


def dropped(f: DigestFacts) -> Section | None:
    found = f.dropped()
    if not found:
        return None
    rows = [
        [
            reason_title(d.code),
            str(d.events),
            STAGE_TEXT.get(d.stage, d.stage),
            reason_meaning(d.code),
            " ".join(d.example.split()) or "-",
        ]
        for d in found
    ]
    total = sum(d.events for d in found)
    return Section(
        "Events not reported",
        notes=[
            "A report about these could blame someone who did nothing wrong, so they were "
            "kept out. One line of yours is shown for each reason."
        ],
        columns=["Reason", "Events", "Kept out", "What it means", "Example"],
        rows=rows,
        in_short=[
            f"{plural(total, 'event')} {were(total)} kept out of reports to protect people "
            "who did nothing wrong (see Events not reported)."
        ],
    )


def abuse_replies(f: DigestFacts) -> Section | None:
    lines = f.of_kind("abuse-reply")
    if not lines:
        return None
    rows = []
    for e in lines:
        d = data(e)
        notes = []
        if d.get("automatic"):
            notes.append("an automatic answer")
        if d.get("from_sent_mailbox") is False and d.get("from_contacted_domain") is False:
            notes.append("not from a mailbox we wrote to: it may not be the network's own")
        if d.get("relayed_to"):
            notes.append("already forwarded to you when it arrived")
        rows.append(
            [
                text(d.get("from")),
                text(d.get("excerpt")),
                "; ".join(notes) or "-",
                f.when(e["time"]),
                text(d.get("incident_id")),
            ]
        )
    return Section(
        "Replies from abuse desks",
        columns=["From", "They wrote", "Note", "Received", "Incident"],
        rows=rows,
        in_short=[
            f"{plural(len(rows), 'reply', 'replies')} came from abuse desks (see Replies "
            "from abuse desks)."
        ],
    )


def commands(f: DigestFacts) -> Section | None:
    lines = f.of_kind("command")
    if not lines:
        return None
    return Section(
        "Your commands",
        columns=["Command", "Result", "Received"],
        rows=[
            [text(data(e).get("command")), text(data(e).get("result")), f.when(e["time"])]
            for e in lines
        ],
    )
