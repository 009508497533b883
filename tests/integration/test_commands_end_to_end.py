"""Commands by reply, end to end on the local stack (issue 7): each mail goes the way SES
delivers it (S3 put -> notification on the ingest queue -> functions/ingest), the effect is
checked in the table and the confirmation in what SES sent. A held incident is made the real
way: a forwarded log from a reporter with review on, then an aggregate run."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from aggregate_helpers import FakeBacktracer, queue_bodies
from aggregate_helpers import settings as aggregate_settings
from ingest_helpers import all_items, deliver, ingest_app, replies_sent, run_ingest

from probewatch.aggregate_run import run_aggregate
from probewatch.clock import frozen
from probewatch.model import Reporter
from probewatch.store.incidents import get_incident
from probewatch.store.reporters import get_reporter, put_reporter, read_log

ALICE = "alice@example.net"
T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
SOURCE = "81.2.69.160"
_numbers = itertools.count(1)

GOOD = {"spf": "pass", "dkim": "pass", "dmarc": "pass"}
BAD = {"spf": "fail", "dkim": "fail", "dmarc": "none"}


def raw_mail(subject: str, body: str, when: datetime, auth: dict[str, str] = GOOD) -> bytes:
    """Alice's mail as SES stores it: its receipt and verdict headers on top."""
    number = next(_numbers)
    stamp = format_datetime(when)
    lines = [
        "Received: from mx.example.net by inbound-smtp.us-east-1.amazonaws.com with SMTP id "
        f"c{number}; {stamp}",
        "X-SES-Spam-Verdict: PASS",
        "X-SES-Virus-Verdict: PASS",
        f"Authentication-Results: amazonses.com; spf={auth['spf']} smtp.mailfrom={ALICE}; "
        f"dkim={auth['dkim']} header.i=@example.net; dmarc={auth['dmarc']} header.from=example.net",
        f"From: Alice <{ALICE}>",
        "To: alerts@probewatch.example",
        f"Subject: {subject}",
        f"Message-ID: <cmd{number}@example.net>",
        f"Date: {stamp}",
        "Content-Type: text/plain; charset=utf-8",
        "",
        body,
        "",
    ]
    return "\r\n".join(lines).encode()


def probes(start: datetime) -> str:
    """Six blocked SYNs from one public source to six ports: corroborated by volume."""
    out = []
    for n, port in enumerate((22, 23, 25, 445, 1433, 3389)):
        t = start + timedelta(minutes=n)
        out.append(
            f"{t:%b %d %H:%M:%S} nas kernel: [UFW BLOCK] IN=eth0 OUT= "
            f"MAC=52:54:00:3a:1c:9e:00:1f:ca:b2:40:01:08:00 SRC={SOURCE} DST=24.60.11.22 "
            f"LEN=60 TOS=0x00 PREC=0x00 TTL=49 ID=0 DF PROTO=TCP SPT={40000 + n} DPT={port} "
            "WINDOW=29200 RES=0x00 SYN URGP=0"
        )
    return "\n".join(out)


@pytest.fixture
def stack(aws_stack: Any) -> Iterator[Any]:
    put_reporter(aws_stack.table_name, Reporter(email=ALICE, tz="UTC", tz_declared=True))
    yield aws_stack


def send(stack: Any, app: Any, raw: bytes, when: datetime) -> None:
    with frozen(when):
        records = deliver(stack, f"raw/cmd-{next(_numbers)}", raw)
        assert records, "S3 did not notify the ingest queue"
        assert run_ingest(app, records) == {"batchItemFailures": []}


def last_reply() -> str:
    reply = replies_sent()[-1]
    assert set(reply.destinations) == {ALICE}
    return str(reply.raw_data)


def test_commands_by_mail_through_the_ingest_handler(stack: Any) -> None:
    app = ingest_app()
    table = stack.table_name
    t = T0

    send(stack, app, raw_mail("SETTINGS mask=3 review=on", "", t), t)
    alice = get_reporter(table, ALICE)
    assert alice is not None and (alice.mask_octets, alice.review) == (3, True)
    assert "Settings saved" in last_reply()

    t += timedelta(minutes=1)
    send(stack, app, raw_mail("PAUSE", "", t), t)
    assert get_reporter(table, ALICE).status == "paused"  # type: ignore[union-attr]
    assert "Paused" in last_reply()
    # While paused, forwarded logs are not taken.
    t += timedelta(minutes=1)
    send(stack, app, raw_mail("Fwd: UFW", probes(t - timedelta(hours=1)), t), t)
    assert not [i for i in all_items(stack) if str(i["SK"]).startswith("EVT#")]

    t += timedelta(minutes=1)
    send(stack, app, raw_mail("Re: probewatch", "RESUME\n\n> quoted digest", t), t)
    assert get_reporter(table, ALICE).status == "active"  # type: ignore[union-attr]
    assert "Resumed" in last_reply()
    replies = len(replies_sent())

    # A forwarded log now becomes an incident, held for review because review is on.
    t += timedelta(minutes=1)
    send(stack, app, raw_mail("Fwd: UFW again", probes(t - timedelta(minutes=30)), t), t)
    t += timedelta(hours=2)  # past the quiet period
    with frozen(t):
        run_aggregate(aggregate_settings(), t, backtracer=FakeBacktracer())
    [held] = [e for e in read_log(table, ALICE, T0, t + timedelta(1)) if e["kind"] == "held"]
    incident_id = held["data"]["incident_id"]
    assert get_incident(table, incident_id).status == "held"  # type: ignore[union-attr]
    assert queue_bodies(stack.send_queue_url) == []
    # The forwarded log itself gets no reply; the one new mail is the review notice (issue 12):
    # the held report, at once, with how to cancel it.
    (notice,) = replies_sent()[replies:]
    assert incident_id in notice.raw_data and f"CANCEL {incident_id}" in notice.raw_data
    replies += 1

    # Forged mail (SPF and DKIM failed) changes nothing and is never answered.
    for subject in ("SETTINGS mask=2 review=off", "PAUSE", f"CANCEL {incident_id}", "STOP"):
        t += timedelta(minutes=1)
        send(stack, app, raw_mail(subject, "", t, auth=BAD), t)
    after = get_reporter(table, ALICE)
    assert after is not None
    assert (after.status, after.mask_octets, after.review) == ("active", 3, True)
    assert get_incident(table, incident_id).status == "held"  # type: ignore[union-attr]
    assert len(replies_sent()) == replies

    t += timedelta(minutes=1)
    send(stack, app, raw_mail("Re: probewatch digest", f"CANCEL {incident_id}", t), t)
    assert get_incident(table, incident_id).status == "cancelled"  # type: ignore[union-attr]
    assert "Cancelled" in last_reply()

    # The hold window ends: a cancelled incident is never queued for sending.
    t += timedelta(hours=13)
    with frozen(t):
        run_aggregate(aggregate_settings(), t, backtracer=FakeBacktracer())
    assert queue_bodies(stack.send_queue_url) == []
    assert get_incident(table, incident_id).status == "cancelled"  # type: ignore[union-attr]
