"""Tell a reporter with review on, at once, that a report waits for them (issue 12).

Sent when the aggregate finalizes an incident into the review hold: the report's text as the
abuse desk would get it, when it goes out, and how to CANCEL it. At most
`review_notices_per_day` per reporter per day, counted apart from the replies to what they
send (store.reporters.take_reply_slot, counter "notices"); beyond that the digest lists the
held reports. A failed send never fails the run: the digest still lists it.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from botocore.exceptions import BotoCoreError, ClientError

from probewatch.model import Incident, Reporter, iso_z
from probewatch.observability import logger
from probewatch.report import report_text
from probewatch.reporter_mail import send_raw
from probewatch.store.reporters import take_reply_slot

NOTICES_PER_DAY = 20


def notify_reviewers(
    table_name: str,
    sender: str | None,
    incident: Incident,
    reporters: dict[str, Reporter],
    now: datetime,
    limit: int = NOTICES_PER_DAY,
) -> list[str]:
    """Mail each reviewing reporter of the held incident; returns who was told."""
    if not sender:
        logger.warning("review notice: no sender address configured; the digest will tell")
        return []
    told = []
    profiles = [reporters.get(email) or Reporter(email=email) for email in incident.reporters]
    for email in incident.reporters:
        reporter = reporters.get(email)
        if reporter is None or not reporter.review:
            continue
        if not take_reply_slot(table_name, email, now.date(), limit, counter="notices"):
            logger.info("review notice: daily limit reached", extra={"reporter": email})
            continue
        try:
            send_raw(_notice(sender, email, incident, profiles, now))
        except (ClientError, BotoCoreError) as exc:
            logger.warning("review notice not sent", extra={"reporter": email, "error": str(exc)})
            continue
        told.append(email)
    return told


def _notice(
    sender: str, to: str, incident: Incident, profiles: list[Reporter], now: datetime
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = f"Report waiting for your review: {incident.incident_id}"
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"
    mailbox = incident.contacts[0].email if incident.contacts else "(the network's abuse desk)"
    body = [
        f"A report about {incident.src_ip} rests on your events and waits for your review.",
        f"It goes to {mailbox} at {iso_z(incident.hold_until)} unless you cancel it.",
        "",
        "To CANCEL it, reply to this email with this line as the first line:",
        f"  CANCEL {incident.incident_id}",
        "",
        "The report as it would be sent:",
        "-" * 72,
        report_text(incident, profiles).rstrip(),
        "-" * 72,
    ]
    message.set_content("\n".join(body) + "\n")
    return message
