"""Helpers for the send/feedback tests: incidents in the table, the send queue drained through
the real handler, what moto's SES sent, and SES events delivered through the real handler."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from typing import Any

import boto3

from probewatch.local.handlers import invoke, sns_event_record, sqs_event_record
from probewatch.model import Contact, EvidenceLine, Incident, Reporter
from probewatch.store.incidents import save_incident
from probewatch.store.reporters import put_reporter, read_log

T0 = datetime(2026, 11, 25, 3, 14, 7, tzinfo=UTC)


def seed_incident(
    table: str,
    contacts: list[str],
    reporters: list[Reporter],
    *,
    incident_id: str = "PW-20261125-0a1b2c3d",
    src_ip: str = "45.155.205.12",
    ptr: str | None = "scan-12.isp.example",
) -> Incident:
    for reporter in reporters:
        put_reporter(table, reporter)
    lines = [
        EvidenceLine(
            (T0 + timedelta(seconds=n * 7)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "TCP",
            src_ip,
            51000 + n,
            "203.0.0.0 (masked)",
            23,
            "SYN",
            "block",
            1 + n % len(reporters),
        )
        for n in range(3)
    ]
    incident = Incident(
        incident_id=incident_id,
        src_ip=src_ip,
        status="queued",
        opened_at=T0,
        first_seen=T0,
        last_seen=T0 + timedelta(seconds=14),
        event_count=3,
        reporters=[r.email for r in reporters],
        evidence="syn-only",
        evidence_lines=lines,
        contacts=[Contact(email, "rdap", 0.9) for email in contacts],
        ptr=ptr,
        network={"cidr": "45.155.204.0/22", "name": "ISP-EXAMPLE"},
        finalized_at=T0 + timedelta(hours=2),
        last_activity=T0 + timedelta(seconds=14),
    )
    save_incident(table, incident)
    return incident


def enqueue(queue_url: str, incident_id: str, attempt: int = 1) -> None:
    boto3.client("sqs").send_message(
        QueueUrl=queue_url, MessageBody=json.dumps({"incident_id": incident_id, "attempt": attempt})
    )


def receive_records(queue_url: str) -> list[dict[str, Any]]:
    """Every visible message as an SQS-event record (not deleted: the caller decides)."""
    sqs = boto3.client("sqs")
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    return [sqs_event_record(message, arn) for message in messages]


def run_send(queue_url: str, records: list[dict[str, Any]] | None = None) -> set[str]:
    """Hand the queue's messages (or `records`) to functions/send; delete the successes, as the
    event source mapping does. Returns the message ids the handler reported as failed."""
    records = receive_records(queue_url) if records is None else records
    if not records:
        return set()
    response = invoke("send", {"Records": records}) or {}
    failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
    sqs = boto3.client("sqs")
    for record in records:
        if record["messageId"] not in failed:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=record["receiptHandle"])
    return failed


def sent_messages() -> list[Any]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return list(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages)


def recipients(message: Any) -> list[str]:
    return [parseaddr(d)[1].lower() for d in message.destinations]


def ses_event(
    kind: str, message: Any, *, bounce_type: str = "Permanent", tags: bool = False
) -> dict[str, Any]:
    """The event SES publishes through the configuration set (the shape SNS carries)."""
    address = recipients(message)[0]
    mail: dict[str, Any] = {
        "timestamp": "2026-11-25T10:20:01.000Z",
        "source": message.source,
        "messageId": message.id,
        "destination": [address],
        "tags": {"ses:configuration-set": ["probewatch-outbound"]},
    }
    if tags:
        subject = next(
            line for line in message.raw_data.splitlines() if line.startswith("Subject:")
        )
        mail["tags"]["incident"] = [subject.rsplit("[", 1)[1].rstrip("]")]
    event: dict[str, Any] = {"eventType": kind, "mail": mail}
    if kind == "Bounce":
        event["bounce"] = {
            "bounceType": bounce_type,
            "bounceSubType": "General",
            "bouncedRecipients": [
                {
                    "emailAddress": address,
                    "status": "5.1.1",
                    "diagnosticCode": "smtp; 550 5.1.1 unknown\r\nX-Evil: 1",
                }
            ],
        }
    elif kind == "Complaint":
        event["complaint"] = {
            "complainedRecipients": [{"emailAddress": address}],
            "complaintFeedbackType": "abuse",
        }
    else:
        event["delivery"] = {"recipients": [address], "smtpResponse": "250 OK"}
    return event


def run_feedback(*events: dict[str, Any]) -> list[str]:
    records = [sns_event_record(event) for event in events]
    return list(invoke("feedback", {"Records": records})["results"])


def log_kinds(table: str, email: str) -> list[str]:
    since, until = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
    return [line["kind"] for line in read_log(table, email, since, until)]


def log_lines(table: str, email: str, kind: str) -> list[dict[str, Any]]:
    since, until = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
    return [line for line in read_log(table, email, since, until) if line["kind"] == kind]
