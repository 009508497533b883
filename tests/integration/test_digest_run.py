"""The digest function on moto: who gets a digest, what it holds, and no duplicates."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from reporter_mail_helpers import sent_mail, text_of

from probewatch.local.handlers import LambdaContext, load_handler
from probewatch.model import Reporter
from probewatch.store import reporters as store

REPO = Path(__file__).resolve().parents[2]
EVENT = json.loads((REPO / "events" / "schedule-digest.json").read_text())
NOW = datetime.fromisoformat(EVENT["time"].replace("Z", "+00:00"))


def invoke(event: dict[str, Any] = EVENT) -> Any:
    return load_handler("digest").lambda_handler(event, LambdaContext())


@pytest.fixture
def table(aws_stack: Any) -> str:
    table_name: str = aws_stack.table_name
    people = {
        "alice@example.net": Reporter(email="alice@example.net", tz="Europe/Berlin"),
        "paused@example.net": Reporter(email="paused@example.net", status="paused"),
        "nodigest@example.net": Reporter(email="nodigest@example.net", digest="off"),
        "stopped@example.net": Reporter(email="stopped@example.net", status="stopped"),
        "quiet@example.net": Reporter(email="quiet@example.net"),
    }
    for reporter in people.values():
        store.put_reporter(table_name, reporter)
        if reporter.email != "quiet@example.net":
            store.append_log(
                table_name,
                reporter.email,
                NOW - timedelta(hours=3),
                "submission",
                "s1",
                {
                    "status": "accepted",
                    "events_stored": 7,
                    "formats": {"netfilter": 7},
                    "subject": "Fwd: alert",
                },
            )
    # Outside the 24 hours: belongs to yesterday's digest.
    store.append_log(
        table_name,
        "alice@example.net",
        NOW - timedelta(hours=25),
        "submission",
        "s0",
        {"status": "accepted", "events_stored": 1000},
    )
    store.append_log(
        table_name,
        "alice@example.net",
        NOW - timedelta(hours=2),
        "report-sent",
        "i-1",
        {"incident_id": "i-1", "src_ip": "192.0.2.1", "mailbox": "abuse@isp.example"},
    )
    return table_name


def test_scheduled_run_sends_each_due_digest_once(table: str, aws_stack: Any) -> None:
    assert invoke() == {"digests_sent": 2}
    messages = {m["To"]: m for m in sent_mail()}
    assert set(messages) == {"alice@example.net", "paused@example.net"}
    alice = messages["alice@example.net"]
    assert alice["From"] == aws_stack.sender
    assert alice.get_content_type() == "multipart/alternative"
    text = text_of(alice)
    assert "Events accepted                  7" in text  # the 1000 from yesterday are not here
    assert "192.0.2.1" in text and "abuse@isp.example" in text
    assert "2026-11-25 22:10 CET (21:10 UTC)" in text  # the reporter's zone, UTC beside it

    # EventBridge retries the same scheduled event: nobody gets a second copy.
    assert invoke() == {"digests_sent": 0}
    assert len(sent_mail()) == 2
    # The next day has nothing new: nothing is sent (the "sent" markers are not news).
    tomorrow = dict(EVENT, time=(NOW + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert invoke(tomorrow) == {"digests_sent": 0}


def test_empty_digests_when_the_operator_wants_them(
    table: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from probewatch.config import get_settings

    monkeypatch.setenv("PROBEWATCH_SEND_EMPTY_DIGESTS", "true")
    get_settings.cache_clear()
    assert invoke() == {"digests_sent": 3}
    quiet = [m for m in sent_mail() if m["To"] == "quiet@example.net"]
    assert len(quiet) == 1 and "No email arrived from you" in text_of(quiet[0])


def test_one_bad_profile_does_not_stop_the_others(table: str) -> None:
    store.put_reporter(table, Reporter(email="broken@example.net", tz="Not/AZone"))
    store.append_log(
        table,
        "broken@example.net",
        NOW - timedelta(hours=1),
        "submission",
        "s",
        {"status": "accepted", "events_stored": 1},
    )
    assert invoke() == {"digests_sent": 2}
    assert "broken@example.net" not in {m["To"] for m in sent_mail()}
