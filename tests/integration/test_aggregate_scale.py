"""A run's DynamoDB requests grow with the sources that are due, never with the table's size.

Hundreds of sources and several reporters on moto; every request the DynamoDB client sends is
counted with a botocore `before-call` hook. The figures are printed (pytest -s) for the report.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from aggregate_helpers import (
    T0,
    FakeBacktracer,
    count_dynamodb_requests,
    probe,
    queue_bodies,
    settings,
    store_events,
)

from probewatch.aggregate_run import run_aggregate
from probewatch.local.resources import LocalStack
from probewatch.model import Reporter
from probewatch.store.reporters import put_reporter

M = timedelta(minutes=1)
REPORTERS = [f"reporter{n}@example.org" for n in range(4)]


def _sources(prefix: str, count: int) -> list[str]:
    return [f"{prefix}.{n // 250}.{n % 250 + 1}" for n in range(count)]


def _store(table: str, ips: list[str], submission: str, *, events_each: int, active: bool) -> None:
    events = [
        probe(
            ip,
            m,
            22 + m,
            reporter=REPORTERS[(i + m) % len(REPORTERS)],
            dst_ip=f"24.{60 + (i + m) % len(REPORTERS)}.11.22",
        )
        for i, ip in enumerate(ips)
        for m in range(events_each)
    ]
    store_events(table, events, submission, T0 + 5 * M, active=active)


def _run(table: str, minutes: int) -> tuple[Counter[str], int]:
    with count_dynamodb_requests(table) as counts:
        summary = run_aggregate(settings(), T0 + minutes * M, FakeBacktracer())
    assert summary.errors == 0 and summary.conflicts == 0
    return Counter(counts), summary.processed


@pytest.fixture
def fast_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto sorts the whole table on every Query (DynamoDB reads one partition); its query
    code sorts the matches again itself, so skipping that first sort changes no answer and
    keeps this test fast. Requests are counted on the client, so the counts are unaffected."""
    from moto.dynamodb.models.table import Table

    def unsorted_items(table: Any) -> list[Any]:
        if table.range_key_attr:
            return [item for group in table.items.values() for item in group.values()]
        return list(table.items.values())

    monkeypatch.setattr(Table, "all_items", unsorted_items)


def test_requests_grow_with_active_sources_not_with_table_size(
    aws_stack: LocalStack, fast_moto: None
) -> None:
    table = aws_stack.table_name
    for email in REPORTERS:
        put_reporter(table, Reporter(email=email))

    # 30 active sources in a table that also holds 30 sources nobody needs to look at.
    _store(table, _sources("81.20", 30), "idle-1", events_each=2, active=False)
    _store(table, _sources("81.30", 30), "active-1", events_each=3, active=True)
    small, processed = _run(table, 10)
    assert processed == 30

    # The same with ten times as many idle sources (and their events) stored: same requests.
    _store(table, _sources("81.40", 300), "idle-2", events_each=2, active=False)
    _store(table, _sources("81.50", 30), "active-2", events_each=3, active=True)
    big_table, processed = _run(table, 11)
    assert processed == 30
    assert big_table == small

    # Twice the active sources: twice the per-source requests, plus the fixed
    # overhead of the work lists (4 ACTIVE shards, CLOSING) and the reporters list.
    _store(table, _sources("81.60", 60), "active-3", events_each=3, active=True)
    double, processed = _run(table, 12)
    assert processed == 60
    fixed = 4 + 1 + 1
    per_source = (sum(small.values()) - fixed) / 30
    assert sum(double.values()) - fixed == 2 * (sum(small.values()) - fixed)

    assert 0 == small["Scan"] == big_table["Scan"] == double["Scan"]
    print(
        f"\naggregate requests: open 30 active / 60 stored: {dict(small)} = {sum(small.values())}"
        f"\n  open 30 active / 390 stored: {dict(big_table)} = {sum(big_table.values())}"
        f"\n  open 60 active / 450 stored: {dict(double)} = {sum(double.values())}"
        f"\n  per opened source: {per_source:.2f}"
    )


def test_finalizing_costs_a_fixed_number_of_requests_per_source(
    aws_stack: LocalStack, fast_moto: None
) -> None:
    table = aws_stack.table_name
    for email in REPORTERS:
        put_reporter(table, Reporter(email=email))
    _store(table, _sources("81.30", 15), "active-1", events_each=3, active=True)
    opened, _ = _run(table, 10)
    final, processed = _run(table, 80)
    assert processed == 15
    assert len(queue_bodies(aws_stack.send_queue_url)) == 15
    fixed = 4 + 1 + 1
    per_source = (sum(final.values()) - fixed) / 15
    # Query (window) + GetItem (incident) + PutItem (dedupe, incident, one decision line per
    # reporter of the source: 3 here) + UpdateItem (work list) = 8.
    assert per_source == 8 and final["Scan"] == 0
    print(
        f"\n  finalize+enqueue 15 (3 reporters each): {dict(final)} = {sum(final.values())}"
        f" ({per_source:.2f} per source)"
    )
