"""One incident's record as text: its evidence, status and history.

Two readers: an abuse desk that replied LOOKUP (abuse_replies) and the operator
(`probewatch incidents show`). The desk's version carries only what its report carried
(parsed fields, masked destinations, reporters counted never named, mailboxes of the desks we
wrote to); the operator's adds the reporters, the contact chain and the stored decision.
"""

from __future__ import annotations

import textwrap
from typing import Any

from probewatch.model import Incident, parse_iso
from probewatch.report import clean_text, evidence_judgement, report_evidence_block

_STATUS_WORDS = {
    "open": "collecting events",
    "held": "waiting for the reporter's review",
    "queued": "about to be reported",
    "sent": "reported",
    "undeliverable": "not delivered: every mailbox refused it",
    "not-reported": "not reported",
    "cancelled": "cancelled by the reporter",
    "closed": "closed after 7 quiet days",
}


def incident_record_text(incident: Incident, history: Any, *, for_operator: bool) -> str:
    """`history` is a store.desks.IncidentHistory."""
    src = clean_text(incident.src_ip, 45)
    status = _STATUS_WORDS.get(incident.status, incident.status)
    lines = [
        f"Incident {clean_text(incident.incident_id, 40)}: source {src}",
        f"Status: {incident.status} ({status})",
        f"First seen: {_utc(incident.first_seen)} UTC",
        f"Last seen: {_utc(incident.last_seen)} UTC",
        f"Events: {max(incident.event_count, len(incident.evidence_lines))}, "
        f"independent reporters: {max(len(incident.reporters), 1)}",
        textwrap.fill(
            f"How the evidence was judged: {evidence_judgement(incident)}",
            76,
            subsequent_indent="  ",
            break_long_words=False,
        ),
    ]
    if for_operator:
        lines += [
            f"Decision: {incident.decision_code or '-'}: {clean_text(incident.decision, 300)}",
            "Reporters: " + (", ".join(incident.reporters) or "-"),
            "Contacts: "
            + (
                ", ".join(
                    f"{'>' if n == incident.contact_index else ''}{c.email} ({c.source})"
                    for n, c in enumerate(incident.contacts)
                )
                or "-"
            ),
        ]
        if incident.network:
            lines.append(f"Network: {clean_text(incident.network, 200)}")
    lines += ["", "Evidence (UTC; destinations masked):", report_evidence_block(incident), ""]
    lines += [
        "History (UTC):",
        *(f"  {when}  {what}" for when, what in _history(incident, history)),
    ]
    return "\n".join(lines) + "\n"


def incident_record_json(incident: Incident, history: Any) -> dict[str, Any]:
    from dataclasses import asdict

    from probewatch.model import iso_z

    data = asdict(incident)
    for key, value in list(data.items()):
        if hasattr(value, "isoformat"):
            data[key] = iso_z(value)
    data["evidence_judged"] = evidence_judgement(incident)
    data["send_attempts"] = history.attempts
    data["desk_replies"] = history.replies
    return data


def _history(incident: Incident, history: Any) -> list[tuple[str, str]]:
    events: list[tuple[str, str]] = [
        (_utc(incident.first_seen), "first event"),
        (_utc(incident.last_seen), "last event"),
    ]
    if incident.finalized_at:
        events.append((_utc(incident.finalized_at), f"decided: {incident.status}"))
    for attempt in history.attempts:
        mailbox = clean_text(attempt.get("mailbox") or "?", 120)
        state = str(attempt.get("status") or "?")
        when = parse_iso(str(attempt.get("finished_at") or attempt.get("claimed_at") or ""))
        word = {"sent": "report sent to", "rejected": "refused for"}.get(state, f"{state}:")
        events.append((_utc(when), f"{word} {mailbox} (attempt {attempt.get('attempt', '?')})"))
    for reply in history.replies:
        when = parse_iso(str(reply.get("received_at") or ""))
        what = reply.get("command") or "a reply"
        events.append(
            (_utc(when), f"{clean_text(what, 40)} from {clean_text(reply.get('from'), 120)}")
        )
    if incident.closed_at:
        events.append((_utc(incident.closed_at), "closed"))
    return sorted(events)


def _utc(moment: Any) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else "????-??-?? ??:??:??"
