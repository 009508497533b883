"""The digest's sections about incidents: reports waiting for review, sent, bounced, still
open, added to an earlier report, not reported. See probewatch.digest_sections."""

from __future__ import annotations

from typing import Any

from probewatch.digest_facts import DigestFacts, data, text
from probewatch.digest_sections import Section
from probewatch.digest_words import (
    OPEN_TEXT,
    are,
    not_reported_text,
    plural,
    were,
)


def review(f: DigestFacts) -> Section | None:
    waiting = f.waiting_for_review()
    if not waiting:
        return None
    rows = [
        [
            text(d.get("src_ip")),
            f.when(d.get("hold_until")),
            f"reply CANCEL {text(d.get('incident_id'))}",
            text(d.get("incident_id")),
        ]
        for d in waiting
    ]
    return Section(
        "Reports waiting for your review",
        notes=[
            "You asked to see reports before they go out. Each one below is sent after the "
            "time shown unless you reply to this email with the line shown under To stop it."
        ],
        columns=["Address to report", "Will be sent after", "To stop it", "Incident"],
        rows=rows,
        needs_you=[
            f"{plural(len(waiting), 'report')} wait for your review; reply CANCEL and the "
            "incident number to stop one (see Reports waiting for your review)."
        ],
    )


def reports_sent(f: DigestFacts) -> Section | None:
    sent = f.sent()
    short = ["No report was sent."]
    if sent:
        names = [f"{a.mailbox} (about {a.src_ip})" for a in sent[:3]]
        more = f" and {len(sent) - 3} more" if len(sent) > 3 else ""
        short = [
            f"{plural(len(sent), 'report')} went to the networks the probes came from: "
            f"{', '.join(names)}{more}."
        ]
    if not sent:
        return Section("Reports sent", in_short=short, short_rank=10)
    return Section(
        "Reports sent",
        notes=[
            "Each report went to the abuse desk of the network that the address belongs to. "
            "A report can also hold events that other probewatch users saw from the same "
            "address, so it may count more events than you sent."
        ],
        columns=["Address reported", "Sent to", "Sent", "Events in the report", "Incident"],
        rows=[[a.src_ip, a.mailbox, f.when(a.when), a.events, a.incident] for a in sent],
        in_short=short,
        short_rank=10,
    )


def bounces(f: DigestFacts) -> Section | None:
    lines = f.of_kind("bounce", "rerouted", "undeliverable")
    if not lines:
        return None
    rows, used = [], set()
    for index, entry in enumerate(lines):
        d, kind = data(entry), entry["kind"]
        if index in used or kind != "bounce":
            continue
        mailbox = str(d.get("mailbox") or "")
        next_step = "we are still looking for another address"
        for later, other in enumerate(lines[index + 1 :], start=index + 1):
            o = data(other)
            if later in used or o.get("incident_id") != d.get("incident_id"):
                continue
            if other["kind"] == "rerouted" and str(o.get("from") or "") == mailbox:
                next_step = f"sent on to {text(o.get('to') or o.get('next_mailbox'))}"
            elif other["kind"] == "undeliverable":
                next_step = "no other address was left: this report could not be delivered"
            else:
                continue
            used.add(later)
            break
        if d.get("next_mailbox"):
            next_step = f"sent on to {text(d['next_mailbox'])}"
        rows.append(_bounce_row(f, entry, mailbox, _bounce_why(d.get("reason")), next_step))
    for index, entry in enumerate(lines):  # what happened to reports that bounced earlier
        d, kind = data(entry), entry["kind"]
        if index in used or kind == "bounce":
            continue
        if kind == "rerouted":
            mailbox, step = str(d.get("from") or d.get("mailbox") or ""), "sent on to "
            step += text(d.get("to") or d.get("next_mailbox"))
        else:
            mailbox = str(d.get("mailbox") or "")
            step = "no other address was left: this report could not be delivered"
        why = "an earlier bounce" if kind == "rerouted" else text(d.get("reason"))
        if kind == "undeliverable" and not mailbox:
            mailbox = next(
                (a.mailbox for a in reversed(f.attempts()) if a.incident == d.get("incident_id")),
                "",
            )
        rows.append(_bounce_row(f, entry, mailbox, why, step))
    bounced = sum(1 for e in lines if e["kind"] == "bounce")
    lost = sum(1 for e in lines if e["kind"] == "undeliverable")
    short = []
    if bounced:
        short.append(
            f"{plural(bounced, 'report')} bounced (the mailbox refused it); each was sent on "
            "to the next address where there was one. Bounced reports are not counted as sent."
        )
    if lost:
        short.append(f"{plural(lost, 'report')} could not be delivered to anyone.")
    return Section(
        "Reports that bounced",
        columns=["Address reported", "Mailbox", "Why", "What happened next", "When", "Incident"],
        rows=rows,
        in_short=short,
        short_rank=20,
    )


def _bounce_row(
    f: DigestFacts, entry: dict[str, Any], mailbox: str, why: str, step: str
) -> list[str]:
    d = data(entry)
    return [
        text(d.get("src_ip")),
        text(mailbox),
        why,
        step,
        f.when(entry["time"]),
        text(d.get("incident_id")),
    ]


def _bounce_why(reason: Any) -> str:
    said = text(reason)
    if said == "-":
        return "the mailbox refused it"
    lowered = said.lower()
    if "5.1.1" in lowered or "unknown" in lowered or "no such" in lowered:
        return f"the mailbox does not exist (their server said: {said})"
    return f"the mailbox refused it (their server said: {said})"


def still_open(f: DigestFacts) -> Section | None:
    rows = [
        [src, OPEN_TEXT[status], incident]
        for incident, (status, src) in sorted(f.status().items())
        if status in OPEN_TEXT
    ]
    if not rows:
        return None
    return Section(
        "Still being watched",
        notes=["No decision yet; a later digest says what became of these."],
        columns=["Address", "Where it stands", "Incident"],
        rows=rows,
        in_short=[
            f"{plural(len(rows), 'address', 'addresses')} {are(len(rows))} still being "
            "watched; a later digest says what became of them."
        ],
    )


def added(f: DigestFacts) -> Section | None:
    lines = f.of_kind("added")
    if not lines:
        return None
    rows = [
        [
            text(data(e).get("src_ip")),
            text(data(e).get("events")),
            f.when(e["time"]),
            text(data(e).get("incident_id")),
        ]
        for e in lines
    ]
    total = sum(int(data(e).get("events") or 0) for e in lines)
    return Section(
        "Events added to an earlier report",
        notes=[
            "These came from addresses that were already reported (or about to be) in the "
            "last 72 hours. They were added to that incident and no second report was sent: "
            "one report per address every 72 hours is what abuse desks ask for."
        ],
        columns=["Address", "Events added", "Added", "Incident"],
        rows=rows,
        in_short=[
            f"{plural(total, 'event')} came from addresses already reported; no second "
            "report was sent (see Events added to an earlier report)."
        ],
    )


def not_reported(f: DigestFacts) -> Section | None:
    decisions = f.decisions()
    rows = []
    for incident, (status, src) in sorted(f.status().items()):
        if status == "not-reported":
            d = decisions.get(incident, {})
            events = text(d.get("events"))
            if events == "0" and d.get("code") == "filtered":
                events = "none left after the safety rules"
            why = not_reported_text(d.get("code"))
            if d.get("optout_value"):
                since = f", since {f.when(d.get('optout_since'))}" if d.get("optout_since") else ""
                why += (
                    f" (opted out: {text(d.get('optout_kind'))} {text(d['optout_value'])}{since})"
                )
            rows.append([src, why, events, incident])
    if not rows:
        return None
    return Section(
        "Addresses not reported",
        notes=["probewatch decided that reporting these could be wrong, for the reason shown."],
        columns=["Address", "Why", "Events", "Incident"],
        rows=rows,
        in_short=[
            f"{plural(len(rows), 'address', 'addresses')} {were(len(rows))} not reported "
            "(see Addresses not reported)."
        ],
    )
