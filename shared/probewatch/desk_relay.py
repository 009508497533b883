"""Abuse-desk replies relayed to the reporters when they arrive, not only in the digest.

A short note per reporter: who answered (and whether that is a mailbox we wrote to), when,
and the cleaned excerpt abuse_replies kept (their own words, quotes dropped, ASCII, at most
400 characters). Never for a reporter who sent STOP, never for an
automatic acknowledgement (the digest still lists it), and at most RELAYS_PER_DAY notes per
reporter per day (store.desks.take_relay_slot); the digest lists every reply either way and
says which were relayed. A SES refusal is logged: a courtesy note never fails the email.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from probewatch.model import Incident
from probewatch.observability import logger
from probewatch.report import InvalidAddress, clean_text, validate_address
from probewatch.store.desks import OptOut, take_relay_slot
from probewatch.store.reporters import get_reporter

RELAYS_PER_DAY = 10
_SIGNATURE = "-- \nprobewatch (automatic note; reply HELP for your commands)"


def relay_reply(
    incident: Incident, data: dict[str, Any], settings: Any, now: datetime
) -> list[str]:
    """Relay one desk reply (the abuse-reply log data) to each reporter; returns who got it."""
    if data.get("automatic"):
        return []
    trusted = data.get("from_sent_mailbox")
    who = clean_text(data.get("from"), 120)
    origin = (
        "a mailbox our report went to"
        if trusted
        else "NOT a mailbox our report went to: treat it with care"
    )
    said = clean_text(data.get("excerpt") or "(no text)", 420)
    body = "\n".join(
        [
            _wrap(
                f"The abuse desk for {clean_text(incident.src_ip, 45)} replied to the report "
                f"about incident {clean_text(incident.incident_id, 40)}."
            ),
            "",
            f"  From:       {who}",
            f"              ({origin})",
            f"  Received:   {now.strftime('%Y-%m-%d %H:%M:%S UTC')}",
            textwrap.fill(
                said, 72, initial_indent="  They wrote: ", subsequent_indent=" " * 14,
                break_long_words=False, break_on_hyphens=False,
            ),
            "",
            "Nothing to do on your side; the reply is also in your next digest.",
        ]
    )  # fmt: skip
    subject = f"Abuse desk replied: {clean_text(incident.src_ip, 45)} [{incident.incident_id}]"
    return _relay(incident, subject, body, settings, now)


def relay_opt_out(
    incident: Incident, optouts: Sequence[OptOut], settings: Any, now: datetime
) -> list[str]:
    covered = ", ".join(o.value for o in optouts) or "its mailbox"
    body = _wrap(
        f"The network owner of {clean_text(incident.src_ip, 45)} (incident "
        f"{clean_text(incident.incident_id, 40)}) asked for no more reports. probewatch will "
        f"not report sources in {covered} again; your digest says so when it skips one."
    )
    subject = f"Network opted out: {clean_text(incident.src_ip, 45)} [{incident.incident_id}]"
    return _relay(incident, subject, body, settings, now)


def _wrap(text: str) -> str:
    return textwrap.fill(text, 72, break_long_words=False, break_on_hyphens=False)


def _relay(incident: Incident, subject: str, body: str, settings: Any, now: datetime) -> list[str]:
    from probewatch.reporter_mail import send_raw

    relayed = []
    for email in incident.reporters:
        reporter = get_reporter(settings.table_name, email)
        if reporter is None or reporter.status == "stopped":
            continue
        try:
            to = validate_address(reporter.email)
        except InvalidAddress:
            continue
        if not take_relay_slot(settings.table_name, to, now.date(), RELAYS_PER_DAY):
            logger.info("relay: daily limit reached", extra={"incident_id": incident.incident_id})
            continue
        note = EmailMessage()
        note["From"] = settings.sender_address
        note["To"] = to
        note["Subject"] = subject
        note["Date"] = format_datetime(now)
        note["Message-ID"] = make_msgid(domain=settings.sender_address.rpartition("@")[2] or None)
        note["Auto-Submitted"] = "auto-generated"
        note["X-Probewatch-Incident"] = incident.incident_id
        note.set_content(body + "\n\n" + _SIGNATURE + "\n")
        try:
            send_raw(note)
        except (ClientError, BotoCoreError) as exc:
            logger.warning("relay not sent", extra={"error": str(exc)})
            continue
        relayed.append(to.lower())
    return relayed
