"""Events that join an incident already reported: the reporter's log says how many, once,
and the digest explains that no second report was sent (issue 15)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from aggregate_helpers import T0, FakeBacktracer, probe, queue_bodies, settings, store_events

from probewatch.aggregate_run import run_aggregate
from probewatch.digest import build_digest
from probewatch.local.resources import LocalStack
from probewatch.model import Reporter
from probewatch.store.incidents import get_incident, save_incident
from probewatch.store.reporters import put_reporter, read_log

SRC = "81.2.69.142"
M = timedelta(minutes=1)
ALICE = Reporter(email="alice@example.org", public_ips=["24.60.11.22"])


@pytest.fixture
def table(aws_stack: LocalStack) -> str:
    put_reporter(aws_stack.table_name, ALICE)
    return aws_stack.table_name


def _log(table: str) -> list[dict[str, Any]]:
    return read_log(table, ALICE.email, T0 - timedelta(days=1), T0 + timedelta(days=5))


def test_absorbed_events_are_logged_once_and_explained(table: str, aws_stack: LocalStack) -> None:
    store_events(
        table, [probe(SRC, m, 20 + m, evidence="ids") for m in range(3)], "sub-1", T0 + 5 * M
    )
    run_aggregate(settings(), T0 + 70 * M, FakeBacktracer())
    queue_bodies(aws_stack.send_queue_url)
    incident = next(
        get_incident(table, line["ident"]) for line in _log(table) if line["kind"] == "decision"
    )
    assert incident is not None and incident.status == "queued"
    incident.status, incident.sent_at = "sent", incident.queued_at
    save_incident(table, incident)

    # Four more from the same source ten hours later: absorbed, not reported again.
    later = [probe(SRC, 600 + m, 30 + m, evidence="ids") for m in range(4)]
    store_events(table, later, "sub-2", T0 + 11 * 60 * M)
    run_aggregate(settings(), T0 + 13 * 60 * M, FakeBacktracer())
    run_aggregate(settings(), T0 + 14 * 60 * M, FakeBacktracer())  # nothing new: no new line
    assert queue_bodies(aws_stack.send_queue_url) == []
    added = [line for line in _log(table) if line["kind"] == "added"]
    assert [line["data"]["events"] for line in added] == [4]
    assert added[0]["data"]["incident_id"] == incident.incident_id

    message = build_digest(ALICE, T0 - timedelta(hours=1), T0 + timedelta(days=1), _log(table))
    assert message is not None
    body = message.get_body(("plain",))
    assert body is not None
    words = " ".join(body.get_content().split())
    assert "4 events came from addresses already reported; no second report was sent" in words
    assert f"Address: {SRC} Events added: 4" in words
