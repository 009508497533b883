"""Drive the real Lambda handlers with the real trigger shapes, as AWS would.

Each handler is loaded from functions/<name>/app.py, exactly the file SAM deploys.
"""

from __future__ import annotations

import importlib.util
import json
import uuid
from collections import Counter
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import IO, Any

from probewatch.model import iso_z

REPO = Path(__file__).resolve().parents[3]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


class LambdaContext:
    """The attributes Powertools reads from a real Lambda context."""

    function_name = "probewatch-local"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:probewatch-local"
    aws_request_id = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


def load_handler(name: str) -> ModuleType:
    """A fresh import of functions/<name>/app.py, as a new Lambda container does it."""
    path = REPO / "functions" / name / "app.py"
    spec = importlib.util.spec_from_file_location(f"probewatch_fn_{name}", path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# One warm container per function, kept between invocations as Lambda does.
handler_module = cache(load_handler)


def invoke(name: str, event: dict[str, Any]) -> Any:
    return handler_module(name).lambda_handler(event, LambdaContext())


def _clients() -> tuple[Any, Any]:
    import boto3

    return boto3.client("s3"), boto3.client("sqs")


def deliver_email(local: Any, key: str, raw: bytes | IO[bytes]) -> None:
    """What the SES receipt rule's S3 action does (`raw` may be an open file: streamed)."""
    s3, _ = _clients()
    s3.put_object(Bucket=local.raw_bucket, Key=key, Body=raw)


def _drain(queue_url: str, function: str, after_batch: Any = None) -> int:
    """Receive until the queue is empty, hand each batch to the function as an SQS event,
    and delete what it did not report as failed (what the event source mapping does)."""
    _, sqs = _clients()
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    handled = 0
    while True:
        received = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
        ).get("Messages", [])
        if not received:
            return handled
        records = [sqs_event_record(message, arn) for message in received]
        response = invoke(function, {"Records": records}) or {}
        failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
        for message in received:
            if message["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
                handled += 1
        if after_batch is not None:
            after_batch()
        if failed:  # left for SQS to redeliver (and eventually dead-letter) in real time
            return handled


def sqs_event_record(message: dict[str, Any], arn: str) -> dict[str, Any]:
    """One ReceiveMessage result in the shape Lambda hands an SQS-triggered function."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": arn,
        "awsRegion": arn.split(":")[3],
    }


def drain_ingest(local: Any) -> int:
    return _drain(local.ingest_queue_url, "ingest")


def drain_send(local: Any) -> int:
    """Send everything queued; SES's event publishing is simulated for each message sent."""
    total = 0
    while True:
        handled = _drain(
            local.send_queue_url, "send", after_batch=lambda: publish_ses_events(local)
        )
        total += handled
        if not handled:
            return total


def scheduled_event(now: datetime, rule: str) -> dict[str, Any]:
    """The EventBridge Scheduler payload the template configures for scheduled functions."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.scheduler",
        "account": "123456789012",
        "time": iso_z(now),
        "region": "us-east-1",
        "resources": [f"arn:aws:scheduler:us-east-1:123456789012:schedule/default/{rule}"],
        "detail": {},
    }


def run_aggregate(now: datetime) -> Any:
    return invoke("aggregate", scheduled_event(now, "aggregate"))


def run_digest(now: datetime) -> Any:
    return invoke("digest", scheduled_event(now, "digest"))


# --- SES event publishing -----------------------------------------------------------------

_published: set[str] = set()


def skip_earlier_mail(ids: frozenset[str]) -> None:
    """Messages a long-running moto server held before this run: no SES events for them."""
    _published.update(ids)


def bouncing_mailboxes() -> set[str]:
    """Mailboxes the demo's simulated internet answers with a permanent bounce."""
    path = FIXTURES / "bouncing.txt"
    if not path.exists():
        return set()
    return {
        line.strip().lower()
        for line in path.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }


def publish_ses_events(local: Any) -> None:
    """SES publishes Delivery or Bounce for every message sent with the configuration set;
    moto does not, so the local stack does it here, in SES's own event shape, via SNS."""
    from probewatch.local.moto_server import sent_mail

    bouncing = bouncing_mailboxes()
    records = []
    for message in sent_mail():
        if message.id in _published:
            continue
        _published.add(message.id)
        for address in message.destinations:
            event_type = "Bounce" if address in bouncing else "Delivery"
            records.append(sns_event_record(_ses_event(event_type, message, address), local.region))
    if records:
        invoke("feedback", {"Records": records})


def _ses_event(event_type: str, message: Any, address: str) -> dict[str, Any]:
    from probewatch.clock import utcnow

    when = utcnow().strftime("%Y-%m-%dT%H:%M:%S.000Z")
    event: dict[str, Any] = {
        "eventType": event_type,
        "mail": {
            "timestamp": when,
            "source": message.source,
            "messageId": message.id,
            "destination": [address],
            "tags": {"ses:configuration-set": ["probewatch"]},
        },
    }
    if event_type == "Bounce":
        event["bounce"] = {
            "bounceType": "Permanent",
            "bounceSubType": "General",
            "bouncedRecipients": [
                {
                    "emailAddress": address,
                    "action": "failed",
                    "status": "5.1.1",
                    "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                }
            ],
            "timestamp": when,
            "feedbackId": str(uuid.uuid4()),
        }
    else:
        event["delivery"] = {
            "timestamp": when,
            "recipients": [address],
            "processingTimeMillis": 500,
            "smtpResponse": "250 2.0.0 OK",
        }
    return event


def sns_event_record(ses_event: dict[str, Any], region: str = "us-east-1") -> dict[str, Any]:
    """One SES event as SNS delivers it to a subscribed Lambda function."""
    topic = f"arn:aws:sns:{region}:123456789012:probewatch-ses-events"
    return {
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": f"{topic}:{uuid.uuid4()}",
        "Sns": {
            "Type": "Notification",
            "MessageId": str(uuid.uuid4()),
            "TopicArn": topic,
            "Subject": None,
            "Message": json.dumps(ses_event),
            "Timestamp": ses_event.get("mail", {}).get("timestamp", "2026-11-25T10:20:03.000Z"),
            "SignatureVersion": "1",
            "Signature": "local",
            "SigningCertUrl": "https://sns.us-east-1.amazonaws.com/local.pem",
            "UnsubscribeUrl": "https://sns.us-east-1.amazonaws.com/unsubscribe",
            "MessageAttributes": {},
        },
    }


# --- progress and summary -------------------------------------------------------------------


def all_settled(local: Any) -> bool:
    """Nothing queued to send and no source with pending work."""
    from probewatch.store.overview import count_active_sources

    _, sqs = _clients()
    attributes = sqs.get_queue_attributes(
        QueueUrl=local.send_queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    queued = sum(int(value) for value in attributes.values())
    return queued == 0 and count_active_sources(local.table_name) == 0


def last_activity_midnight(local: Any, since: datetime, until: datetime) -> datetime | None:
    """The latest local midnight (UTC) that ends a reporter's day holding log lines between
    `since` and `until`: once the digest ran past it, every reporter heard of everything."""
    from zoneinfo import ZoneInfo

    from probewatch.digest_run import local_midnight
    from probewatch.model import parse_iso
    from probewatch.store.reporters import list_reporters, read_log

    ends = []
    for reporter in list_reporters(local.table_name):
        entries = read_log(local.table_name, reporter.email, since, until)
        times = [t for t in (parse_iso(e["time"]) for e in entries) if t is not None]
        if times:
            zone = ZoneInfo(reporter.tz)
            last_day = max(times).astimezone(zone).date()
            ends.append(local_midnight(last_day + timedelta(days=1), zone))
    return max(ends, default=None)


def summarize(local: Any, start: datetime, end: datetime) -> dict[str, Any]:
    """Counts for summary.json, read back from the reporters' activity logs."""
    from probewatch.store.reporters import list_reporters, read_log

    rejected: Counter[str] = Counter()
    filtered: Counter[str] = Counter()
    events_stored = 0
    reporters = list_reporters(local.table_name)
    for reporter in reporters:
        for entry in read_log(local.table_name, reporter.email, start - timedelta(days=1), end):
            data = entry.get("data", {})
            if entry.get("kind") == "submission":
                events_stored += int(data.get("events_stored", 0))
                rejected.update({k: int(v) for k, v in data.get("rejected", {}).items()})
            elif entry.get("kind") == "filtered":
                filtered.update({k: int(v) for k, v in data.get("counts", {}).items()})
    return {
        "events_stored": events_stored,
        "rejected_by_reason": dict(sorted(rejected.items())),
        "filtered_by_reason": dict(sorted(filtered.items())),
        "_reporters": [r.email for r in reporters],
    }
