"""Shared by the aggregate integration tests: events stored the way the ingest stage stores
them (its own store functions), a backtracer stand-in, and a DynamoDB request counter."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from probewatch.backtrace import BacktraceResult
from probewatch.backtrace.special import reportable_reason
from probewatch.config import AggregateSettings, get_settings
from probewatch.errors import LookupFailed
from probewatch.model import Contact, ProbeEvent
from probewatch.store.events import mark_sources_active, put_events
from probewatch.store.table import dynamodb_table

T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def probe(
    src: str, minute: float, port: int = 22, reporter: str = "alice@example.org", **kw: Any
) -> ProbeEvent:
    base = ProbeEvent(
        time=T0 + timedelta(minutes=minute),
        src_ip=src,
        src_port=40000 + int(minute),
        dst_ip="24.60.11.22",
        dst_port=port,
        proto="TCP",
        action="block",
        format="netfilter",
        raw=f"IN=eth0 SRC={src} DST=24.60.11.22 PROTO=TCP DPT={port} SYN m={minute}",
        tcp_flags="SYN",
        reporter=reporter,
    )
    return replace(base, **kw)


def store_events(
    table: str, events: Iterable[ProbeEvent], submission: str, now: datetime, *, active: bool = True
) -> None:
    """As the ingest stage does: the events, then one "has new activity" flag per source."""
    events = list(events)
    put_events(table, events, submission)
    if active:
        newest: dict[str, datetime] = {}
        for e in events:
            assert e.time is not None
            newest[e.src_ip] = max(newest.get(e.src_ip, e.time), e.time)
        mark_sources_active(table, newest, now)


class FakeBacktracer:
    """Answers like probewatch.backtrace.Backtracer without DNS or RDAP: every public address
    belongs to one ISP. `fail` makes it raise LookupFailed, as a registry timeout would."""

    def __init__(self, *, ptr: str | None = None, fail: bool = False, lie: bool = False) -> None:
        self.ptr = ptr
        self.fail = fail
        self.lie = lie  # claim every address is reportable (a broken backtrace)
        self.traced: list[str] = []

    def trace(self, ip: str) -> BacktraceResult:
        self.traced.append(ip)
        if self.fail:
            raise LookupFailed("rdap: timed out")
        reason = None if self.lie else reportable_reason(ip)
        if reason is not None:
            return BacktraceResult(ip=ip, reportable=False, reason=reason)
        return BacktraceResult(
            ip=ip,
            reportable=True,
            ptr=self.ptr,
            domain="isp.example",
            network={"cidr": "81.2.0.0/16", "name": "ISP-NET", "rir": "ripe", "asn": 64500},
            contacts=[Contact("abuse@isp.example", "rdap", 0.9)],
        )


def settings(**overrides: Any) -> AggregateSettings:
    """The stack's settings, with one reporter's volume counting as corroboration: these
    tests follow an incident's life with one reporter's SYNs (`probe`). The default, where
    it does not count, is tested in test_aggregate_evidence.py."""
    base = get_settings(AggregateSettings)
    return base.model_copy(update={"single_reporter_volume": True, **overrides})


def queue_bodies(queue_url: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    bodies: list[dict[str, Any]] = []
    while True:
        got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        messages = got.get("Messages", [])
        if not messages:
            return bodies
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


@contextmanager
def count_dynamodb_requests(table: str) -> Iterator[Counter[str]]:
    """Every request the shared DynamoDB client sends, by operation, while the block runs."""
    counts: Counter[str] = Counter()
    events = dynamodb_table(table).meta.client.meta.events

    def count(model: Any, **_: Any) -> None:
        counts[model.name] += 1

    events.register("before-call.dynamodb", count)
    try:
        yield counts
    finally:
        events.unregister("before-call.dynamodb", count)
