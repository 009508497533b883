"""Two aggregate runs at the same time (a slow run overlapping the next scheduled one) never
both finalize, hold or enqueue the same incident."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
from aggregate_helpers import T0, FakeBacktracer, probe, queue_bodies, settings, store_events

from probewatch.aggregate_run import RunSummary, run_aggregate
from probewatch.local.resources import LocalStack
from probewatch.model import Reporter
from probewatch.store import incidents
from probewatch.store.reporters import put_reporter

M = timedelta(minutes=1)


def _together(monkeypatch: pytest.MonkeyPatch, now: datetime) -> list[RunSummary]:
    """Run two aggregate runs in threads; both read every source's window and its current
    incident before either writes anything about it (the worst interleaving). Both runs see
    the same table, so they make the same reads in the same order and meet after each one;
    meeting only after the window would let one run save before the other read the incident,
    and that run would then correctly find nothing to do (an easier case than this test's)."""
    barrier = threading.Barrier(2, timeout=20)
    reads: dict[str, Callable[..., Any]] = {
        name: getattr(incidents, name) for name in ("load_source_window", "get_incident")
    }

    def read_then_wait(read: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            answer = read(*args, **kwargs)
            barrier.wait()
            return answer

        return wrapper

    for name, read in reads.items():
        monkeypatch.setattr(incidents, name, read_then_wait(read))
    # boto3's default session is not safe for two threads creating their first client at
    # once (a Lambda container runs one invocation at a time); create it here, in one thread.
    boto3.client("sqs")
    results: list[RunSummary] = []
    failures: list[BaseException] = []

    def one_run() -> None:
        try:
            results.append(run_aggregate(settings(), now, FakeBacktracer()))
        except BaseException as exc:  # surfaced below, in the test's own thread
            failures.append(exc)

    threads = [threading.Thread(target=one_run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive(), "an aggregate run did not finish"
    for name, read in reads.items():
        monkeypatch.setattr(incidents, name, read)
    assert not failures, failures
    return results


def test_overlapping_runs_finalize_hold_release_and_enqueue_once(
    aws_stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = aws_stack.table_name
    put_reporter(table, Reporter(email="alice@example.org"))
    put_reporter(table, Reporter(email="rita@example.org", review=True))
    held, still_open, new = "81.2.69.1", "81.2.69.2", "81.2.69.3"
    hour = 60

    # A held incident (rita reviews hers) whose review window ends at T0 + 13h10...
    store_events(
        table,
        [probe(held, m, 22 + m, reporter="rita@example.org") for m in range(3)],
        "s1",
        T0 + 5 * M,
    )
    assert run_aggregate(settings(), T0 + 70 * M, FakeBacktracer()).held == 1
    # ...an incident opened by an earlier run...
    store_events(
        table,
        [probe(still_open, 12 * hour + m, 22 + m) for m in range(3)],
        "s2",
        T0 + (12 * hour + 5) * M,
    )
    assert run_aggregate(settings(), T0 + (12 * hour + 10) * M, FakeBacktracer()).opened == 1
    # ...and a source no run has seen yet.
    store_events(
        table, [probe(new, 12 * hour + m, 22 + m) for m in range(3)], "s3", T0 + 13 * hour * M
    )
    assert queue_bodies(aws_stack.send_queue_url) == []

    # Two runs at once, each reading every source before the other writes anything.
    runs = _together(monkeypatch, T0 + (13 * hour + 15) * M)
    assert sum(r.queued for r in runs) == 3  # each incident once...
    assert sum(r.conflicts for r in runs) == 3  # ...and the other run stepped back each time
    bodies = queue_bodies(aws_stack.send_queue_url)
    assert len(bodies) == 3 and len({b["incident_id"] for b in bodies}) == 3
