"""The daily digest run: one message per reporter who wants one and has something to hear.

The schedule is daily (infra/template.yaml), so each run covers the 24 hours ending at `now`
(the scheduled time), shown in each reporter's own zone. Consecutive runs tile time with no
gap or overlap, so every log line appears in exactly one digest; the window is not aligned to
each reporter's local midnight (that would need an hourly schedule). A retried run does not
send a digest twice: each send is claimed first with a conditional write.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from aws_lambda_powertools.metrics import MetricUnit

from probewatch.digest import build_digest
from probewatch.observability import logger, metrics
from probewatch.reporter_mail import send_raw
from probewatch.store.reporters import claim_digest, list_reporters, read_log, release_digest

if TYPE_CHECKING:
    from probewatch.config import DigestSettings
    from probewatch.model import Reporter

DIGEST_PERIOD = timedelta(hours=24)
# Paused reporters still hear what happened (reports under review, bounces, replies).
_WANTS_DIGEST = {"active", "paused"}


def run_digest(settings: DigestSettings, now: datetime) -> int:
    """Build and send every due digest; returns how many were sent.

    One reporter's failure (a bad zone, SES refusing an address) is logged and skipped so
    the others still get theirs.
    """
    sent = 0
    for reporter in list_reporters(settings.table_name):
        if reporter.digest != "daily" or reporter.status not in _WANTS_DIGEST:
            continue
        try:
            sent += _send_digest(settings, reporter, now)
        except Exception:  # one reporter's trouble must not cost the others their digest
            logger.exception("digest failed", extra={"reporter": reporter.email})
            metrics.add_metric(name="DigestFailures", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="DigestsSent", unit=MetricUnit.Count, value=sent)
    return sent


def _send_digest(settings: DigestSettings, reporter: Reporter, now: datetime) -> bool:
    start = now - DIGEST_PERIOD
    entries = read_log(settings.table_name, reporter.email, start, now)
    message = build_digest(
        reporter,
        start,
        now,
        entries,
        sender=settings.sender_address,
        send_empty=settings.send_empty_digests,
    )
    if message is None or not claim_digest(settings.table_name, reporter.email, now):
        return False  # nothing to say, or an earlier attempt of this run sent it
    try:
        send_raw(message)
    except Exception:
        release_digest(settings.table_name, reporter.email, now)
        raise
    logger.info("digest sent", extra={"reporter": reporter.email, "entries": len(entries)})
    return True
