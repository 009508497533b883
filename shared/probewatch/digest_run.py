"""The digest run: one message per reporter who wants one and has something to hear.

A digest covers one calendar day in the reporter's own zone, [local 00:00, next local 00:00),
which is 23 or 25 hours long on the days the clocks change. The schedule is hourly
(infra/template.yaml, `DigestSchedule`); each run sends yesterday's digest to the reporters
whose new local day began less than an hour before the run, so every zone, including those
half or quarter of an hour off UTC, is served by exactly one run per day. Reporters are listed
with one Query per run; a reporter's log is read only in the run just after their midnight.
A retried or overlapping run does not send a day twice: each send first claims that local
day with a conditional write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from aws_lambda_powertools.metrics import MetricUnit

from probewatch.digest import build_digest
from probewatch.observability import logger, metrics
from probewatch.reporter_mail import send_raw
from probewatch.store.reporters import claim_digest, list_reporters, read_log, release_digest

if TYPE_CHECKING:
    from probewatch.config import DigestSettings
    from probewatch.model import Reporter

# How often the schedule runs: a reporter's day is sent by the one run in the first this-long
# after their local midnight.
RUN_INTERVAL = timedelta(hours=1)
# Paused reporters still hear what happened (reports under review, bounces, replies).
_WANTS_DIGEST = {"active", "paused"}


@dataclass(frozen=True)
class LocalDay:
    """One calendar day in a reporter's zone, as the UTC instants it starts and ends at."""

    day: date
    start: datetime
    end: datetime


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of `day` in `zone`, in UTC. Where the clocks jump over midnight,
    the day starts at the jump (fold=0 reads a missing 00:00 with the old offset); where
    midnight happens twice, at the first one."""
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def day_due(tz: str, now: datetime) -> LocalDay | None:
    """The local day whose digest the run at `now` sends, or None when the reporter's local
    midnight was not within the last RUN_INTERVAL. Raises for an unknown zone."""
    zone = ZoneInfo(tz)
    today = now.astimezone(zone).date()
    today_start = local_midnight(today, zone)
    if not timedelta(0) <= now - today_start < RUN_INTERVAL:
        return None
    yesterday = today - timedelta(days=1)
    return LocalDay(yesterday, local_midnight(yesterday, zone), today_start)


def run_digest(settings: DigestSettings, now: datetime) -> int:
    """Send the digest of the day just ended to every reporter whose midnight it was;
    returns how many were sent.

    One reporter's failure (a bad zone, SES refusing an address) is logged and skipped so
    the others still get theirs.
    """
    sent = 0
    for reporter in list_reporters(settings.table_name):
        if reporter.digest != "daily" or reporter.status not in _WANTS_DIGEST:
            continue
        try:
            day = day_due(reporter.tz, now)
            if day is not None:
                sent += _send_digest(settings, reporter, day)
        except Exception:  # one reporter's trouble must not cost the others their digest
            logger.exception("digest failed", extra={"reporter": reporter.email})
            metrics.add_metric(name="DigestFailures", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="DigestsSent", unit=MetricUnit.Count, value=sent)
    return sent


def _send_digest(settings: DigestSettings, reporter: Reporter, day: LocalDay) -> bool:
    entries = read_log(settings.table_name, reporter.email, day.start, day.end)
    message = build_digest(
        reporter,
        day.start,
        day.end,
        entries,
        sender=settings.sender_address,
        send_empty=settings.send_empty_digests,
    )
    if message is None or not claim_digest(settings.table_name, reporter.email, day.day):
        return False  # nothing to say, or an earlier or overlapping run sent it
    try:
        send_raw(message)
    except Exception:
        release_digest(settings.table_name, reporter.email, day.day)
        raise
    logger.info(
        "digest sent",
        extra={"reporter": reporter.email, "day": day.day.isoformat(), "entries": len(entries)},
    )
    return True
