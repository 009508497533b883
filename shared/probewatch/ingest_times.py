"""Ingest's time checks: only events whose times are known to the second are stored.

Called by probewatch.ingest for a registered, active reporter's email:
  * `read_timed` parses every text in the zone probewatch.zone_evidence planned, and holds
    (rejects as "zone-unknown") the events whose time depends on a zone nobody knows; an
    event without any time is rejected "no-time", as before;
  * `hold_for_clock` holds (rejects as "clock-skew") every event of an email whose firewall
    clock is measured off by more than 5 s, or whose reporter's last measurement was
    (probewatch.clock_check), and remembers each reliable measurement on the reporter.
What was held and why is recorded on the submission (zone, zone_basis, zone_suggestion,
exact_times, zone_held, clock_basis, clock_held), which the digest reads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from probewatch.clock_check import CLOCK_SKEW, ClockEvidence, ClockHold, check_clock, clock_hold
from probewatch.mail.inbound import InboundMail, MailText
from probewatch.model import ProbeEvent, Rejection, Reporter, Submission
from probewatch.zone_evidence import ZONE_UNKNOWN, ZonePlan, plan_zone, zone_dependent

NO_TIME = "no-time"


@dataclass
class TimedRead:
    zone: ZonePlan
    events: list[ProbeEvent] = field(default_factory=list)  # timed, zone known: to store
    rejected: list[Rejection] = field(default_factory=list)
    zone_held: list[ProbeEvent] = field(default_factory=list)
    clock: ClockHold | None = None
    clock_held: list[ProbeEvent] = field(default_factory=list)

    @property
    def held(self) -> int:
        return len(self.zone_held) + len(self.clock_held)


def read_timed(
    mail: InboundMail,
    raw: bytes | None,
    reporter: Reporter,
    submission: Submission,
    parse: Callable[..., Any],
) -> TimedRead:
    zone = plan_zone(reporter, mail, raw)
    read = TimedRead(zone)
    submission.zone, submission.zone_basis, submission.zone_suggestion = (
        zone.label,
        zone.basis,
        zone.hint,
    )
    kw = {"received_at": submission.received_at, "reporter": submission.reporter}
    for text in mail.texts:
        result, chosen = _best_version(mail.versions(text), parse, zone, kw)
        submission.lines += result.lines
        read.rejected.extend(result.rejected)
        needs_zone = (
            zone_dependent(parse, chosen.text, result.events, **kw)
            if not zone.known and result.events
            else [False] * len(result.events)
        )
        for event, dependent in zip(result.events, needs_zone, strict=True):
            if event.time is None:  # cannot be placed in a 72-hour window, nor reported
                read.rejected.append(Rejection(reason=NO_TIME, raw=event.raw, format=event.format))
            elif dependent:
                read.zone_held.append(event)
            else:
                read.events.append(event)
    read.rejected += [Rejection(ZONE_UNKNOWN, e.raw, e.format) for e in read.zone_held]
    submission.zone_held = len(read.zone_held)
    if not zone.known:
        submission.exact_times = len(read.events)
    return read


def hold_for_clock(
    read: TimedRead,
    mail: InboundMail,
    reporter: Reporter,
    submission: Submission,
    note_clock: Callable[[str, float, datetime, str], None] | None,
) -> ClockEvidence:
    """Measure the clock on the events kept so far; hold them all if it is off."""
    latest = max((e.time for e in read.events if e.time is not None), default=None)
    clock = check_clock(mail, latest, submission.received_at)
    submission.clock_offset_seconds = clock.offset_seconds
    submission.log_lag_seconds = clock.log_lag_seconds
    submission.date_lag_seconds = clock.date_lag_seconds
    submission.clock_basis = clock.basis
    if clock.offset_seconds is not None and clock.basis is not None and note_clock is not None:
        note_clock(reporter.email, clock.offset_seconds, submission.received_at, clock.basis)
    hold = clock_hold(clock, reporter, submission.received_at)
    if hold is not None and read.events:
        read.clock, read.clock_held, read.events = hold, read.events, []
        read.rejected += [Rejection(CLOCK_SKEW, e.raw, e.format) for e in read.clock_held]
        submission.clock_held = len(read.clock_held)
        if submission.clock_offset_seconds is None:
            submission.clock_offset_seconds = hold.offset_seconds
    return clock


def _best_version(
    versions: list[MailText], parse: Callable[..., Any], zone: ZonePlan, kw: dict[str, Any]
) -> tuple[Any, MailText]:
    """The parse result of the rendering that yields the most events (then the fewest
    rejected lines, then the sender's preferred one): see InboundMail.versions."""
    results = [(parse(text.text, tz=zone.tz, **kw), text) for text in versions]
    return max(results, key=lambda pair: (len(pair[0].events), -len(pair[0].rejected)))
