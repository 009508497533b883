"""The digest function on moto: who gets a digest, when (just after their own local
midnight, on an hourly schedule), what day it covers, and never the same day twice."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from reporter_mail_helpers import sent_mail, text_of

from probewatch.local.handlers import LambdaContext, load_handler
from probewatch.model import Reporter
from probewatch.store import reporters as store

REPO = Path(__file__).resolve().parents[2]
EVENT = json.loads((REPO / "events" / "schedule-digest.json").read_text())
NOW = datetime.fromisoformat(EVENT["time"].replace("Z", "+00:00"))  # 2026-11-26 00:05 UTC


def at(moment: datetime) -> dict[str, Any]:
    return dict(EVENT, time=moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))


def invoke(event: dict[str, Any] = EVENT) -> Any:
    return load_handler("digest").lambda_handler(event, LambdaContext())


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def hourly(first: datetime, last: datetime) -> dict[datetime, int]:
    """Run the schedule at every hour from `first` to `last`: digests sent per run."""
    sent, moment = {}, first
    while moment <= last:
        sent[moment] = invoke(at(moment))["digests_sent"]
        moment += timedelta(hours=1)
    return sent


def log_events(table: str, email: str, when: datetime, events: int) -> None:
    """One accepted submission of `events` events: distinct powers of ten make the digest's
    "events accepted" total show exactly which submissions its day held."""
    store.append_log(
        table,
        email,
        when,
        "submission",
        f"s-{when:%Y%m%d%H%M}",
        {"status": "accepted", "events_stored": events, "formats": {"netfilter": events}},
    )


def accepted(message: EmailMessage) -> int:
    match = re.search(r": (\d+) events accepted", str(message["Subject"]))
    assert match, message["Subject"]
    return int(match.group(1))


def digests_to(email: str) -> list[EmailMessage]:
    return [m for m in sent_mail() if m["To"] == email]


@pytest.fixture
def table(aws_stack: Any) -> str:
    table_name: str = aws_stack.table_name
    for reporter in (
        Reporter(email="ny@example.net", tz="America/New_York"),
        Reporter(email="berlin@example.net", tz="Europe/Berlin"),
        Reporter(email="paused@example.net", status="paused"),
        Reporter(email="nodigest@example.net", digest="off"),
        Reporter(email="stopped@example.net", status="stopped"),
        Reporter(email="quiet@example.net"),
    ):
        store.put_reporter(table_name, reporter)
    for email in ("paused@example.net", "nodigest@example.net", "stopped@example.net"):
        log_events(table_name, email, NOW - timedelta(hours=3), 7)
    return table_name


def test_each_reporter_gets_their_local_day_just_after_their_midnight(
    table: str, aws_stack: Any
) -> None:
    # New York's 25 November is 05:00 UTC on the 25th to 05:00 UTC on the 26th (EST).
    log_events(table, "ny@example.net", utc("2026-11-25T04:59:59"), 1)  # 23:59:59 the day before
    log_events(table, "ny@example.net", utc("2026-11-25T05:00:00"), 10)  # 00:00, the first second
    log_events(table, "ny@example.net", utc("2026-11-26T04:30:00"), 100)  # 23:30 local
    log_events(table, "ny@example.net", utc("2026-11-26T05:00:00"), 1000)  # the next day
    store.append_log(
        table,
        "ny@example.net",
        utc("2026-11-26T03:00:00"),
        "report-sent",
        "i-1",
        {"incident_id": "i-1", "src_ip": "192.0.2.1", "mailbox": "abuse@isp.example"},
    )
    # Berlin's 25 November is 23:00 UTC on the 24th to 23:00 UTC on the 25th (CET).
    log_events(table, "berlin@example.net", utc("2026-11-24T23:00:00"), 1)  # 00:00 local
    log_events(table, "berlin@example.net", utc("2026-11-25T22:59:00"), 10)  # 23:59 local
    log_events(table, "berlin@example.net", utc("2026-11-25T23:01:00"), 100)  # the 26th

    sent = hourly(utc("2026-11-25T20:05:00"), utc("2026-11-26T08:05:00"))
    # One run per midnight: Berlin's at 23:05 UTC, UTC's at 00:05, New York's at 05:05.
    assert {moment.hour: n for moment, n in sent.items() if n} == {23: 1, 0: 1, 5: 1}

    (berlin,) = digests_to("berlin@example.net")
    assert berlin["From"] == aws_stack.sender
    assert str(berlin["Subject"]).startswith("probewatch digest 2026-11-25:")
    assert accepted(berlin) == 11
    assert "From 2026-11-25 00:00 CET (23:00 UTC) to 2026-11-26 00:00 CET (23:00 UTC)" in (
        text_of(berlin)
    )

    (ny,) = digests_to("ny@example.net")
    assert ny.get_content_type() == "multipart/alternative"
    assert str(ny["Subject"]).startswith("probewatch digest 2026-11-25:")
    assert accepted(ny) == 110
    text = text_of(ny)
    assert "From 2026-11-25 00:00 EST (05:00 UTC) to 2026-11-26 00:00 EST (05:00 UTC)" in text
    assert "192.0.2.1" in text and "abuse@isp.example" in text
    assert "2026-11-25 22:00 EST (03:00 UTC)" in text  # the reporter's zone, UTC beside it

    (paused,) = digests_to("paused@example.net")  # paused still hears; off and stopped do not
    assert accepted(paused) == 7
    assert {m["To"] for m in sent_mail()} == {
        "ny@example.net",
        "berlin@example.net",
        "paused@example.net",
    }


def test_a_retried_or_overlapping_run_sends_nothing_twice(table: str) -> None:
    assert invoke() == {"digests_sent": 1}  # 00:05 UTC: the UTC reporters' midnight
    # EventBridge delivers the same scheduled event again: nobody gets a second copy.
    assert invoke() == {"digests_sent": 0}
    # A second schedule (or a hand-run invoke) within the same hour: still nothing.
    assert invoke(at(NOW + timedelta(minutes=30))) == {"digests_sent": 0}
    assert len(sent_mail()) == 1
    # Something new for the day already sent does not send that day again.
    log_events(table, "paused@example.net", NOW - timedelta(hours=1), 5)
    assert invoke() == {"digests_sent": 0}
    # The next midnight has nothing new: nothing is sent (the claims are not news).
    assert invoke(at(NOW + timedelta(days=1))) == {"digests_sent": 0}
    assert len(sent_mail()) == 1


@pytest.mark.parametrize(
    ("tz", "inside", "outside", "due", "window"),
    [
        # Berlin leaves summer time on 25 October 2026: a 25-hour day, 22:00 to 23:00 UTC.
        (
            "Europe/Berlin",
            ["2026-10-24T22:00:00", "2026-10-25T00:30:00", "2026-10-25T22:30:00"],
            ["2026-10-24T21:59:00", "2026-10-25T23:00:00"],
            "2026-10-25T23:05:00",
            "From 2026-10-25 00:00 CEST (22:00 UTC) to 2026-10-26 00:00 CET (23:00 UTC)",
        ),
        # New York starts summer time on 8 March 2026: a 23-hour day, 05:00 to 04:00 UTC.
        (
            "America/New_York",
            ["2026-03-08T05:00:00", "2026-03-08T07:30:00", "2026-03-09T03:59:00"],
            ["2026-03-08T04:59:00", "2026-03-09T04:00:00"],
            "2026-03-09T04:05:00",
            "From 2026-03-08 00:00 EST (05:00 UTC) to 2026-03-09 00:00 EDT (04:00 UTC)",
        ),
    ],
)
def test_a_day_when_the_clocks_change_is_one_whole_local_day(
    table: str, tz: str, inside: list[str], outside: list[str], due: str, window: str
) -> None:
    email = "dst@example.net"
    store.put_reporter(table, Reporter(email=email, tz=tz))
    for power, when in enumerate(inside + outside):
        log_events(table, email, utc(when), 10**power)
    due_at = utc(due)
    sent = hourly(due_at - timedelta(hours=3), due_at + timedelta(hours=3))
    assert [moment for moment, n in sent.items() if n] == [due_at]
    (digest,) = digests_to(email)
    assert accepted(digest) == sum(10**power for power in range(len(inside)))
    assert window in text_of(digest)


def test_empty_digests_when_the_operator_wants_them(
    table: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from probewatch.config import get_settings

    monkeypatch.setenv("PROBEWATCH_SEND_EMPTY_DIGESTS", "true")
    get_settings.cache_clear()
    assert invoke() == {"digests_sent": 2}  # the two UTC reporters who want one
    quiet = digests_to("quiet@example.net")
    assert len(quiet) == 1 and "No email arrived from you" in text_of(quiet[0])


def test_one_bad_profile_does_not_stop_the_others(table: str) -> None:
    store.put_reporter(table, Reporter(email="broken@example.net", tz="Not/AZone"))
    log_events(table, "broken@example.net", NOW - timedelta(hours=1), 1)
    assert invoke() == {"digests_sent": 1}
    assert "broken@example.net" not in {m["To"] for m in sent_mail()}
