"""Issue 12: with the default settings, one reporter's spoofable packets (SYN, UDP) are never
reported however many there are; independent reporters or a completed handshake are needed,
and the reason is in the incident's decision, the reporter's log (digest) and the report."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aggregate_helpers import T0, FakeBacktracer, probe, queue_bodies, store_events

from probewatch.aggregate_run import run_aggregate
from probewatch.config import AggregateSettings, get_settings
from probewatch.local.resources import LocalStack
from probewatch.model import Reporter
from probewatch.report import report_text
from probewatch.store.incidents import get_incident
from probewatch.store.reporters import put_reporter, read_log

SRC = "81.2.69.142"
M = timedelta(minutes=1)


def _default() -> AggregateSettings:
    settings = get_settings(AggregateSettings)
    assert settings.single_reporter_volume is False  # the shipped default
    return settings


def _decision(table: str, email: str) -> dict[str, Any]:
    lines = read_log(table, email, T0 - timedelta(days=1), T0 + timedelta(days=3))
    [line] = [line for line in lines if line["kind"] in ("decision", "held")]
    return dict(line["data"])


def _only_incident(table: str, stack: LocalStack) -> Any:
    from probewatch.store import keys
    from probewatch.store.table import dynamodb_table

    item = dynamodb_table(table).get_item(
        Key={keys.PK: keys.source_pk(SRC), keys.SK: keys.SOURCE_INCIDENT_SK}
    )["Item"]
    return get_incident(table, str(item["incident_id"]))


def test_one_reporters_many_syns_are_not_reported(aws_stack: LocalStack) -> None:
    table = aws_stack.table_name
    put_reporter(table, Reporter("alice@example.org"))
    events = [probe(SRC, m, port) for m in range(5) for port in (22, 23, 80, 443)]
    store_events(table, events, "sub-1", T0 + 6 * M)
    run_aggregate(_default(), T0 + 70 * M, FakeBacktracer())
    incident = _only_incident(table, aws_stack)
    assert (incident.status, incident.decision_code) == ("not-reported", "uncorroborated")
    assert "may be forged" in incident.decision and "independent reporters" in incident.decision
    assert incident.evidence_code == "uncorroborated"
    assert queue_bodies(aws_stack.send_queue_url) == []
    decision = _decision(table, "alice@example.org")
    assert decision["code"] == "uncorroborated" and "forged" in decision["reason"]


def test_independent_reporters_or_a_handshake_are_reported_with_the_reason(
    aws_stack: LocalStack,
) -> None:
    table = aws_stack.table_name
    for email in ("alice@example.org", "bob@example.net"):
        put_reporter(table, Reporter(email))
    store_events(table, [probe(SRC, 0, 22)], "sub-a", T0 + 1 * M)
    store_events(
        table, [probe(SRC, 2, 23, reporter="bob@example.net", dst_ip="81.10.0.1")], "sub-b",
        T0 + 3 * M,
    )  # fmt: skip
    run_aggregate(_default(), T0 + 70 * M, FakeBacktracer())
    incident = _only_incident(table, aws_stack)
    assert incident.status == "queued"
    assert incident.evidence_code == "corroborated-reporters"
    assert "2 independent reporters" in incident.evidence_reason
    assert "independent reporters" in _decision(table, "bob@example.net")["reason"]
    assert "corroborated by 2 independent reporters" in " ".join(
        report_text(incident, []).split()
    )

    handshake = "81.2.69.200"
    store_events(table, [probe(handshake, 5, 22, evidence="established", tcp_flags=None)],
                 "sub-c", T0 + 6 * M)  # fmt: skip
    run_aggregate(_default(), T0 + 80 * M, FakeBacktracer())
    bodies = queue_bodies(aws_stack.send_queue_url)
    assert len(bodies) == 2  # the corroborated source and the handshake
