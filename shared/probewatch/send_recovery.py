"""Finishing a send whose function died after SES accepted the report.

The send function claims an attempt ("sending") before calling SES and records the result
after. If it dies in between (timeout, crash, a DynamoDB error after SES said yes), a
redelivered message finds the claim and rightly sends nothing, because it cannot know whether
SES took the report; but then the incident stayed "queued" for ever: the reporter's digest
never said the report went out, and a bounce for it found no sent report to re-route.

SES can know: every event it publishes for the message (Send, Delivery, Bounce, Complaint)
carries the incident/attempt tags the send set. The feedback function calls
`settle_accepted_attempt` first, so the attempt is recorded as sent exactly as a finished send
would have recorded it (the same idempotent writes), and the event is then handled as usual.
"""

from __future__ import annotations

from probewatch.clock import utcnow
from probewatch.model import parse_iso
from probewatch.observability import logger
from probewatch.sending import _record_success
from probewatch.store import mailboxes
from probewatch.store.incidents import get_incident


def settle_accepted_attempt(
    table_name: str, incident_id: str, attempt: int, message_id: str
) -> bool:
    """Record attempt `attempt` as sent with SES's `message_id` if its send never finished.

    Only while the incident still waits on that attempt's mailbox (an old attempt's event
    after a bounce moved the report on must not undo the move). True when it recorded.
    """
    record = mailboxes.get_send_attempt(table_name, incident_id, attempt)
    if record is None or record.get("status") not in ("sending", "sent"):
        return False
    incident = get_incident(table_name, incident_id)
    if incident is None or incident.status != "queued" or incident.message_id == message_id:
        return False
    if not 0 <= incident.contact_index < len(incident.contacts):
        return False
    mailbox = str(record.get("mailbox") or "")
    if mailbox != incident.contacts[incident.contact_index].email.lower():
        return False
    if record.get("status") == "sent" and record.get("message_id") not in (None, message_id):
        return False  # that attempt finished with another message
    when = parse_iso(record.get("claimed_at")) or utcnow()
    if record.get("status") == "sending":
        mailboxes.finish_send_attempt(
            table_name, incident_id, attempt, "sent", when, message_id=message_id
        )
    _record_success(table_name, incident_id, attempt, mailbox, message_id, when)
    logger.warning(
        "send: finished an attempt SES accepted but the send function never recorded",
        extra={"incident_id": incident_id, "attempt": attempt, "message_id": message_id},
    )
    return True
