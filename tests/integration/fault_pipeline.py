"""The demo's pipeline (events/emails through ingest, aggregate, send, feedback, digest) on an
in-process moto, driven like the deployed triggers but with redelivery and crash handling:

- SQS (ingest, send): each batch can be handed to the function `redeliver` times before the
  event source mapping deletes what succeeded (at-least-once delivery); records it failed, or
  a batch whose invocation died, become visible again (as after the visibility timeout).
- Schedules (aggregate, digest) fire `redeliver` times per tick (EventBridge at-least-once);
  SES events reach feedback `redeliver` times each (SNS at-least-once).

`run_pipeline` returns what went out, counted so that the fault tests and the bench can
compare a faulty run with a clean one: reports by (source, mailbox), mail to reporters by
(reporter, subject), and anything stuck or dead-lettered.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_string, policy
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import boto3
import moto
from fault_harness import Killed, paused

from probewatch.aws_clients import aws_client
from probewatch.clock import frozen
from probewatch.local import demo, handlers
from probewatch.local.dns_server import DnsServer
from probewatch.local.moto_server import sent_mail
from probewatch.local.rdap_server import RdapServer
from probewatch.local.resources import LocalStack, create_stack
from probewatch.local.ses_inbound import stamp
from probewatch.store.incidents import get_incident

REPO = Path(__file__).resolve().parents[2]
EMAILS = REPO / "events" / "emails"
FIXTURES = REPO / "shared" / "probewatch" / "local" / "fixtures"
MAX_ROUNDS = 40  # receives per queue drain before a record counts as dead-lettered

FAKE_AWS_ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "POWERTOOLS_LOG_LEVEL": "CRITICAL",
    "POWERTOOLS_METRICS_DISABLED": "true",
}


def _forget_clients() -> None:
    from probewatch.aws_clients import aws_client
    from probewatch.config import get_settings
    from probewatch.store.raw_mail import s3_client
    from probewatch.store.table import dynamodb_table

    for cached in (get_settings, dynamodb_table, s3_client, aws_client, handlers.handler_module):
        cached.cache_clear()


@contextmanager
def local_stack() -> Iterator[tuple[LocalStack, RdapServer, DnsServer]]:
    """A fresh moto stack from the template, loopback RDAP/DNS with the demo's recordings."""
    from fault_harness import SlowRdapServer

    saved = dict(os.environ)
    os.environ.update(FAKE_AWS_ENV)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        os.environ.pop(name, None)
    _forget_clients()
    try:
        with (
            moto.mock_aws(),
            SlowRdapServer(FIXTURES / "rdap") as rdap,
            DnsServer(FIXTURES / "dns.json") as dns,
        ):
            stack = create_stack()
            os.environ.update(stack.env())
            os.environ["PROBEWATCH_RDAP_URL"] = rdap.url
            os.environ["PROBEWATCH_DNS_SERVERS"] = dns.address
            _forget_clients()
            yield stack, rdap, dns
    finally:
        _forget_clients()
        os.environ.clear()
        os.environ.update(saved)


@dataclass
class Outcome:
    reports: Counter[tuple[str, str]] = field(default_factory=Counter)  # (source, mailbox)
    to_reporters: Counter[tuple[str, str]] = field(default_factory=Counter)  # (who, subject)
    digests: int = 0
    stuck: list[str] = field(default_factory=list)  # incidents left queued or pending
    unconfirmed: list[str] = field(default_factory=list)  # sent, but not marked sent
    dead_lettered: int = 0
    retried_records: int = 0  # SQS records a function failed (or died on) at least once
    kills: int = 0
    invocation_errors: Counter[str] = field(default_factory=Counter)

    def duplicated(self) -> int:
        return sum(n - 1 for n in self.reports.values() if n > 1) + sum(
            n - 1 for n in self.to_reporters.values() if n > 1
        )

    def lost_against(self, clean: Outcome) -> int:
        reports = len(set(clean.reports) - set(self.reports))
        mail = len(set(clean.to_reporters) - set(self.to_reporters))
        return reports + mail + self.dead_lettered


class Driver:
    def __init__(self, stack: LocalStack, redeliver: int = 1) -> None:
        self.stack = stack
        self.redeliver = redeliver
        self.sqs = boto3.client("sqs")
        self.outcome = Outcome()
        self._published: set[str] = set()
        self._failed_once: set[str] = set()
        self._tags: dict[str, dict[str, list[str]]] = {}
        # SES returns a message's tags in every event it publishes; moto keeps none, so
        # remember them per MessageId (first in line, before any injected kill).
        events = aws_client("sesv2").meta.events
        events.register_first("before-parameter-build.sesv2.SendEmail", self._stash_tags)
        events.register_first("after-call.sesv2.SendEmail", self._keep_tags)

    def _stash_tags(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["probewatch_tags"] = {t["Name"]: [t["Value"]] for t in params.get("EmailTags", [])}

    def _keep_tags(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if "MessageId" in parsed:
            self._tags[str(parsed["MessageId"])] = context.get("probewatch_tags", {})

    # ------------------------------------------------------------ triggers

    def invoke(self, function: str, event: dict[str, Any]) -> tuple[bool, Any]:
        """One invocation: (True, its answer), or (False, None) when it raised (Lambda reports
        the invocation failed) or was killed (no answer; the next one gets a cold container)."""
        try:
            return True, handlers.invoke(function, event)
        except Killed:
            self.outcome.kills += 1
            handlers.handler_module.cache_clear()
        except Exception:  # noqa: BLE001 - what the Lambda service does with any error
            self.outcome.invocation_errors[function] += 1
        return False, None

    def drain(self, queue_url: str, function: str, after_batch: Callable[[], None]) -> None:
        arn = self.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        for _round in range(MAX_ROUNDS):
            received = self.sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
            ).get("Messages", [])
            if not received:
                return
            records = [handlers.sqs_event_record(message, arn) for message in received]
            ids = {record["messageId"] for record in records}
            # A duplicate delivery that succeeds deletes the message, whatever the other copies
            # did: a record comes back only if every copy of it failed.
            failed = set(ids)
            for _copy in range(self.redeliver):
                ok, response = self.invoke(function, {"Records": records})
                if not ok:
                    continue  # the invocation failed or died: none of its records deleted
                reported = (response or {}).get("batchItemFailures", [])
                failed &= {item["itemIdentifier"] for item in reported}
            for message in received:
                if message["MessageId"] in failed:
                    self._failed_once.add(message["MessageId"])
                    # As after the visibility timeout (or a deferral): visible again.
                    self.sqs.change_message_visibility(
                        QueueUrl=queue_url,
                        ReceiptHandle=message["ReceiptHandle"],
                        VisibilityTimeout=0,
                    )
                else:
                    self.sqs.delete_message(
                        QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"]
                    )
            after_batch()
        self.outcome.dead_lettered += self._visible(queue_url)

    def _visible(self, queue_url: str) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return sum(int(v) for v in attributes.values())

    def publish_ses_events(self) -> None:
        """SES's Delivery/Bounce events for new mail, each handed to feedback `redeliver` times."""
        bouncing = handlers.bouncing_mailboxes()
        records = []
        for message in sent_mail():
            if message.id in self._published:
                continue
            self._published.add(message.id)
            for address in message.destinations:
                kind = "Bounce" if address in bouncing else "Delivery"
                event = handlers._ses_event(kind, message, address)
                event["mail"]["tags"].update(self._tags.get(message.id, {}))
                records.append(handlers.sns_event_record(event, self.stack.region))
        for _copy in range(self.redeliver if records else 0):
            # An asynchronous invocation that fails is retried by Lambda, twice.
            for _try in range(3):
                if self.invoke("feedback", {"Records": records})[0]:
                    break
            else:
                self.outcome.dead_lettered += len(records)

    def scheduled(self, function: str, now: datetime) -> None:
        for _copy in range(self.redeliver):
            event = handlers.scheduled_event(now, function)
            # The scheduler invokes asynchronously: Lambda retries a failed invocation twice.
            for _try in range(3):
                with frozen(now):
                    if self.invoke(function, event)[0]:
                        break

    # ------------------------------------------------------------ the run

    def run(self) -> Outcome:
        paths = sorted(EMAILS.glob("*.eml"))
        raws = [path.read_bytes() for path in paths]
        with paused():
            verdicts = demo._register_reporters(self.stack.table_name, EMAILS, raws)
        start = max(demo._date_of(raw) for raw in raws)
        received = start
        for offset, (path, raw) in enumerate(zip(paths, raws, strict=True)):
            received = start + timedelta(seconds=offset)
            with frozen(received):
                stamped = stamp(
                    raw,
                    received,
                    region=self.stack.region,
                    inbound_address=self.stack.inbound_address,
                    verdicts=verdicts,
                )
                handlers.deliver_email(self.stack, f"raw/{path.stem}", stamped)
                self.drain(self.stack.ingest_queue_url, "ingest", lambda: None)
        now = received
        digest_at = demo._next_hour(start)
        while now <= start + demo.HORIZON:
            while digest_at <= now:
                self.scheduled("digest", digest_at)
                digest_at += timedelta(hours=1)
            self.scheduled("aggregate", now)
            with frozen(now):
                self.drain(self.stack.send_queue_url, "send", self.publish_ses_events)
            with paused():
                settled = handlers.all_settled(self.stack)
            if settled and now > received:
                break
            now += demo.STEP
        with paused():
            last = handlers.last_activity_midnight(
                self.stack, start - timedelta(days=1), now + demo.STEP
            )
        if last is not None:
            until = min(demo._next_hour(last), now + demo.DIGEST_HORIZON)
            while digest_at <= until:
                self.scheduled("digest", digest_at)
                digest_at += timedelta(hours=1)
        with paused():
            self._count()
        return self.outcome

    def _count(self) -> None:
        from probewatch.store.reporters import list_reporters

        reporters = {r.email.lower() for r in list_reporters(self.stack.table_name)}
        for message in sent_mail():
            parsed = message_from_string(message.raw, policy=policy.default)
            subject = str(parsed.get("Subject", ""))
            incident_id = str(parsed.get("X-Probewatch-Incident", "") or "")
            for address in message.destinations:
                who = parseaddr(address)[1].lower()
                if who in reporters:
                    # A digest by reporter and day: its counts are checked via `unconfirmed`.
                    key = subject.split(":", 1)[0] if "digest" in subject.lower() else subject
                    self.outcome.to_reporters[(who, key)] += 1
                    self.outcome.digests += "digest" in subject.lower()
                elif incident_id:
                    incident = get_incident(self.stack.table_name, incident_id)
                    source = incident.src_ip if incident else incident_id
                    self.outcome.reports[(source, who)] += 1
                    if incident is not None and incident.status not in ("sent", "undeliverable"):
                        self.outcome.unconfirmed.append(incident_id)
        self.outcome.retried_records = len(self._failed_once)
        self.outcome.stuck = _stuck_incidents(self.stack.table_name)


def _stuck_incidents(table_name: str) -> list[str]:
    from probewatch.store.table import dynamodb_table

    table = dynamodb_table(table_name)
    stuck = []
    # The whole table, once, at the end of a test run: not a hot path.
    for item in table.scan().get("Items", []):
        incident = str(item.get("PK", "")).startswith("INC#") and item.get("SK") == "INCIDENT"
        if incident and item.get("status") in ("queued", "open", "held"):
            stuck.append(str(item.get("PK")))
    return stuck


def run_pipeline(
    faults: Callable[[LocalStack, RdapServer, DnsServer], Any] | None = None, redeliver: int = 1
) -> Outcome:
    """One full run on a fresh stack; `faults(stack, rdap, dns)` returns a context manager
    active for the whole run (or None)."""
    from contextlib import nullcontext

    with local_stack() as (stack, rdap, dns):
        context = faults(stack, rdap, dns) if faults else None
        with context if context is not None else nullcontext():
            return Driver(stack, redeliver).run()
