"""The 72-hour rule at the moment a report is sent, not only when its incident was decided.

An incident is decided well inside 72 hours, but the send can come much later: a review
hold, a daily cap deferring it to tomorrow, throttling retries, a bounce moving it to the
next mailbox. The guidelines' limit is the age of the events when the abuse desk gets them,
so the send function trims, right before SES is called, every event older than
WINDOW - SEND_MARGIN (the margin covers the seconds to minutes between this check and the
mail's arrival). When nothing is left the report is not sent at all.

Evidence lines may have been capped by the aggregate (first half and last half of the kept
events, probewatch.aggregate._cap); the uncounted middle lies between the two halves. When
the cut falls inside that gap nobody knows which of them are still fresh, so they are all
counted as stale: a report may claim fewer events than were seen, never older ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from probewatch.aggregate import WINDOW
from probewatch.model import EvidenceLine, Incident, parse_iso

SEND_MARGIN = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Trim:
    stale: int  # events taken out of the report
    remaining: int  # events the report still carries (0: do not send)
    cutoff: datetime  # events before this were too old


def oldest_allowed(now: datetime) -> datetime:
    return now - WINDOW + SEND_MARGIN


def trim_stale_events(incident: Incident, now: datetime) -> Trim:
    """Remove from `incident` (in place) every event too old to report at `now`; first_seen,
    event_count and the masked destinations follow what is left."""
    cutoff = oldest_allowed(now)
    lines = sorted(incident.evidence_lines, key=lambda line: line.time)
    hidden = max(incident.event_count - len(lines), 0)
    fresh = [line for line in lines if _time(line) >= cutoff]
    hidden_fresh = hidden
    if hidden and lines:
        half = len(lines) // 2
        # The uncounted middle starts after the last line of the first half: if that line
        # is stale, some of the middle may be too, so count none of it.
        if _time(lines[max(half - 1, 0)]) < cutoff:
            hidden_fresh = 0
    stale = (len(lines) - len(fresh)) + (hidden - hidden_fresh)
    remaining = len(fresh) + hidden_fresh
    if stale:
        incident.evidence_lines = fresh
        incident.event_count = remaining
        incident.stale_at_send += stale
        if fresh:
            incident.first_seen = _time(fresh[0])
            incident.masked_destinations = sorted({ln.dst_masked for ln in fresh if ln.dst_masked})
    return Trim(stale, remaining, cutoff)


def _time(line: EvidenceLine) -> datetime:
    moment = parse_iso(line.time)
    assert moment is not None  # the aggregate writes every evidence line with its time
    return moment
