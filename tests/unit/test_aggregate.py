"""Incidents: masking, ids, finalization, re-escalation and closing, on explicit clocks."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from probewatch.aggregate import (
    EVIDENCE_LINE_CAP,
    assign_events,
    close_due,
    distinct_events,
    final_due,
    finalize_reason,
    in_window,
    make_incident_id,
    mark_final,
    mark_logged,
    mask_destination,
    new_incident,
    next_look,
    summarize,
    unlogged_filtered,
)
from probewatch.model import ProbeEvent, Reporter

T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
SRC = "81.2.69.142"
QUIET, AGE, REQUEUE = timedelta(minutes=60), timedelta(hours=24), timedelta(minutes=60)
REPORTERS = {
    "a@example.org": Reporter(email="a@example.org", mask_octets=2),
    "b@example.net": Reporter(email="b@example.net", mask_octets=3),
}


def at(minutes: float, **kw: Any) -> ProbeEvent:
    base = ProbeEvent(
        time=T0 + timedelta(minutes=minutes),
        src_ip=SRC,
        src_port=40000,
        dst_ip="205.152.37.4",
        dst_port=22,
        proto="TCP",
        action="block",
        format="netfilter",
        raw=f"line {minutes}",
        tcp_flags="SYN",
        reporter="a@example.org",
    )
    return replace(base, **kw)


@pytest.mark.parametrize(
    ("ip", "octets", "expected"),
    [
        ("205.152.37.4", 2, "205.152.0.0/16 (masked)"),
        ("205.152.37.4", 3, "205.0.0.0/8 (masked)"),
        ("205.152.37.4", 7, "205.0.0.0/8 (masked)"),  # nonsense asks for the more private mask
        ("2001:db8:1234:5678::1", 2, "2001:db8:1234::/48 (masked)"),
        ("::ffff:205.152.37.4", 2, "205.152.0.0/16 (masked)"),
        ("not an address", 2, None),  # never echo raw text
        (None, 2, None),
    ],
)
def test_mask_destination(ip: str | None, octets: int, expected: str | None) -> None:
    assert mask_destination(ip, octets) == expected


def test_incident_ids_are_deterministic_and_readable() -> None:
    first = make_incident_id(SRC, T0)
    assert first == make_incident_id(SRC, T0)
    assert first.startswith("PW-20261125-") and len(first) == len("PW-20261125-") + 8
    assert first != make_incident_id(SRC, T0 + timedelta(seconds=1))
    assert first != make_incident_id("81.2.69.143", T0)


def test_summarize_fills_facts_masks_per_reporter_and_counts_filtered() -> None:
    incident = new_incident(SRC, T0)
    kept = [at(0), at(5, dst_port=23, reporter="b@example.net"), at(9, proto="UDP", tcp_flags=None)]
    dropped = {"p2p": [at(2, dst_port=6881, raw="p2p line")]}
    summarize(incident, kept, dropped, REPORTERS)
    assert (incident.first_seen, incident.last_seen) == (T0, T0 + timedelta(minutes=9))
    assert incident.event_count == 3
    assert incident.dst_ports == [22, 23]
    assert incident.protocols == ["TCP", "UDP"]
    assert incident.reporters == ["a@example.org", "b@example.net"]
    assert incident.masked_destinations == ["205.0.0.0/8 (masked)", "205.152.0.0/16 (masked)"]
    assert [line.reporter_no for line in incident.evidence_lines] == [1, 2, 1]
    assert incident.filtered == {"p2p": 1}
    assert incident.filtered_examples == {"p2p": "p2p line"}
    assert incident.filtered_by_reporter == {"a@example.org": {"p2p": 1}}


def test_evidence_lines_keep_the_first_and_last_half_of_a_long_incident() -> None:
    incident = new_incident(SRC, T0)
    kept = [at(i / 10) for i in range(1000)]
    summarize(incident, kept, {}, REPORTERS)
    assert incident.event_count == 1000
    assert len(incident.evidence_lines) == EVIDENCE_LINE_CAP
    times = [line.time for line in incident.evidence_lines]
    assert times[0] == "2026-11-25T08:00:00Z"  # the start
    assert times[-1] == "2026-11-25T09:39:54Z"  # and the most recent


def test_finalization_quiet_period_and_age_limit() -> None:
    incident = new_incident(SRC, T0)
    summarize(incident, [at(0), at(30)], {}, REPORTERS)
    assert finalize_reason(incident, T0 + timedelta(minutes=89), QUIET, AGE) is None
    assert finalize_reason(incident, T0 + timedelta(minutes=90), QUIET, AGE) == "quiet"
    assert final_due(incident, QUIET, AGE) == T0 + timedelta(minutes=90)
    # A source that never pauses for an hour is final 24 hours after its first event.
    busy = new_incident(SRC, T0)
    summarize(busy, [at(m) for m in range(0, 24 * 60 + 60, 30)], {}, REPORTERS)
    now = T0 + timedelta(hours=24)
    assert finalize_reason(busy, now - timedelta(minutes=1), QUIET, AGE) is None
    assert finalize_reason(busy, now, QUIET, AGE) == "age"


def test_quiet_counts_filtered_activity_too() -> None:
    incident = new_incident(SRC, T0)
    summarize(incident, [at(0)], {"p2p": [at(50, dst_port=6881)]}, REPORTERS)
    assert finalize_reason(incident, T0 + timedelta(minutes=61), QUIET, AGE) is None


def _reported(finalized_minutes: float) -> Any:
    incident = new_incident(SRC, T0)
    summarize(incident, [at(0), at(1, dst_port=23), at(2, dst_port=80)], {}, REPORTERS)
    mark_final(
        incident,
        "sent",
        "corroborated-volume",
        "reported",
        T0 + timedelta(minutes=finalized_minutes),
    )
    incident.version = 3
    return incident


def test_activity_within_72_hours_of_a_report_is_absorbed() -> None:
    sent = _reported(62)
    later = [at(0), at(1), at(2), at(62 + 71 * 60)]
    plan = assign_events(SRC, sent, later, T0 + timedelta(hours=73))
    assert plan.incident is None  # no second report for the same window
    assert plan.changed_previous is sent  # but closing waits for the new activity
    assert sent.last_activity == T0 + timedelta(minutes=62 + 71 * 60)


def test_activity_more_than_72_hours_after_a_report_opens_a_new_incident() -> None:
    sent = _reported(62)
    late = at(62 + 72 * 60 + 1)
    plan = assign_events(SRC, sent, [late, at(62 + 72 * 60 + 5)], late.time + timedelta(hours=1))
    assert plan.incident is not None
    assert plan.incident.previous_incident == sent.incident_id
    assert plan.incident.incident_id != sent.incident_id
    assert plan.incident.opened_at == late.time
    assert len(plan.events) == 2


def test_a_new_incident_cites_the_last_one_that_was_reported() -> None:
    sent = _reported(62)
    sent.sent_at = T0 + timedelta(minutes=70)
    late = at(62 + 72 * 60 + 1)
    plan = assign_events(SRC, sent, [late], late.time + timedelta(hours=1))
    assert plan.incident is not None and plan.incident.previous_report == sent.incident_id
    # Never sent (e.g. cancelled in review): the desk never saw it, so it is not cited, but
    # the report it cited itself still is.
    cancelled = _reported(62)
    cancelled.status, cancelled.previous_report = "cancelled", "PW-20261101-0badcafe"
    plan = assign_events(SRC, cancelled, [late], late.time + timedelta(hours=1))
    assert plan.incident is not None
    assert plan.incident.previous_incident == cancelled.incident_id
    assert plan.incident.previous_report == "PW-20261101-0badcafe"


def test_not_reported_incident_is_judged_again_only_when_new_events_arrive() -> None:
    incident = new_incident(SRC, T0)
    summarize(incident, [at(0)], {}, REPORTERS)
    mark_final(incident, "not-reported", "uncorroborated", "one SYN", T0 + timedelta(minutes=61))
    nothing_new = assign_events(SRC, incident, [at(0)], T0 + timedelta(hours=2))
    assert nothing_new.incident is None
    more = assign_events(
        SRC, incident, [at(0), at(100, dst_port=23), at(101, dst_port=80)], T0 + timedelta(hours=2)
    )
    assert more.incident is incident and incident.status == "open"
    assert incident.finalized_at is None and len(more.events) == 3


def test_open_incident_takes_the_events_from_its_opening() -> None:
    incident = new_incident(SRC, T0 + timedelta(minutes=10))
    plan = assign_events(SRC, incident, [at(5), at(10), at(20)], T0 + timedelta(minutes=30))
    assert plan.incident is incident
    assert [e.time for e in plan.events] == [T0 + timedelta(minutes=10), T0 + timedelta(minutes=20)]


def test_no_incident_and_no_events_means_nothing_to_do() -> None:
    assert assign_events(SRC, None, [], T0).incident is None


def test_incidents_close_after_seven_quiet_days() -> None:
    sent = _reported(62)
    assert close_due(sent) == T0 + timedelta(minutes=62) + timedelta(days=7)
    sent.last_activity = T0 + timedelta(days=2)
    assert close_due(sent) == T0 + timedelta(days=9)
    queued = _reported(62)
    queued.status = "queued"
    assert close_due(queued) is None  # waits for the send function first


def test_next_look() -> None:
    incident = new_incident(SRC, T0)
    summarize(incident, [at(0)], {}, REPORTERS)
    assert next_look(incident, QUIET, AGE, REQUEUE) == T0 + QUIET
    incident.status, incident.hold_until = "held", T0 + timedelta(hours=13)
    assert next_look(incident, QUIET, AGE, REQUEUE) == T0 + timedelta(hours=13)
    incident.status, incident.queued_at, incident.enqueue_count = "queued", T0, 1
    assert next_look(incident, QUIET, AGE, REQUEUE) == T0 + REQUEUE
    incident.enqueue_count = 3
    assert next_look(incident, QUIET, AGE, REQUEUE) is None
    incident.status = "sent"
    assert next_look(incident, QUIET, AGE, REQUEUE) is None


def test_filtered_counts_are_logged_once_each() -> None:
    incident = new_incident(SRC, T0)
    summarize(incident, [at(0)], {"p2p": [at(1, dst_port=6881)]}, REPORTERS)
    delta = unlogged_filtered(incident)
    assert delta == {"a@example.org": {"p2p": 1}}
    mark_logged(incident, delta)
    summarize(incident, [at(0)], {"p2p": [at(1, dst_port=6881)]}, REPORTERS)  # next pass
    assert unlogged_filtered(incident) == {}
    summarize(incident, [at(0)], {"p2p": [at(1, dst_port=6881), at(3, dst_port=6882)]}, REPORTERS)
    assert unlogged_filtered(incident) == {"a@example.org": {"p2p": 1}}


def test_window_drops_events_older_than_72_hours() -> None:
    now = T0 + timedelta(hours=72, minutes=1)
    kept = in_window([at(0), at(2), at(60 * 72 + 1)], now)
    assert [e.time for e in kept] == [
        T0 + timedelta(minutes=2),
        T0 + timedelta(minutes=60 * 72 + 1),
    ]


def test_the_same_alert_forwarded_twice_counts_once() -> None:
    copies = [at(0), at(0, raw="same packet, second email"), at(0, reporter="b@example.net")]
    assert len(distinct_events(copies)) == 2  # two reporters, one packet each
    assert len(distinct_events([at(0), at(0, dst_port=23)])) == 2
