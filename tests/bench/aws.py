"""What the AWS-facing benchmarks share: a moto stack built from the template, a counter of
every AWS request (by operation, with DynamoDB write units), and generated alert emails.

Requests are counted with botocore's own event hooks on boto3's default session (the session
every probewatch module uses), so what is counted is exactly what the code sends.
"""

from __future__ import annotations

import base64
import json
import math
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

FAKE_AWS_ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_SESSION_TOKEN": "bench",
}
NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
REPORTER = "alice@example.net"
INBOUND = "report@probes.example.org"
PORTS = [22, 23, 80, 443, 445, 3389, 8080, 5900]


# --- environment and the moto stack --------------------------------------------------------


@contextmanager
def scoped_env(values: dict[str, str], drop: tuple[str, ...] = ()) -> Iterator[None]:
    """Set env vars for the block and put every one back afterwards."""
    names = [*values, *drop]
    saved = {name: os.environ.get(name) for name in names}
    for name in drop:
        os.environ.pop(name, None)
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def forget_cached_clients() -> None:
    """probewatch caches settings and boto3 handles per process; each stack needs fresh ones."""
    from probewatch.config import get_settings
    from probewatch.store.raw_mail import s3_client
    from probewatch.store.table import dynamodb_table

    get_settings.cache_clear()
    dynamodb_table.cache_clear()
    s3_client.cache_clear()
    for module, name in (("probewatch.reporter_mail", "_sesv2"), ("probewatch.sending", "aws_client")):
        try:
            cached = getattr(__import__(module, fromlist=[name]), name)
        except (ImportError, AttributeError):
            continue
        if hasattr(cached, "cache_clear"):
            cached.cache_clear()


@contextmanager
def moto_stack(extra_env: dict[str, str] | None = None) -> Iterator[tuple[Any, RequestCounter]]:
    """moto's in-process mock_aws with the template's resources (as tests/integration's
    `aws_stack` fixture builds them); every PROBEWATCH_* setting points at them. Yields the
    stack and a RequestCounter installed before any probewatch client exists."""
    import boto3
    import moto

    from probewatch.local.resources import create_stack

    with scoped_env(FAKE_AWS_ENV, drop=("AWS_ENDPOINT_URL", "AWS_PROFILE")):
        forget_cached_clients()
        boto3.DEFAULT_SESSION = None  # a fresh default session inside the mock
        counter = RequestCounter()
        try:
            with moto.mock_aws():
                stack = create_stack()  # its own session: not counted
                with scoped_env({**stack.env(), **(extra_env or {})}):
                    forget_cached_clients()
                    with counter:
                        yield stack, counter
        finally:
            forget_cached_clients()
            boto3.DEFAULT_SESSION = None


def register_reporter(table_name: str, email: str = REPORTER, tz: str = "UTC") -> None:
    from probewatch.model import Reporter
    from probewatch.store.reporters import put_reporter

    put_reporter(table_name, Reporter(email=email, tz=tz))


# --- counting requests -----------------------------------------------------------------------


def item_size(item: dict[str, Any]) -> int:
    """DynamoDB's item size: attribute name bytes plus value bytes (wire-format item)."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: dict[str, Any]) -> int:
    kind, inner = next(iter(value.items()))
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        digits = inner.lstrip("-").replace(".", "").strip("0") or "0"
        return math.ceil(len(digits) / 2) + 1
    if kind == "B":
        return len(base64.b64decode(inner))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + _value_size(v) + 1 for k, v in inner.items())
    if kind == "L":
        return 3 + sum(_value_size(v) + 1 for v in inner)
    if kind in ("SS", "BS"):
        return sum(len(v.encode()) for v in inner)
    if kind == "NS":
        return sum(_value_size({"N": v}) for v in inner)
    return 0


def write_units(size: int) -> int:
    """1 WCU per started 1 KB of item (standard writes)."""
    return max(1, math.ceil(size / 1024))


@dataclass
class Tally:
    """Requests by "service.Operation", DynamoDB items written and their write units, and
    wall time spent inside AWS calls (botocore's before-call .. after-call)."""

    requests: Counter[str] = field(default_factory=Counter)
    items_written: int = 0
    event_items: int = 0
    write_units: int = 0
    event_write_units: int = 0
    index_key_writes: int = 0  # writes that set GSI1 keys (an index write costs units too)
    call_seconds: float = 0.0

    def dynamodb(self, operation: str | None = None) -> int:
        if operation:
            return self.requests[f"dynamodb.{operation}"]
        return sum(n for k, n in self.requests.items() if k.startswith("dynamodb."))

    def dynamodb_writes(self) -> int:
        return sum(self.dynamodb(op) for op in WRITE_OPERATIONS)

    def summary(self) -> str:
        ops = sorted((k.removeprefix("dynamodb."), n) for k, n in self.requests.items()
                     if k.startswith("dynamodb."))
        return ", ".join(f"{op} {n}" for op, n in ops) or "none"


WRITE_OPERATIONS = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")


class RequestCounter:
    """Counts every AWS request made through boto3's default session while active.

    Install it before the code under test creates its clients (clients copy the session's
    event hooks when they are created)."""

    def __init__(self) -> None:
        self.tally = Tally()
        self._lock = threading.Lock()
        self._session: Any = None

    def install(self) -> RequestCounter:
        import boto3

        if boto3.DEFAULT_SESSION is None:
            boto3.setup_default_session()
        self._session = boto3.DEFAULT_SESSION
        events = self._session.events
        events.register("before-call", self._before)
        events.register("after-call", self._after)
        return self

    def uninstall(self) -> None:
        if self._session is not None:
            self._session.events.unregister("before-call", self._before)
            self._session.events.unregister("after-call", self._after)
            self._session = None

    def __enter__(self) -> RequestCounter:
        return self.install()

    def __exit__(self, *exc: object) -> None:
        self.uninstall()

    @contextmanager
    def phase(self) -> Iterator[Tally]:
        """A fresh tally for the block (the tally object is filled in as calls happen)."""
        with self._lock:
            self.tally = Tally()
            tally = self.tally
        try:
            yield tally
        finally:
            with self._lock:
                self.tally = Tally()  # what happens after the block counts elsewhere

    def _before(self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["bench_started"] = time.perf_counter()
        service = model.service_model.service_name
        with self._lock:
            self.tally.requests[f"{service}.{model.name}"] += 1
        if service == "dynamodb" and model.name in WRITE_OPERATIONS:
            self._count_writes(model.name, params)

    def _after(self, context: dict[str, Any], **_: Any) -> None:
        started = context.get("bench_started")
        if started is not None:
            with self._lock:
                self.tally.call_seconds += time.perf_counter() - started

    def _count_writes(self, operation: str, params: dict[str, Any]) -> None:
        body = params.get("body")
        if not body:
            return
        request = json.loads(body)
        items: list[dict[str, Any]] = []
        if operation == "PutItem":
            items.append(request["Item"])
        elif operation == "BatchWriteItem":
            for requests in request["RequestItems"].values():
                for entry in requests:
                    put = entry.get("PutRequest")
                    items.append(put["Item"] if put else entry["DeleteRequest"]["Key"])
        elif operation in ("UpdateItem", "DeleteItem"):
            # The written item is at least its key and the values set; a conservative size.
            values = request.get("ExpressionAttributeValues", {})
            items.append({**request["Key"], **{k.lstrip(":"): v for k, v in values.items()}})
            if "GSI1PK" in json.dumps(request.get("ExpressionAttributeNames", {})):
                with self._lock:
                    self.tally.index_key_writes += 1
        elif operation == "TransactWriteItems":
            for entry in request["TransactItems"]:
                for kind in ("Put", "Update", "Delete", "ConditionCheck"):
                    if kind in entry:
                        items.append(entry[kind].get("Item") or entry[kind].get("Key", {}))
        with self._lock:
            for item in items:
                units = write_units(item_size(item))
                self.tally.items_written += 1
                self.tally.write_units += units
                if item.get("SK", {}).get("S", "").startswith("EVT#"):
                    self.tally.event_items += 1
                    self.tally.event_write_units += units
                if operation != "UpdateItem" and "GSI1PK" in item:
                    self.tally.index_key_writes += 1


# --- generated emails ------------------------------------------------------------------------


def distinct_sources(count: int, networks: int = 50, seed: int = 5) -> list[str]:
    """`count` distinct addresses spread over the backtrace bench's synthetic networks
    (81.<10+n>.16.0/20, served by the loopback RDAP server)."""
    rng = random.Random(seed)
    found: dict[str, None] = {}
    n = 0
    while len(found) < count:
        found[f"81.{10 + n % networks}.{rng.randint(16, 31)}.{rng.randint(1, 254)}"] = None
        n += 1
    return list(found)


def netfilter_lines(count: int, sources: list[str], end: datetime, seed: int = 1,
                    spread: timedelta = timedelta(hours=2)) -> list[str]:
    """`count` UFW block lines from `sources` (round robin), timed over `spread` before `end`."""
    rng = random.Random(seed)
    step = spread / max(count, 1)
    lines = []
    for n in range(count):
        moment = end - spread + step * n
        lines.append(
            f"{moment:%b %d %H:%M:%S} gw kernel: [UFW BLOCK] IN=eth0 OUT= "
            f"MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 SRC={sources[n % len(sources)]} "
            f"DST=203.0.113.7 LEN=44 TOS=0x00 PREC=0x00 TTL=241 ID={rng.randint(1, 65535)} "
            f"PROTO=TCP SPT={rng.randint(1024, 65535)} DPT={PORTS[n % len(PORTS)]} "
            "WINDOW=1024 RES=0x00 SYN URGP=0"
        )
    return lines


def alert_email(lines: list[str], *, received: datetime = NOW, sender: str = REPORTER,
                message_id: str = "bench-1@mail.example.net", attach: bool = True) -> bytes:
    """An email as SES stores it (its Received and verdict headers on top, SPF/DKIM/DMARC
    pass) carrying the lines as a base64 .log attachment, or inline."""
    stamp = received.strftime("%a, %d %b %Y %H:%M:%S +0000")
    domain = sender.split("@", 1)[1]
    head = (
        f"Return-Path: <{sender}>\r\n"
        f"Received: from mail-out.{domain} (mail-out.{domain} [209.85.128.52]) by "
        f"inbound-smtp.us-east-1.amazonaws.com with SMTP id bench for {INBOUND}; {stamp}\r\n"
        "X-SES-Spam-Verdict: PASS\r\nX-SES-Virus-Verdict: PASS\r\n"
        f"Authentication-Results: amazonses.com;\r\n spf=pass smtp.mailfrom={sender};\r\n"
        f" dkim=pass header.i=@{domain};\r\n dmarc=pass header.from={domain};\r\n"
        f"From: Alice Example <{sender}>\r\nTo: {INBOUND}\r\nSubject: firewall log\r\n"
        f"Date: {stamp}\r\nMessage-ID: <{message_id}>\r\nMIME-Version: 1.0\r\n"
    )
    text = "\n".join(lines) + "\n"
    if not attach:
        return (head + "Content-Type: text/plain; charset=UTF-8\r\n\r\n" + text).encode()
    encoded = base64.encodebytes(text.encode()).decode().replace("\n", "\r\n")
    return (
        head + 'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nLog attached.\r\n\r\n"
        '--b1\r\nContent-Type: text/plain; charset=UTF-8; name="ufw.log"\r\n'
        'Content-Disposition: attachment; filename="ufw.log"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n" + encoded + "--b1--\r\n"
    ).encode()


# --- the rest of the pipeline ----------------------------------------------------------------


@contextmanager
def backtrace_fixtures(networks: int = 50, zone: dict[str, Any] | None = None) -> Iterator[Any]:
    """Loopback RDAP (the backtrace bench's synthetic networks) and DNS servers; yields the
    env that points the backtrace at them, plus the servers (for their request counters)."""
    from probewatch.local.backtrace_bench import synthetic_network
    from probewatch.local.dns_server import DnsServer
    from probewatch.local.rdap_server import RdapFixtures, RdapServer

    fixtures = RdapFixtures(synthetic_network(i) for i in range(networks))
    with DnsServer(zone or {"records": {}}) as dns, RdapServer(fixtures) as rdap:
        env = {"PROBEWATCH_DNS_SERVERS": dns.address, "PROBEWATCH_RDAP_URL": rdap.url}
        yield env, dns, rdap


def send_queued(stack: Any) -> int:
    """Hand every message on the send queue to the real send function, as the send handler
    does (probewatch.sending.send_incident); returns how many were sent."""
    import boto3

    from probewatch.config import SendSettings, get_settings
    from probewatch.sending import send_incident

    sqs = boto3.client("sqs")
    settings = get_settings(SendSettings)
    sent = 0
    while True:
        messages = sqs.receive_message(QueueUrl=stack.send_queue_url,
                                       MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return sent
        for message in messages:
            body = json.loads(message["Body"])
            outcome = send_incident(str(body["incident_id"]), int(body["attempt"]), settings)
            sent += outcome.status == "sent"
            sqs.delete_message(QueueUrl=stack.send_queue_url, ReceiptHandle=message["ReceiptHandle"])
