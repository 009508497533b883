"""One raw email in S3 -> events in DynamoDB and one submission record saying what happened.

`ingest_object(bucket, key, settings)` is what functions/ingest calls per S3 notification:
  1. read the email (probewatch.mail.inbound); unreadable or over a limit -> a rejected
     submission naming the reason (the sender is still taken from the headers if possible);
  2. claim the submission id (store.submissions): a redelivery returns the stored record;
  3. replies to the service are not logs: reporter commands (probewatch.commands) and
     abuse-desk replies (probewatch.abuse_replies) are handed over and nothing else happens;
  4. the sender must pass SES's SPF/DKIM/DMARC checks and be a registered, active reporter;
     otherwise nothing but the submission record is stored (an authenticated stranger is told
     how to register);
  5. every text is parsed in the reporter's time zone; timed events are batch-written and
     their sources flagged for the aggregator; untimed ones are rejected as "no-time";
  6. the submission record (formats, counts, rejected lines by reason with one example each,
     clock evidence) is saved and a line goes to the reporter's log for the digest; an email
     with no events gets the "no events" reply.
Bad mail never raises; AWS errors (throttling, outages) do, so SQS retries the message and
finally parks it in the DLQ. The raw object is never deleted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from importlib import import_module
from importlib.util import find_spec
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from probewatch.clock import utcnow
from probewatch.errors import MailRejected
from probewatch.held_replies import reply_held
from probewatch.immediate_replies import reply_no_events, reply_not_registered
from probewatch.ingest_times import NO_TIME, hold_for_clock, read_timed  # noqa: F401 (NO_TIME: was defined here)
from probewatch.mail.inbound import InboundMail, peek_sender, read_email
from probewatch.mail.limits import TOO_LARGE, MailLimits
from probewatch.model import Rejection, Reporter, Submission
from probewatch.observability import logger, metrics
from probewatch.sites import observed_sites
from probewatch.store.events import mark_sources_active, put_events
from probewatch.store.raw_mail import RawMail, fetch_raw_mail
from probewatch.store.submissions import claim_submission, save_submission

EXAMPLE_CHARS = 300


@dataclass(frozen=True)
class Collaborators:
    """What ingest needs from the other stages; tests pass fakes."""

    parse: Callable[..., Any]  # probewatch.parsers.parse_text
    get_reporter: Callable[[str, str], Reporter | None]
    append_log: Callable[..., None]
    note_observed_sites: Callable[[str, str, set[str]], None] | None = None
    # (table, email, offset seconds, when, basis): remember a reliable clock measurement
    note_clock: Callable[[str, str, float, datetime, str], None] | None = None
    handle_command: Callable[[InboundMail, Any, datetime], bool] | None = None
    record_reply: Callable[[InboundMail, Any, datetime], bool] | None = None

    @classmethod
    def default(cls) -> Collaborators:
        from probewatch.parsers import parse_text
        from probewatch.store.reporters import (
            append_log,
            get_reporter,
            note_clock,
            note_observed_sites,
        )

        return cls(
            parse=parse_text,
            get_reporter=get_reporter,
            append_log=append_log,
            note_observed_sites=note_observed_sites,
            note_clock=note_clock,
            handle_command=_optional("probewatch.commands", "handle_command_mail"),
            record_reply=_optional("probewatch.abuse_replies", "record_reply"),
        )


def _optional(module: str, name: str) -> Any:
    """A function of a stage that may not be part of this build (None if absent)."""
    if find_spec(module) is None:
        return None
    return getattr(import_module(module), name)


def submission_id_for(sender: str, message_id: str | None, s3_key: str) -> str:
    """Deterministic: the same email (same sender and Message-ID), even when SES stored it
    twice, gets the same id; without a Message-ID the S3 object is the identity."""
    basis = f"mid\0{sender}\0{message_id}" if message_id else f"s3\0{s3_key}"
    return hashlib.sha256(basis.encode()).hexdigest()[:24]


def ingest_object(
    bucket: str,
    key: str,
    settings: Any,
    *,
    now: datetime | None = None,
    collaborators: Collaborators | None = None,
) -> Submission:
    """Ingest one raw email (see the module docstring). `settings` is an IngestSettings."""
    now = now or utcnow()
    deps = collaborators or Collaborators.default()
    limits = MailLimits.from_settings(settings)
    raw = fetch_raw_mail(bucket, key, limits.max_bytes)
    try:
        if raw.truncated:
            raise MailRejected(TOO_LARGE, f"{raw.size} bytes, limit {limits.max_bytes}")
        mail = read_email(raw.data, limits, received_at=raw.last_modified)
    except MailRejected as exc:
        return _record_unreadable(raw, key, exc.reason, exc.detail, settings, deps, now)
    except Exception as exc:  # hostile MIME must end in a record, not in a retry loop
        logger.exception("email could not be parsed", extra={"s3_key": key})
        return _record_unreadable(raw, key, "unreadable", repr(exc)[:200], settings, deps, now)
    return _ingest_mail(mail, key, settings, deps, now, raw.data)


def _record_unreadable(
    raw: RawMail,
    key: str,
    reason: str,
    detail: str,
    settings: Any,
    deps: Collaborators,
    now: datetime,
) -> Submission:
    envelope = peek_sender(raw.data)
    sender = envelope.sender
    submission = Submission(
        submission_id=submission_id_for(sender, envelope.message_id, key),
        reporter=sender,
        received_at=envelope.received_at or raw.last_modified,
        s3_key=key,
        status="rejected",
        reason=reason,
        # The subject lets the reporter tell which email it was (a bounded re-read).
        subject=envelope.subject[:200],
        message_id=envelope.message_id,
        notes=[detail] if detail else [],
    )
    existing = claim_submission(settings.table_name, submission.submission_id, key, now)
    if existing is not None:
        return existing
    known = sender and envelope.auth.passed
    reporter = deps.get_reporter(settings.table_name, sender) if known else None
    return _finish(submission, reporter, settings, deps, now)


def _ingest_mail(
    mail: InboundMail,
    key: str,
    settings: Any,
    deps: Collaborators,
    now: datetime,
    raw: bytes | None = None,
) -> Submission:
    submission = Submission(
        submission_id=submission_id_for(mail.sender, mail.message_id, key),
        reporter=mail.sender,
        received_at=mail.received_at or now,
        s3_key=key,
        status="rejected",
        subject=mail.subject[:200],
        message_id=mail.message_id,
        notes=list(mail.notes),
    )
    existing = claim_submission(settings.table_name, submission.submission_id, key, now)
    if existing is not None:
        logger.info("already ingested", extra={"submission_id": existing.submission_id})
        return existing

    if mail.auth.virus == "fail":
        submission.reason = "virus"
        return _finish(submission, None, settings, deps, now)
    # Replies to the service are never read as logs.
    for reason, handler in (("command", deps.handle_command), ("abuse-reply", deps.record_reply)):
        if handler is not None and handler(mail, settings, now):
            submission.status, submission.reason = "no-events", reason
            return _finish(submission, None, settings, deps, now)

    if not mail.auth.passed:
        submission.reason = "not-authenticated"
        submission.notes.append(
            f"spf={mail.auth.spf or 'none'} dkim={mail.auth.dkim or 'none'} "
            f"dmarc={mail.auth.dmarc or 'none'}"
        )
        # Logged for a real reporter (whose mail setup may be broken), never answered.
        reporter = deps.get_reporter(settings.table_name, mail.sender)
        return _finish(submission, reporter, settings, deps, now)
    reporter = deps.get_reporter(settings.table_name, mail.sender)
    if reporter is None:
        submission.reason = "not-registered"
        reply_not_registered(mail, settings, now)
        return _finish(submission, None, settings, deps, now)
    if reporter.status != "active":
        submission.reason = f"reporter-{reporter.status}"
        return _finish(submission, reporter, settings, deps, now)

    _read_logs(mail, submission, reporter, settings, deps, now, raw)
    return _finish(submission, reporter, settings, deps, now)


def _read_logs(
    mail: InboundMail,
    submission: Submission,
    reporter: Reporter,
    settings: Any,
    deps: Collaborators,
    now: datetime,
    raw: bytes | None = None,
) -> None:
    # Only times known to the second are stored: a zone nobody knows, or a clock measured
    # off by more than 5 s, holds the events (probewatch.ingest_times).
    read = read_timed(mail, raw, reporter, submission, deps.parse)
    note_clock = deps.note_clock
    hold_for_clock(
        read,
        mail,
        reporter,
        submission,
        (lambda *a: note_clock(settings.table_name, *a)) if note_clock is not None else None,
    )
    events, rejected = read.events, read.rejected

    submission.events_stored = put_events(settings.table_name, events, submission.submission_id)
    newest: dict[str, datetime] = {}
    for event in events:
        assert event.time is not None
        if event.src_ip not in newest or event.time > newest[event.src_ip]:
            newest[event.src_ip] = event.time
    mark_sources_active(settings.table_name, newest, now)
    if deps.note_observed_sites is not None:
        # Where the alerts were addressed is where the reporter lives: traffic from there is
        # theirs (filters.own-network), even when a log line does not say it was outbound.
        deps.note_observed_sites(settings.table_name, reporter.email, observed_sites(events))

    for event in events:
        submission.formats[event.format] = submission.formats.get(event.format, 0) + 1
    for rejection in rejected:
        submission.rejected[rejection.reason] = submission.rejected.get(rejection.reason, 0) + 1
        submission.rejected_examples.setdefault(rejection.reason, rejection.raw[:EXAMPLE_CHARS])
    if read.held:
        reply_held(
            mail,
            settings,
            now,
            zone=read.zone,
            zone_held=len(read.zone_held),
            zone_example=read.zone_held[0].raw if read.zone_held else None,
            clock=read.clock,
            clock_held=len(read.clock_held),
            accepted=len(events),
        )
    if events:
        submission.status, submission.reason = "accepted", None
        return
    submission.status = "no-events"
    submission.reason = _why_no_events(mail, rejected)
    if read.held:
        submission.reason = "events-held"
        return  # the reply above said what is held and why
    reply_no_events(
        mail,
        settings,
        now,
        lines=submission.lines,
        formats=_formats_seen(rejected),
        rejected=submission.rejected,
        examples=submission.rejected_examples,
    )


def _why_no_events(mail: InboundMail, rejected: list[Rejection]) -> str:
    limit_hit = next((n.split(":", 1)[0] for n in mail.notes if n.startswith("decompressed")), None)
    if rejected:
        return "all-lines-rejected"
    if limit_hit:
        return limit_hit
    if not mail.texts:
        return "no-text"
    return "no-firewall-lines"


def _formats_seen(rejected: list[Rejection]) -> dict[str, int]:
    """Formats recognised in lines that were then rejected (what the reply can name)."""
    seen: dict[str, int] = {}
    for rejection in rejected:
        if rejection.format:
            seen[rejection.format] = seen.get(rejection.format, 0) + 1
    return seen


def _finish(
    submission: Submission,
    reporter: Reporter | None,
    settings: Any,
    deps: Collaborators,
    now: datetime,
) -> Submission:
    save_submission(settings.table_name, submission, now)
    if reporter is not None:
        data = submission.to_dict()
        data.pop("s3_key", None)
        deps.append_log(
            settings.table_name,
            reporter.email,
            submission.received_at,
            "submission",
            submission.submission_id,
            data,
        )
    metrics.add_metric(name=f"Submissions.{submission.status}", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="EventsStored", unit=MetricUnit.Count, value=submission.events_stored)
    logger.info(
        "submission",
        extra={
            "submission_id": submission.submission_id,
            "status": submission.status,
            "reason": submission.reason,
            "events": submission.events_stored,
        },
    )
    return submission
