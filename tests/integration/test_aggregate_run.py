"""The aggregate run on moto: incidents from stored events to the send queue, and every way
an incident can end without a report."""

from __future__ import annotations

from datetime import timedelta
from email.utils import parseaddr
from typing import Any

import pytest
from aggregate_helpers import T0, FakeBacktracer, probe, queue_bodies, settings, store_events

from probewatch.aggregate_run import run_aggregate
from probewatch.local.resources import LocalStack
from probewatch.model import Reporter
from probewatch.report import report_text
from probewatch.store import keys
from probewatch.store.incidents import get_incident, save_incident
from probewatch.store.overview import count_active_sources
from probewatch.store.reporters import put_reporter, read_log
from probewatch.store.table import dynamodb_table

SRC = "81.2.69.142"
M = timedelta(minutes=1)


@pytest.fixture
def stack(aws_stack: LocalStack) -> LocalStack:
    for reporter in (
        Reporter(email="alice@example.org", public_ips=["24.60.11.22"]),
        Reporter(email="bob@example.net", review=True),
    ):
        put_reporter(aws_stack.table_name, reporter)
    return aws_stack


def _pointer(table: str, ip: str) -> str | None:
    item = (
        dynamodb_table(table)
        .get_item(Key={keys.PK: keys.source_pk(ip), keys.SK: keys.SOURCE_INCIDENT_SK})
        .get("Item")
    )
    return str(item["incident_id"]) if item else None


def _state(table: str, ip: str) -> dict[str, Any]:
    return dynamodb_table(table).get_item(
        Key={keys.PK: keys.source_pk(ip), keys.SK: keys.SOURCE_STATE_SK}
    )["Item"]


def _mark_sent(table: str, incident_id: str) -> None:
    """What the send function does once SES accepted the report."""
    incident = get_incident(table, incident_id)
    assert incident is not None and incident.status == "queued"
    incident.status, incident.sent_at = "sent", incident.queued_at
    save_incident(table, incident)


def _sent_mail() -> list[Any]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return list(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages)


def _log(table: str, email: str, kind: str) -> list[dict[str, Any]]:
    lines = read_log(table, email, T0 - timedelta(days=1), T0 + timedelta(days=30))
    return [line for line in lines if line["kind"] == kind]


def test_a_corroborated_source_is_queued_once_after_the_quiet_period(stack: LocalStack) -> None:
    table = stack.table_name
    store_events(
        table,
        [probe(SRC, m, port) for m, port in ((0, 22), (1, 23), (2, 80), (3, 443))],
        "sub-1",
        T0 + 5 * M,
    )
    tracer = FakeBacktracer()

    first = run_aggregate(settings(), T0 + 10 * M, tracer)
    assert (first.due, first.opened, first.queued) == (1, 1, 0)
    incident = get_incident(table, _pointer(table, SRC) or "")
    assert incident is not None and incident.status == "open"
    assert incident.dst_ports == [22, 23, 80, 443] and incident.event_count == 4
    assert incident.masked_destinations == ["24.60.0.0/16 (masked)"]
    assert _state(table, SRC)[keys.GSI1SK] == "2026-11-25T09:03:00Z"  # due when quiet
    assert tracer.traced == []  # nothing final: no lookups

    assert run_aggregate(settings(), T0 + 30 * M, tracer).due == 0  # not due: costs nothing

    final = run_aggregate(settings(), T0 + 64 * M, tracer)
    assert (final.finalized, final.queued) == (1, 1)
    assert queue_bodies(stack.send_queue_url) == [
        {"incident_id": incident.incident_id, "attempt": 0}
    ]
    incident = get_incident(table, incident.incident_id)
    assert incident is not None and incident.status == "queued"
    assert incident.evidence == "syn-only" and incident.decision_code == "corroborated-volume"
    assert incident.contacts[0].email == "abuse@isp.example"
    decision = _log(table, "alice@example.org", "decision")
    assert decision and decision[0]["data"]["status"] == "queued"

    # The send function delivers it; the next look clears the source's work-list entry.
    incident.status, incident.sent_at = "sent", T0 + 65 * M
    save_incident(table, incident)
    run_aggregate(settings(), T0 + 125 * M, tracer)
    assert count_active_sources(table) == 0
    assert queue_bodies(stack.send_queue_url) == []  # never enqueued twice

    # Seven quiet days later it closes.
    closing = run_aggregate(settings(), T0 + timedelta(days=7, hours=2), tracer)
    assert closing.closed == 1
    closed = get_incident(table, incident.incident_id)
    assert closed is not None and closed.status == "closed"


def test_reescalation_opens_a_new_incident_that_names_the_previous(stack: LocalStack) -> None:
    table = stack.table_name
    store_events(table, [probe(SRC, m, 20 + m) for m in range(3)], "sub-1", T0 + 5 * M)
    run_aggregate(settings(), T0 + 70 * M, FakeBacktracer())
    reported = get_incident(table, _pointer(table, SRC) or "")
    assert reported is not None and reported.status == "queued"
    queue_bodies(stack.send_queue_url)
    _mark_sent(table, reported.incident_id)

    # More from the same source 10 hours later: absorbed, no second report in the window.
    store_events(table, [probe(SRC, 600 + m, 30 + m) for m in range(3)], "sub-2", T0 + 11 * 60 * M)
    run_aggregate(settings(), T0 + 13 * 60 * M, FakeBacktracer())
    assert _pointer(table, SRC) == reported.incident_id
    assert queue_bodies(stack.send_queue_url) == []

    # Still at it 73 hours after the report: a new incident, reported again.
    later = 70 + 73 * 60
    store_events(
        table, [probe(SRC, later + m, 40 + m) for m in range(3)], "sub-3", T0 + (later + 5) * M
    )
    run_aggregate(settings(), T0 + (later + 70) * M, FakeBacktracer())
    newer = get_incident(table, _pointer(table, SRC) or "")
    assert newer is not None and newer.incident_id != reported.incident_id
    assert newer.previous_incident == reported.incident_id
    # Issue 12: the re-report cites the earlier report, in the text the desk gets.
    assert newer.previous_report == reported.incident_id
    text = " ".join(report_text(newer, []).split())
    assert f"Reported before as: {reported.incident_id}" in text
    assert newer.status == "queued" and newer.event_count == 3
    assert queue_bodies(stack.send_queue_url) == [{"incident_id": newer.incident_id, "attempt": 0}]


def test_filtered_sources_are_not_reported_and_reporters_learn_why(stack: LocalStack) -> None:
    table = stack.table_name
    events = [probe("10.0.0.5", m, 22 + m) for m in range(5)]  # private, with plenty of events
    events += [probe("81.2.69.150", m, 6881) for m in range(4)]  # BitTorrent
    events += [probe("81.2.69.151", m, 22 + m, evidence="ids") for m in range(3)]  # IDS, but...
    events[-1].action = "allow"  # ...one of them was allowed through
    store_events(table, events, "sub-1", T0 + 5 * M)
    tracer = FakeBacktracer(lie=True)  # even a backtrace that calls 10.0.0.5 reportable
    summary = run_aggregate(settings(), T0 + 70 * M, tracer)
    assert summary.not_reported == 2 and summary.queued == 1
    assert summary.filtered == {"allowed-connection": 1, "p2p": 4, "special-purpose-source": 5}
    private = get_incident(table, _pointer(table, "10.0.0.5") or "")
    assert private is not None and private.status == "not-reported"
    assert private.decision_code == "filtered" and "special-purpose-source 5" in private.decision
    assert "10.0.0.5" not in tracer.traced  # never looked up, never reported
    logged = _log(table, "alice@example.org", "filtered")
    counts: dict[str, int] = {}
    for line in logged:
        for code, n in line["data"]["counts"].items():
            counts[code] = counts.get(code, 0) + n
        assert all(line["data"]["examples"].values())  # one example line per reason
    assert counts == {"allowed-connection": 1, "p2p": 4, "special-purpose-source": 5}
    assert queue_bodies(stack.send_queue_url) == [
        {"incident_id": _pointer(table, "81.2.69.151"), "attempt": 0}
    ]
    # Runs that follow do not count the same dropped events again.
    store_events(table, [probe("81.2.69.150", 80, 6881)], "sub-2", T0 + 81 * M)
    again = run_aggregate(settings(), T0 + 85 * M, tracer)
    assert again.filtered == {"p2p": 1}


def test_a_lone_syn_waits_for_corroboration(stack: LocalStack) -> None:
    table = stack.table_name
    store_events(table, [probe(SRC, 0)], "sub-1", T0 + 5 * M)
    run_aggregate(settings(), T0 + 70 * M, FakeBacktracer())
    incident = get_incident(table, _pointer(table, SRC) or "")
    assert incident is not None and incident.status == "not-reported"
    assert incident.decision_code == "uncorroborated" and "spoof" in incident.decision
    assert count_active_sources(table) == 0

    # A second reporter elsewhere sees the same source: now it is corroborated.
    store_events(
        table,
        [probe(SRC, 90, reporter="bob@example.net", dst_ip="81.10.0.1")],
        "sub-2",
        T0 + 95 * M,
    )
    run_aggregate(settings(), T0 + 160 * M, FakeBacktracer())
    again = get_incident(table, incident.incident_id)
    assert again is not None and again.status == "held"  # bob reviews his reports first
    assert again.decision_code == "held-for-review" and again.reporters == [
        "alice@example.org",
        "bob@example.net",
    ]
    held = _log(table, "bob@example.net", "held")
    assert held and held[0]["data"]["cancel"] == f"CANCEL {again.incident_id}"


def test_review_hold_then_queue_unless_cancelled(stack: LocalStack) -> None:
    table = stack.table_name
    kept, cancelled = "81.2.69.160", "81.2.69.161"
    events = [
        probe(ip, m, 22 + m, reporter="bob@example.net")
        for ip in (kept, cancelled)
        for m in range(3)
    ]
    store_events(table, events, "sub-1", T0 + 5 * M)
    run_aggregate(settings(), T0 + 70 * M, FakeBacktracer())
    for ip in (kept, cancelled):
        incident = get_incident(table, _pointer(table, ip) or "")
        assert incident is not None and incident.status == "held"
        assert incident.hold_until == T0 + 70 * M + timedelta(hours=12)
        # Issue 12: bob is told at once, with the report's text and how to CANCEL it.
        assert incident.review_notified_at == T0 + 70 * M
        notice = next(m for m in _sent_mail() if incident.incident_id in m.raw_data)
        assert {parseaddr(d)[1] for d in notice.destinations} == {"bob@example.net"}
        assert f"CANCEL {incident.incident_id}" in notice.raw_data
        assert "appears to be originating from your network" in " ".join(
            notice.raw_data.split()
        )
    assert queue_bodies(stack.send_queue_url) == []

    # bob cancels one (the commands stage does exactly this).
    victim = get_incident(table, _pointer(table, cancelled) or "")
    assert victim is not None
    victim.status = "cancelled"
    save_incident(table, victim)

    assert run_aggregate(settings(), T0 + 70 * M + timedelta(hours=11), FakeBacktracer()).due == 0
    run_aggregate(settings(), T0 + 70 * M + timedelta(hours=12, minutes=1), FakeBacktracer())
    assert queue_bodies(stack.send_queue_url) == [
        {"incident_id": _pointer(table, kept), "attempt": 0}
    ]
    done = get_incident(table, victim.incident_id)
    assert done is not None and done.status == "cancelled"
    assert count_active_sources(table) == 1  # the queued one, until the send function has it


def test_a_failed_lookup_leaves_the_incident_pending(stack: LocalStack) -> None:
    table = stack.table_name
    store_events(table, [probe(SRC, m, 22 + m) for m in range(3)], "sub-1", T0 + 5 * M)
    failed = run_aggregate(settings(), T0 + 70 * M, FakeBacktracer(fail=True))
    assert failed.lookup_pending == 1 and failed.queued == 0
    incident = get_incident(table, _pointer(table, SRC) or "")
    assert incident is not None and incident.status == "open"
    assert incident.decision_code == "lookup-pending"
    assert queue_bodies(stack.send_queue_url) == []
    retried = run_aggregate(settings(), T0 + 85 * M, FakeBacktracer())
    assert retried.queued == 1


def test_verified_crawler_is_dropped_after_the_backtrace(stack: LocalStack) -> None:
    table = stack.table_name
    store_events(table, [probe(SRC, m, 80 + m) for m in range(4)], "sub-1", T0 + 5 * M)
    summary = run_aggregate(
        settings(), T0 + 70 * M, FakeBacktracer(ptr="crawl-81-2-69-142.googlebot.com")
    )
    assert summary.queued == 0 and summary.filtered == {"web-crawler": 4}
    incident = get_incident(table, _pointer(table, SRC) or "")
    assert incident is not None and incident.status == "not-reported"
    assert incident.filtered == {"web-crawler": 4}


def test_time_budget_defers_the_rest_to_the_next_run(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = stack.table_name
    store_events(table, [probe(f"81.2.70.{n}", 0) for n in range(1, 6)], "sub-1", T0 + 5 * M)
    ticks = iter(range(1000))
    monkeypatch.setattr("probewatch.aggregate_run.time.monotonic", lambda: float(next(ticks)))
    # A budget of ~2 "seconds": the fake clock advances one second per look at it.
    partial = run_aggregate(settings(time_budget_seconds=3), T0 + 10 * M, FakeBacktracer())
    assert partial.processed >= 1 and partial.deferred >= 1
    assert partial.processed + partial.deferred == 5
    monkeypatch.undo()
    rest = run_aggregate(settings(), T0 + 11 * M, FakeBacktracer())
    assert rest.due == partial.deferred and rest.processed == partial.deferred


def test_the_scheduled_handler_runs_at_the_events_time(stack: LocalStack) -> None:
    from probewatch.local.handlers import run_aggregate as invoke_handler

    store_events(stack.table_name, [probe(SRC, 0)], "sub-1", T0 + 5 * M)
    result = invoke_handler(T0 + 10 * M)  # EventBridge's scheduled event, handler in-process
    assert result["due"] == 1 and result["opened"] == 1 and result["errors"] == 0
    incident = get_incident(stack.table_name, _pointer(stack.table_name, SRC) or "")
    assert incident is not None and incident.decision.startswith("collecting events")
