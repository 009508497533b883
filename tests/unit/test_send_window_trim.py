"""send_window: events past 72 hours at send time leave the report; a capped incident's
uncounted middle is never counted as fresh when the cut may fall inside it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from probewatch.aggregate import EVIDENCE_LINE_CAP, _cap
from probewatch.model import EvidenceLine, Incident, iso_z
from probewatch.send_window import SEND_MARGIN, trim_stale_events

T0 = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)


def _incident(times: list[datetime]) -> Incident:
    lines = [
        EvidenceLine(iso_z(t) or "", "TCP", "198.51.100.9", 40000, f"203.{n % 3}.0.0 (masked)",
                     23, "SYN", "block", 1)  # fmt: skip
        for n, t in enumerate(times)
    ]
    capped = _cap(lines)
    return Incident(
        incident_id="PW-20261120-00000001", src_ip="198.51.100.9", status="queued",
        opened_at=times[0], first_seen=times[0], last_seen=times[-1],
        event_count=len(lines), evidence_lines=capped,
    )  # fmt: skip


def test_fresh_incident_is_left_alone() -> None:
    incident = _incident([T0, T0 + timedelta(hours=1)])
    trim = trim_stale_events(incident, T0 + timedelta(hours=2))
    assert (trim.stale, trim.remaining, incident.event_count) == (0, 2, 2)


def test_events_just_inside_the_margin_are_already_stale() -> None:
    now = T0 + timedelta(hours=72) - SEND_MARGIN + timedelta(seconds=1)
    incident = _incident([T0, T0 + timedelta(hours=5)])
    trim = trim_stale_events(incident, now)
    assert (trim.stale, trim.remaining) == (1, 1)
    assert incident.first_seen == T0 + timedelta(hours=5)
    assert [line.time for line in incident.evidence_lines] == [iso_z(T0 + timedelta(hours=5))]


def test_the_uncounted_middle_of_a_capped_incident_is_dropped_when_it_may_be_stale() -> None:
    # 300 events one minute apart: the aggregate keeps 100 first and 100 last lines.
    times = [T0 + timedelta(minutes=n) for n in range(300)]
    incident = _incident(times)
    assert len(incident.evidence_lines) == EVIDENCE_LINE_CAP
    # cut at the 150th event, inside the uncounted middle (events 100..199): the first
    # 100 lines are stale, the middle cannot be split, the last 100 lines are fresh
    now = times[150] + timedelta(hours=72) - SEND_MARGIN
    trim = trim_stale_events(incident, now)
    assert trim.remaining == 100  # the listed fresh lines only, none of the middle
    assert trim.stale == 200
    assert incident.event_count == 100
    assert incident.first_seen == times[200]


def test_the_middle_counts_when_the_cut_is_before_it() -> None:
    times = [T0 + timedelta(minutes=n) for n in range(300)]
    incident = _incident(times)
    now = times[10] + timedelta(hours=72) - SEND_MARGIN
    trim = trim_stale_events(incident, now)
    assert (trim.stale, trim.remaining) == (10, 290)  # the middle (100..199) is all fresh


def test_nothing_left_means_nothing_to_send() -> None:
    incident = _incident([T0, T0 + timedelta(minutes=1)])
    trim = trim_stale_events(incident, T0 + timedelta(hours=80))
    assert (trim.stale, trim.remaining, incident.event_count) == (2, 0, 0)
