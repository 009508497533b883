"""Incidents: one per source IP and window, built from that source's events. Pure: no I/O.

Life of an incident (status in model.IncidentStatus):

    open --final--> not-reported                      (filters / evidence / backtrace said no)
    open --final--> held --hold over--> queued         (a reporter with review on)
    open --final--> queued --send function--> sent | undeliverable
    held --CANCEL--> cancelled
    sent, undeliverable, cancelled, not-reported --7 quiet days--> closed

* Final: quiet for `quiet_minutes` since the source's last event, or `finalize_after_hours`
  after its first reportable event, whichever comes first (see `finalize_reason`).
* Events that arrive for a source whose incident is already final and reported (held, queued,
  sent, undeliverable, cancelled) are absorbed for 72 hours after finalization: one report per
  source and window. Activity after that opens a new incident that names the previous one.
* A not-reported incident is judged again when new events arrive inside its 72 hours (more
  events may corroborate it); later activity opens a new incident.
* Incident ids are deterministic: `PW-<yyyymmdd>-<8 hex>` of (source IP, opening event time),
  so two runs that open the same incident write the same item and the version check picks one.

Evidence lines are capped at EVIDENCE_LINE_CAP: the first half and the last half of the kept
events (when it started and how it continues); `event_count` always tells the full number.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from probewatch.backtrace.special import unmapped_ip
from probewatch.filters import FilterOutcome
from probewatch.model import EvidenceLine, Incident, ProbeEvent, Reporter, iso_z

WINDOW = timedelta(hours=72)
CLOSE_AFTER = timedelta(days=7)
EVIDENCE_LINE_CAP = 200
MAX_ENQUEUES = 3  # first enqueue plus two re-enqueues of a queued incident nobody picked up

# Final and reported (or refused by the reporter): later events inside 72 h are absorbed.
ABSORBING = frozenset({"held", "queued", "sent", "undeliverable", "cancelled"})
# Close after 7 quiet days (queued waits for the send function first).
CLOSABLE = frozenset({"sent", "undeliverable", "cancelled", "not-reported"})


def mask_destination(ip: str | None, octets: int) -> str | None:
    """The destination as a report shows it: IPv4 with its lower `octets` (2 or 3) zeroed,
    IPv6 cut to its /48, both with the prefix length a desk reads: `205.152.0.0/16 (masked)`,
    `203.0.0.0/8 (masked)`, `2001:db8:1::/48 (masked)`.

    Bad input: None, or text that is not an address, gives None (never the raw text, which
    could reveal the reporter); an `octets` outside 2..3 masks 3 (the more private choice).
    """
    address = unmapped_ip(ip)
    if address is None:
        return None
    if address.version == 6:
        network = ipaddress.ip_network(f"{address}/48", strict=False)
        return f"{network} (masked)"
    hidden = octets if octets in (2, 3) else 3
    network = ipaddress.ip_network(f"{address}/{32 - 8 * hidden}", strict=False)
    return f"{network.with_prefixlen} (masked)"


def make_incident_id(src_ip: str, opened_at: datetime) -> str:
    digest = hashlib.sha256(f"{src_ip}\0{iso_z(opened_at)}".encode()).hexdigest()[:8]
    return f"PW-{opened_at:%Y%m%d}-{digest}"


def new_incident(src_ip: str, opened_at: datetime, previous: str | None = None) -> Incident:
    return Incident(
        incident_id=make_incident_id(src_ip, opened_at),
        src_ip=src_ip,
        status="open",
        opened_at=opened_at,
        first_seen=opened_at,
        last_seen=opened_at,
        previous_incident=previous,
        decision="collecting events",
        decision_code="open",
    )


@dataclass
class Assignment:
    """Which incident a run works on, with the events that belong to it."""

    incident: Incident | None  # None: nothing to do for this source now
    events: list[ProbeEvent]
    changed_previous: Incident | None = None  # a final incident whose activity was extended
    # Events newly absorbed into that final incident: not in its report, and no second
    # report is sent; their reporters' digests say so.
    absorbed: list[ProbeEvent] = field(default_factory=list)


def assign_events(
    src_ip: str, current: Incident | None, events: Sequence[ProbeEvent], now: datetime
) -> Assignment:
    """Decide which incident the source's window events (time-sorted, timed) belong to."""
    timed = sorted((e for e in events if e.time is not None), key=_time)
    newest = timed[-1].time if timed else None
    if current is None or current.status == "closed":
        after = current.last_activity or current.last_seen if current else None
        fresh = [e for e in timed if after is None or _time(e) > after]
        return _open_new(src_ip, fresh, current)
    if current.status == "open":
        return Assignment(current, [e for e in timed if _time(e) >= current.opened_at])
    if current.status in ABSORBING:
        absorb_until = (current.finalized_at or current.last_seen) + WINDOW
        later = [e for e in timed if _time(e) > absorb_until]
        absorbed = [e for e in timed if current.opened_at <= _time(e) <= absorb_until]
        touched = None
        seen_until = max(t for t in (current.last_activity, current.last_seen) if t is not None)
        new = [e for e in absorbed if _time(e) > seen_until]
        if absorbed and (
            current.last_activity is None or _time(absorbed[-1]) > current.last_activity
        ):
            current.last_activity = _time(absorbed[-1])
            touched = current
        plan = _open_new(src_ip, later, current) if later else Assignment(None, [])
        plan.changed_previous = touched
        plan.absorbed = new if touched is not None else []
        return plan
    # not-reported: judge again with the new events while its window lasts
    if now < current.first_seen + WINDOW:
        mine = [e for e in timed if _time(e) >= current.opened_at]
        considered = current.event_count + sum(current.filtered.values())
        if len(mine) > considered or (
            newest is not None and (current.last_activity is None or newest > current.last_activity)
        ):
            current.status = "open"
            current.decision = f"reopened: new activity after '{current.decision_code}'"
            current.decision_code = "open"
            current.finalized_at = None
            return Assignment(current, mine)
        return Assignment(None, [])
    after = current.last_activity or current.last_seen
    return _open_new(src_ip, [e for e in timed if _time(e) > after], current)


def _open_new(src_ip: str, events: list[ProbeEvent], previous: Incident | None) -> Assignment:
    if not events:
        return Assignment(None, [])
    incident = new_incident(src_ip, _time(events[0]), previous.incident_id if previous else None)
    incident.previous_report = last_report(previous)
    return Assignment(incident, events)


def last_report(previous: Incident | None) -> str | None:
    """The latest incident of the source that reached an abuse desk: `previous` itself when
    it was sent (closed ones keep sent_at), else the one it cited. A re-report after 72 hours
    names it, so the desk can join the two; one never sent is nothing they know of."""
    if previous is None:
        return None
    return previous.incident_id if previous.sent_at is not None else previous.previous_report


def summarize(
    incident: Incident,
    kept: Sequence[ProbeEvent],
    dropped: Mapping[str, Sequence[ProbeEvent]],
    reporters: Mapping[str, Reporter],
) -> None:
    """Fill the incident's facts from its kept events and its filtered counts from the rest."""
    everything = [*kept, *(e for group in dropped.values() for e in group)]
    times = [_time(e) for e in (kept or everything) if e.time is not None]
    if times:
        incident.first_seen, incident.last_seen = min(times), max(times)
    all_times = [_time(e) for e in everything if e.time is not None]
    if all_times:
        newest = max(all_times)
        if incident.last_activity is None or newest > incident.last_activity:
            incident.last_activity = newest
    incident.event_count = len(kept)
    incident.dst_ports = sorted({e.dst_port for e in kept if e.dst_port is not None})
    incident.protocols = sorted({e.proto for e in kept})
    incident.tcp_flags = sorted({e.tcp_flags for e in kept if e.tcp_flags})
    incident.reporters = sorted({e.reporter.lower() for e in kept if e.reporter})
    numbers = {email: n for n, email in enumerate(incident.reporters, start=1)}
    lines = [_evidence_line(e, reporters, numbers) for e in sorted(kept, key=_time)]
    incident.evidence_lines = _cap(lines)
    incident.masked_destinations = sorted({ln.dst_masked for ln in lines if ln.dst_masked})
    incident.filtered = {code: len(group) for code, group in sorted(dropped.items()) if group}
    incident.filtered_examples = {
        code: group[0].raw for code, group in sorted(dropped.items()) if group
    }
    by_reporter: dict[str, dict[str, int]] = {}
    for code, group in dropped.items():
        for event in group:
            counts = by_reporter.setdefault((event.reporter or "").lower(), {})
            counts[code] = counts.get(code, 0) + 1
    incident.filtered_by_reporter = by_reporter


def merge_outcomes(first: FilterOutcome, second: FilterOutcome) -> dict[str, list[ProbeEvent]]:
    """All dropped events of two passes (the second ran on the first's kept events)."""
    merged: dict[str, list[ProbeEvent]] = {k: list(v) for k, v in first.dropped.items()}
    for code, events in second.dropped.items():
        merged.setdefault(code, []).extend(events)
    return merged


def finalize_reason(
    incident: Incident, now: datetime, quiet: timedelta, age: timedelta
) -> str | None:
    """ "quiet" or "age" when the open incident is final now, else None."""
    last = incident.last_activity or incident.last_seen
    if now - last >= quiet:
        return "quiet"
    if now >= incident.first_seen + age:
        return "age"
    return None


def final_due(incident: Incident, quiet: timedelta, age: timedelta) -> datetime:
    """When an open incident will become final if nothing new arrives."""
    last = incident.last_activity or incident.last_seen
    return min(last + quiet, incident.first_seen + age)


def next_look(
    incident: Incident | None, quiet: timedelta, age: timedelta, requeue: timedelta
) -> datetime | None:
    """When the aggregate must look at this source again; None when nothing is pending."""
    if incident is None:
        return None
    if incident.status == "open":
        return final_due(incident, quiet, age)
    if incident.status == "held":
        return incident.hold_until
    if incident.status == "queued" and incident.enqueue_count < MAX_ENQUEUES:
        return (incident.queued_at or incident.finalized_at or incident.last_seen) + requeue
    return None


def close_due(incident: Incident) -> datetime | None:
    """When a final incident closes (7 quiet days); None when it is not closable."""
    if incident.status not in CLOSABLE:
        return None
    last = max(
        t
        for t in (
            incident.last_activity,
            incident.last_seen,
            incident.finalized_at,
            incident.sent_at,
        )
        if t is not None
    )
    return last + CLOSE_AFTER


def mark_final(incident: Incident, status: str, code: str, reason: str, now: datetime) -> None:
    incident.status = status  # type: ignore[assignment]
    incident.decision_code = code
    incident.decision = reason
    if incident.finalized_at is None:
        incident.finalized_at = now


def unlogged_filtered(incident: Incident) -> dict[str, dict[str, int]]:
    """Per reporter, dropped events their log does not show yet (filters run every pass; the
    digest must count each event once)."""
    delta: dict[str, dict[str, int]] = {}
    for reporter, counts in incident.filtered_by_reporter.items():
        logged = incident.filtered_logged.get(reporter, {})
        fresh = {
            code: n - logged.get(code, 0) for code, n in counts.items() if n > logged.get(code, 0)
        }
        if fresh:
            delta[reporter] = fresh
    return delta


def mark_logged(incident: Incident, delta: Mapping[str, Mapping[str, int]]) -> None:
    for reporter, counts in delta.items():
        logged = incident.filtered_logged.setdefault(reporter, {})
        for code, n in counts.items():
            logged[code] = logged.get(code, 0) + n


def in_window(events: Iterable[ProbeEvent], now: datetime) -> list[ProbeEvent]:
    """Events no older than 72 hours (and not from the future beyond clock slack)."""
    slack = timedelta(minutes=5)
    return [e for e in events if e.time is not None and now - WINDOW <= e.time <= now + slack]


def distinct_events(events: Iterable[ProbeEvent]) -> list[ProbeEvent]:
    """One event per packet a reporter logged: the same alert forwarded twice (two emails,
    two stored copies) must not count twice towards corroboration."""
    seen: set[tuple[object, ...]] = set()
    unique: list[ProbeEvent] = []
    for e in events:
        key = (
            (e.reporter or "").lower(), e.time, e.src_ip, e.src_port, e.dst_ip, e.dst_port,
            e.proto, e.tcp_flags, e.action, e.evidence,
        )  # fmt: skip
        if key not in seen:
            seen.add(key)
            unique.append(e)
    return unique


def _evidence_line(
    event: ProbeEvent, reporters: Mapping[str, Reporter], numbers: Mapping[str, int]
) -> EvidenceLine:
    email = (event.reporter or "").lower()
    reporter = reporters.get(email)
    # An unknown reporter's destinations get the more private mask.
    octets = reporter.mask_octets if reporter is not None else 3
    return EvidenceLine(
        time=iso_z(event.time) or "",
        proto=event.proto,
        src_ip=event.src_ip,
        src_port=event.src_port,
        dst_masked=mask_destination(event.dst_ip, octets),
        dst_port=event.dst_port,
        tcp_flags=event.tcp_flags,
        action=event.action,
        reporter_no=numbers.get(email, 0),
    )


def _cap(lines: list[EvidenceLine]) -> list[EvidenceLine]:
    if len(lines) <= EVIDENCE_LINE_CAP:
        return lines
    half = EVIDENCE_LINE_CAP // 2
    return lines[:half] + lines[-half:]


def _time(event: ProbeEvent) -> datetime:
    assert event.time is not None  # callers keep timed events only
    return event.time
