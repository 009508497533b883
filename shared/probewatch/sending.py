"""Send one incident's report through SES v2, exactly once per attempt.

Order of work, and why:
1. load the incident; only a "queued" incident is sent (cancelled/closed ones are not);
   events past 72 hours by now are taken out (send_window), and with none left the
   incident ends "not-reported" (code "expired") instead of being sent;
2. pick the first usable mailbox from contact_index on (suppressed, bounced and registry
   desks are skipped; RFC 2142 fallbacks are appended when the ranked contacts run out);
   an opted-out network or domain gets none (code "opted-out", probewatch.desk_rules);
3. claim `INC#<id>/SEND#<attempt>` with a conditional put BEFORE calling SES, so a
   redelivered SQS message finds the claim and sends nothing;
4. take a slot under the per-mailbox and global daily caps (over cap: release the claim and
   raise SendDeferred, the message comes back later; nothing is dropped);
5. render, and check the bytes against every reporting rule (report_rules: a report that
   breaks one is not sent); send; throttling/transient errors release the claim and raise
   SendDeferred; permanent rejections are recorded on the attempt and the incident;
6. store the SES MessageId, mark the incident sent, tell each reporter ("report-sent").
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from probewatch.aws_clients import aws_client
from probewatch.clock import utcnow
from probewatch.config import SendSettings
from probewatch.desk_rules import stop_if_opted_out, wants_xarf
from probewatch.errors import AlreadyStored, ProbewatchError, StoreError
from probewatch.mailbox_chain import bounce_only, extend_with_fallbacks, responsible_domain
from probewatch.model import Contact, Incident, Reporter, iso_z, parse_iso
from probewatch.observability import logger, metrics
from probewatch.optouts import covering_mailbox
from probewatch.registry_desks import is_registry_desk
from probewatch.report import InvalidAddress, render_report, validate_address
from probewatch.report_rules import report_violations
from probewatch.send_window import trim_stale_events
from probewatch.ses_mail import send_raw_email
from probewatch.store import desks, mailboxes
from probewatch.store.incidents import IncidentChanged, get_incident, save_incident
from probewatch.store.reporters import append_log, get_reporter

# SES errors that will never succeed for this message; any other error is retried later
# (throttling, SendingPaused, 5xx, timeouts).
PERMANENT_CODES = frozenset(
    {
        "MessageRejected",
        "MailFromDomainNotVerifiedException",
        "MailFromDomainNotVerified",
        "AccountSuspendedException",
        "AccountSuspended",
        "BadRequestException",
        "InvalidParameterValue",
        "NotFoundException",
    }
)
THROTTLE_RETRY = timedelta(minutes=5)
# SQS refuses a visibility timeout above 12 hours.
MAX_DEFER = timedelta(hours=12)


class SendDeferred(ProbewatchError):
    """Not now (throttled, transient error, daily cap): SQS should deliver the message later."""

    def __init__(self, reason: str, retry_after: timedelta) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = min(retry_after, MAX_DEFER)


@dataclass(slots=True)
class SendOutcome:
    # "sent", "duplicate", "rejected", "undeliverable", "not-found", "not-queued",
    # "expired", "opted-out"
    status: str
    incident_id: str
    attempt: int
    mailbox: str | None = None
    message_id: str | None = None
    detail: str = ""


def send_incident(incident_id: str, attempt: int, settings: SendSettings) -> SendOutcome:
    """Send attempt `attempt` of the incident's report (see the module docstring).

    Returns what happened; raises SendDeferred when SQS should retry later, StoreError when
    DynamoDB failed (also retried by SQS: nothing was sent twice, the claim stands guard).
    """
    now = utcnow()
    table = settings.table_name
    incident = get_incident(table, incident_id)
    if incident is None:
        logger.warning("send: no such incident", extra={"incident_id": incident_id})
        return SendOutcome("not-found", incident_id, attempt)
    if incident.status != "queued":
        return SendOutcome("not-queued", incident_id, attempt, detail=incident.status)
    # The 72-hour rule holds when SES sends, whatever delayed it (review, caps, retries,
    # the next mailbox after a bounce): checked on every attempt, before anything is claimed.
    if not _drop_stale(table, incident, now):
        return SendOutcome("expired", incident_id, attempt, detail="every event older than 72 h")

    # An opted-out network gets nothing, from any of its mailboxes (probewatch.optouts).
    optouts = desks.list_optouts(table)
    if stop_if_opted_out(table, incident, now, optouts):
        return SendOutcome("opted-out", incident_id, attempt)
    contact = choose_contact(incident, table, optouts)
    if contact is None:
        mark_undeliverable(table, incident, now, "no mailbox left that accepts reports")
        return SendOutcome("undeliverable", incident_id, attempt)

    try:
        mailboxes.claim_send_attempt(table, incident_id, attempt, contact.email, now)
    except AlreadyStored:
        return _already_claimed(table, incident, attempt)

    try:
        has_slot = mailboxes.take_send_slot(
            table,
            contact.email,
            now.date(),
            settings.per_mailbox_daily_cap,
            settings.global_daily_cap,
        )
        reporters = _load_reporters(table, incident)
        xarf = wants_xarf(table, contact.email)  # the attachment only for desks that opted in
    except (StoreError, ClientError, BotoCoreError):
        # SES was not called: free the claim, or every redelivery would take it for a send
        # SES may have accepted and the report would never go (RELIABILITY.md, throttling).
        with contextlib.suppress(StoreError, ClientError, BotoCoreError):
            _release(table, incident_id, attempt, now, "store error before sending")
        raise
    if not has_slot:
        _release(table, incident_id, attempt, now, "daily cap reached")
        metrics.add_metric(name="ReportsDeferredByCap", unit="Count", value=1)
        raise SendDeferred("daily send cap reached", _until_next_day(now))

    raw = render_report(incident, contact, settings, reporters, xarf=xarf).as_bytes()
    anonymous = [r.email for r in reporters if not r.identify]
    problems = report_violations(raw, forbidden=anonymous, allow_xarf=xarf)
    if problems:
        # A bug, never the abuse desk's problem: refuse to send rather than send a bad report.
        logger.error(
            "report breaks the rules", extra={"incident_id": incident_id, "problems": problems}
        )
        detail = "report failed checks: " + "; ".join(problems[:3])
        return _reject(table, incident, attempt, contact, now, detail)
    try:
        message_id = _deliver(settings, raw, incident_id, attempt)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        if code in PERMANENT_CODES:
            detail = f"{code}: {error.get('Message', '')}"
            return _reject(table, incident, attempt, contact, now, detail)
        _release(table, incident_id, attempt, now, code or str(exc))
        raise SendDeferred(f"SES error {code or exc}", THROTTLE_RETRY) from exc
    except BotoCoreError as exc:
        _release(table, incident_id, attempt, now, str(exc))
        raise SendDeferred(f"SES unreachable: {exc}", THROTTLE_RETRY) from exc

    mailboxes.finish_send_attempt(table, incident_id, attempt, "sent", now, message_id=message_id)
    _record_success(table, incident_id, attempt, contact.email, message_id, now)
    metrics.add_metric(name="ReportsSent", unit="Count", value=1)
    logger.info(
        "report sent",
        extra={"incident_id": incident_id, "mailbox": contact.email, "message_id": message_id},
    )
    return SendOutcome("sent", incident_id, attempt, mailbox=contact.email, message_id=message_id)


def _drop_stale(table_name: str, incident: Incident, now: datetime) -> bool:
    """Take events past 72 hours out of the report (saved, so the digest and a later
    attempt see what was really sent). False when none is left: then the incident ends as
    not reported, and its reporters are told why."""
    trim = trim_stale_events(incident, now)
    if not trim.stale:
        return True
    lines, count, first = incident.evidence_lines, incident.event_count, incident.first_seen
    masked, stale_total = incident.masked_destinations, incident.stale_at_send
    expired = trim.remaining == 0
    why = (
        f"not reported: every event was older than 72 hours when it was to be sent "
        f"({trim.stale} taken out at {iso_z(now)})"
    )

    def apply(stored: Incident) -> None:
        stored.evidence_lines, stored.event_count, stored.first_seen = lines, count, first
        stored.masked_destinations, stored.stale_at_send = masked, stale_total
        if expired:
            stored.status, stored.decision_code, stored.decision = "not-reported", "expired", why

    incident.version = update_incident(table_name, incident.incident_id, apply).version
    logger.info(
        "send: events past 72 hours taken out",
        extra={"incident_id": incident.incident_id, "stale": trim.stale, "left": trim.remaining},
    )
    metrics.add_metric(name="StaleEventsDroppedAtSend", unit="Count", value=trim.stale)
    if expired:
        incident.status = "not-reported"
        data = {
            "incident_id": incident.incident_id,
            "src_ip": incident.src_ip,
            "status": "not-reported",
            "code": "expired",
            "reason": why,
            "events": 0,
            "evidence": incident.evidence,
        }
        log_for_reporters(table_name, incident, now, "decision", data)
    return not expired


def _already_claimed(table_name: str, incident: Incident, attempt: int) -> SendOutcome:
    """A redelivered message: never send again. If SES had accepted the report but the
    function died before the incident was updated, finish that bookkeeping now; but only
    while the incident still waits on that very mailbox (an old attempt re-enqueued after a
    bounce moved the report on must not undo the move)."""
    record = mailboxes.get_send_attempt(table_name, incident.incident_id, attempt) or {}
    mailbox = str(record.get("mailbox") or "")
    current = incident.contacts[incident.contact_index].email.lower()
    unfinished = record.get("message_id") and record["message_id"] != incident.message_id
    if record.get("status") == "sent" and unfinished and mailbox == current:
        when = parse_iso(record.get("claimed_at")) or utcnow()
        _record_success(
            table_name, incident.incident_id, attempt, mailbox, str(record["message_id"]), when
        )
    elif record.get("status") == "sending":
        # SES may or may not have taken it; a second copy would be worse than none.
        logger.warning(
            "send: attempt claimed but never finished; not sending again",
            extra={"incident_id": incident.incident_id, "attempt": attempt},
        )
    return SendOutcome("duplicate", incident.incident_id, attempt, mailbox=mailbox or None)


def _record_success(
    table_name: str, incident_id: str, attempt: int, mailbox: str, message_id: str, when: datetime
) -> None:
    """Idempotent: the same attempt always writes the same items."""
    mailboxes.put_sent_message(table_name, message_id, incident_id, attempt, mailbox, when)

    def mark_sent(incident: Incident) -> None:
        incident.status = "sent"
        incident.sent_at = when
        incident.message_id = message_id

    incident = update_incident(table_name, incident_id, mark_sent)
    data = {
        "incident_id": incident_id,
        "src_ip": incident.src_ip,
        "mailbox": mailbox,
        "attempt": attempt,
        "events": incident.event_count,
        "stale_at_send": incident.stale_at_send,  # taken out: past 72 hours when sent
    }
    log_for_reporters(table_name, incident, when, "report-sent", data, attempt)


def _release(table_name: str, incident_id: str, attempt: int, now: datetime, why: str) -> None:
    """SES did not take the report: a redelivery may claim the attempt again."""
    mailboxes.finish_send_attempt(
        table_name, incident_id, attempt, mailboxes.RETRYABLE, now, error=why
    )


def _reject(
    table_name: str, incident: Incident, attempt: int, contact: Contact, now: datetime, detail: str
) -> SendOutcome:
    """A permanent refusal: recorded on the attempt and the incident, reporters told."""
    mailboxes.finish_send_attempt(
        table_name, incident.incident_id, attempt, "rejected", now, error=detail
    )
    metrics.add_metric(name="ReportsRejected", unit="Count", value=1)
    mark_undeliverable(table_name, incident, now, f"not sent: {detail}")
    return SendOutcome(
        "rejected", incident.incident_id, attempt, mailbox=contact.email, detail=detail
    )


def update_incident(
    table_name: str, incident_id: str, change: Callable[[Incident], None], tries: int = 5
) -> Incident:
    """Apply `change` to the stored incident under its optimistic lock, re-reading and
    re-applying when another writer (aggregate, feedback, a CANCEL) saved in between."""
    for _ in range(tries):
        incident = get_incident(table_name, incident_id)
        if incident is None:
            raise StoreError(f"incident {incident_id} vanished")
        change(incident)
        try:
            save_incident(table_name, incident)
            return incident
        except IncidentChanged:
            continue
    raise StoreError(f"incident {incident_id} kept changing; giving up for now")


def choose_contact(
    incident: Incident, table_name: str, optouts: Sequence[desks.OptOut] = ()
) -> Contact | None:
    """The first mailbox from contact_index on that may be mailed; moves contact_index to it
    (saving the incident when the index or the chain changed, so a bounce finds the mailbox).
    None when the chain, fallbacks included, is exhausted."""
    # Whose network this is, from the backtrace alone: a registry desk in the contact list
    # must not vouch for itself.
    domain = responsible_domain(incident, from_contacts=False)
    index = incident.contact_index
    known = len(incident.contacts)
    bounced: bool | None = None  # whether an earlier mailbox bounced; read when first needed
    while True:
        if index >= len(incident.contacts) and not extend_with_fallbacks(incident):
            return None
        while index < len(incident.contacts):
            contact = incident.contacts[index]
            refusal = mailbox_refusal(table_name, contact.email, domain, optouts)
            if refusal is None and bounce_only(contact):
                if bounced is None:
                    bounced = _any_bounced(table_name, incident.contacts[:index])
                refusal = None if bounced else "bounce-only"
            if refusal is None:
                if index != incident.contact_index or len(incident.contacts) != known:
                    _move_to(table_name, incident, index)
                return contact
            logger.info("send: skipping mailbox", extra={"mailbox": contact.email, "why": refusal})
            index += 1


def _any_bounced(table_name: str, contacts: Sequence[Contact]) -> bool:
    """postmaster@, root@, webmaster@ are for bounces only (issue 12)."""
    for contact in contacts:
        state = mailboxes.get_mailbox(table_name, contact.email)
        if state is not None and state.bad:
            return True
    return False


def _move_to(table_name: str, incident: Incident, index: int) -> None:
    contacts = list(incident.contacts)

    def move(stored: Incident) -> None:
        stored.contacts = contacts
        stored.contact_index = index

    incident.contact_index = index
    incident.version = update_incident(table_name, incident.incident_id, move).version


def mailbox_refusal(
    table_name: str, email: str, responsible: str | None, optouts: Sequence[desks.OptOut] = ()
) -> str | None:
    """Why `email` must not get a report ("invalid", "registry", "opted-out", "suppressed",
    "bounced"), or None. An opted-out domain covers all its mailboxes, security@ included."""
    try:
        validate_address(email)
    except InvalidAddress:
        return "invalid"
    if is_registry_desk(email, responsible):
        return "registry"
    if covering_mailbox(optouts, email):
        return "opted-out"
    state = mailboxes.get_mailbox(table_name, email)
    if state is not None and state.suppressed:
        return "suppressed"
    if state is not None and state.bad:
        return "bounced"
    return None


def mark_undeliverable(table_name: str, incident: Incident, now: datetime, why: str) -> None:
    """Every mailbox failed or none may be mailed: the incident ends here; reporters are told."""

    def give_up(stored: Incident) -> None:
        stored.status = "undeliverable"
        stored.decision = why

    update_incident(table_name, incident.incident_id, give_up)
    incident.status, incident.decision = "undeliverable", why
    data = {"incident_id": incident.incident_id, "src_ip": incident.src_ip, "reason": why}
    log_for_reporters(table_name, incident, now, "undeliverable", data)
    metrics.add_metric(name="ReportsUndeliverable", unit="Count", value=1)


def log_for_reporters(
    table_name: str,
    incident: Incident,
    when: datetime,
    kind: str,
    data: dict[str, Any],
    attempt: int | None = None,
) -> None:
    """One line in each reporter's log. The ident names the attempt too, so a bounce chain
    keeps one line per mailbox while a retried call rewrites the same line."""
    ident = incident.incident_id if attempt is None else f"{incident.incident_id}-{attempt}"
    for email in incident.reporters:
        append_log(table_name, email, when, kind, ident, data)


def defer_message(queue_url: str, receipt_handle: str, delay: timedelta) -> None:
    """Keep an SQS message hidden for `delay` (e.g. until the daily cap resets) instead of
    letting it come back after the queue's short visibility timeout."""
    aws_client("sqs").change_message_visibility(
        QueueUrl=queue_url,
        ReceiptHandle=receipt_handle,
        VisibilityTimeout=int(delay.total_seconds()),
    )


def _deliver(settings: SendSettings, raw: bytes, incident_id: str, attempt: int) -> str:
    # No Destination: SES takes the one recipient from the To header, which render_report
    # validated; one source of truth for who gets the report.
    return send_raw_email(
        raw,
        sender=settings.sender_address,
        configuration_set=settings.configuration_set,
        # Tags come back in bounce/complaint/delivery events: the feedback function's key.
        tags={"incident": incident_id, "attempt": str(attempt)},
    )


def _load_reporters(table_name: str, incident: Incident) -> list[Reporter]:
    """Profiles decide whether a reporter is named; an unknown one stays anonymous."""
    return [
        get_reporter(table_name, email) or Reporter(email=email) for email in incident.reporters
    ]


def _until_next_day(now: datetime) -> timedelta:
    tomorrow = (now + timedelta(days=1)).replace(hour=0, minute=5, second=0, microsecond=0)
    return tomorrow - now
