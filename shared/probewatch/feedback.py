"""What SES tells us after a report left: bounces, complaints, deliveries (via SNS).

Permanent bounce: the mailbox is marked bad and the report moves to the next mailbox in the
chain (ranked contacts, then RFC 2142 fallbacks) as a new send attempt; when the chain is
exhausted the incident becomes "undeliverable". Transient bounce: nothing (SES retried).
Complaint: the mailbox is suppressed, and the network and domain of the report it complained
about are opted out (probewatch.optouts: a complaint covers the network owner, so the next
report must not go to security@ of the same network). Delivery: recorded on the mailbox.

Notifications arrive at least once: a repeated bounce finds the incident already moved on
and changes nothing; a repeated re-route is absorbed by the send attempt's claim.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from probewatch.config import FeedbackSettings
from probewatch.mailbox_chain import extend_with_fallbacks
from probewatch.model import Incident
from probewatch.observability import logger, metrics
from probewatch.optouts import requested_optouts
from probewatch.report import clean_text
from probewatch.send_queue import enqueue_send
from probewatch.send_recovery import settle_accepted_attempt
from probewatch.sending import log_for_reporters, update_incident
from probewatch.store import desks, mailboxes
from probewatch.store.incidents import get_incident

EXHAUSTED = "every mailbox in the chain bounced"


def handle_sns_message(message: str, settings: FeedbackSettings, now: datetime) -> str:
    """One SNS record's Message (SES event JSON); returns what was done, for logs and tests.
    A message that is not JSON or not an SES event is logged and ignored."""
    try:
        event = json.loads(message)
    except json.JSONDecodeError:
        logger.warning("feedback: message is not JSON")
        return "ignored"
    if not isinstance(event, dict):
        return "ignored"
    return handle_ses_event(event, settings, now)


def handle_ses_event(event: dict[str, Any], settings: FeedbackSettings, now: datetime) -> str:
    # Configuration-set events say "eventType"; identity notifications say "notificationType".
    kind = event.get("eventType") or event.get("notificationType") or ""
    mail = event.get("mail") or {}
    if kind in ("Send", "Delivery", "Bounce", "Complaint"):
        _settle(settings.table_name, mail)  # SES took it: finish a send that died after SES
    if kind == "Bounce":
        bounce = event.get("bounce") or {}
        if bounce.get("bounceType") != "Permanent":
            return "transient-bounce"
        return _permanent_bounce(bounce, mail, settings, now)
    if kind == "Complaint":
        complaint = event.get("complaint") or {}
        reason = clean_text(complaint.get("complaintFeedbackType") or "complaint", 60)
        complainers = _addresses(complaint.get("complainedRecipients"))
        for email in complainers:
            mailboxes.suppress(
                settings.table_name, email, now, f"complaint: {reason}", by="complaint"
            )
        metrics.add_metric(name="ReportComplaints", unit="Count", value=1)
        _opt_out_complainers(settings.table_name, mail, complainers, f"complaint: {reason}", now)
        return "suppressed"
    if kind == "Delivery":
        delivery = event.get("delivery") or {}
        for email in delivery.get("recipients") or []:
            if isinstance(email, str):
                mailboxes.record_delivery(settings.table_name, email, now)
        return "delivered"
    if kind == "Reject":
        # SES refused the message itself (it found a virus): a bug of ours, for the operator.
        logger.error("feedback: SES rejected a report", extra={"message_id": mail.get("messageId")})
        metrics.add_metric(name="ReportsRejected", unit="Count", value=1)
        return "rejected"
    return "ignored"


def _opt_out_complainers(
    table: str, mail: dict[str, Any], complainers: list[str], reason: str, now: datetime
) -> None:
    """Opt out the network and domain the complained-about report was for."""
    sent = _sent_message(table, mail)
    incident = get_incident(table, sent[0]) if sent else None
    if incident is None:
        logger.warning("feedback: complaint for a report we cannot place; mailbox only")
        return
    for email in complainers:
        for optout in requested_optouts(incident, email, reason, "complaint", now):
            desks.put_optout(table, optout)


def _permanent_bounce(
    bounce: dict[str, Any], mail: dict[str, Any], settings: FeedbackSettings, now: datetime
) -> str:
    table = settings.table_name
    bounced = _addresses(bounce.get("bouncedRecipients"))
    reason = _bounce_reason(bounce)
    for email in bounced:
        mailboxes.mark_bad(table, email, now, reason)
    metrics.add_metric(name="ReportBounces", unit="Count", value=1)

    sent = _sent_message(table, mail)
    if sent is None:
        logger.warning(
            "feedback: bounce for a message we cannot place",
            extra={"message_id": mail.get("messageId")},
        )
        return "unknown-message"
    incident_id, attempt = sent
    incident = get_incident(table, incident_id)
    if incident is None:
        return "unknown-incident"
    bounced_set = set(bounced)
    current = _current_mailbox(incident)
    if incident.status == "sent" and current in bounced_set:
        data = {
            "incident_id": incident_id,
            "src_ip": incident.src_ip,
            "mailbox": current,
            "reason": reason,
        }
        log_for_reporters(table, incident, now, "bounce", data, attempt)
        return _reroute(incident_id, attempt, current, settings, now)
    if incident.status == "queued" and _previous_mailbox(incident) in bounced_set:
        # A retried notification whose re-route was saved but perhaps never enqueued; the
        # send attempt's claim makes a second message harmless.
        enqueue_send(settings.send_queue_url, incident_id, attempt + 1)
        return "re-enqueued"
    return "stale"


class _Stale(Exception):
    """The incident moved on since the bounce was read (another notification handled it)."""


def _reroute(
    incident_id: str, attempt: int, bounced: str, settings: FeedbackSettings, now: datetime
) -> str:
    table = settings.table_name

    def advance(stored: Incident) -> None:
        if stored.status != "sent" or _current_mailbox(stored) != bounced:
            raise _Stale
        next_index = stored.contact_index + 1
        if next_index >= len(stored.contacts):
            extend_with_fallbacks(stored)
        if next_index >= len(stored.contacts):
            stored.status = "undeliverable"
            stored.decision = EXHAUSTED
        else:
            stored.contact_index = next_index
            stored.status = "queued"

    try:
        incident = update_incident(table, incident_id, advance)
    except _Stale:
        return "stale"
    if incident.status == "undeliverable":
        data = {"incident_id": incident_id, "src_ip": incident.src_ip, "reason": EXHAUSTED}
        log_for_reporters(table, incident, now, "undeliverable", data)
        metrics.add_metric(name="ReportsUndeliverable", unit="Count", value=1)
        return "undeliverable"
    following = incident.contacts[incident.contact_index].email
    data = {"incident_id": incident_id, "src_ip": incident.src_ip, "from": bounced, "to": following}
    log_for_reporters(table, incident, now, "rerouted", data, attempt)
    enqueue_send(settings.send_queue_url, incident_id, attempt + 1)
    metrics.add_metric(name="ReportsRerouted", unit="Count", value=1)
    return "rerouted"


def _settle(table_name: str, mail: dict[str, Any]) -> None:
    sent = _sent_message(table_name, mail)
    message_id = mail.get("messageId")
    if sent is not None and isinstance(message_id, str) and message_id:
        settle_accepted_attempt(table_name, sent[0], sent[1], message_id)


def _sent_message(table_name: str, mail: dict[str, Any]) -> tuple[str, int] | None:
    """(incident id, attempt) from the message tags set at send time, else from the record
    stored under the SES message id."""
    tags = mail.get("tags") or {}
    incident_ids = tags.get("incident") or []
    attempts = tags.get("attempt") or []
    if incident_ids and attempts and str(attempts[0]).isdigit():
        return str(incident_ids[0]), int(attempts[0])
    message_id = mail.get("messageId")
    record = (
        mailboxes.get_sent_message(table_name, message_id) if isinstance(message_id, str) else None
    )
    return (record["incident_id"], record["attempt"]) if record else None


def _current_mailbox(incident: Incident) -> str | None:
    if 0 <= incident.contact_index < len(incident.contacts):
        return incident.contacts[incident.contact_index].email.lower()
    return None


def _previous_mailbox(incident: Incident) -> str | None:
    index = incident.contact_index - 1
    return incident.contacts[index].email.lower() if 0 <= index < len(incident.contacts) else None


def _addresses(recipients: Any) -> list[str]:
    out = []
    for recipient in recipients or []:
        email = recipient.get("emailAddress") if isinstance(recipient, dict) else None
        if isinstance(email, str) and "@" in email:
            out.append(email.strip().lower())
    return out


def _bounce_reason(bounce: dict[str, Any]) -> str:
    recipients = bounce.get("bouncedRecipients") or [{}]
    first = recipients[0] if isinstance(recipients[0], dict) else {}
    parts = [bounce.get("bounceSubType"), first.get("status"), first.get("diagnosticCode")]
    return clean_text(" ".join(str(p) for p in parts if p), 200) or "permanent bounce"
