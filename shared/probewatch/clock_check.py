"""How far off a reporter's firewall clock is, from what one submission shows.

The guidelines want report times right to ±5 seconds, so the digest warns a reporter whose
clock is off by more. A forward only tells us something when a clock we trust saw the alert
at nearly the moment the firewall stamped it:
  * "attached-alert": the alert was forwarded as an attachment with its own Date (the
    router's clock) and the Received header of the reporter's mail server (a clock we trust);
  * "direct-alert": the device mailed us itself (an automated, Auto-Submitted message, not a
    forward) within minutes of its newest log line, so its Date is the device's clock and
    SES's receipt time the truth. A person's own email is not: its Date is their mail
    program's clock, not the firewall's;
  * "future-log": whatever the route, a log line stamped after SES received the email
    proves the clock runs ahead by at least that much.
Otherwise (a person forwarded it hours later) there is no estimate, only the raw lags.

What is done with an estimate (issue 12; `clock_hold`): an offset beyond +-MAX_SKEW_SECONDS
HOLDS the events (rejected "clock-skew", never stored, the reporter told at once); they are
not corrected. A correction would subtract an offset that includes the mail's own transit
time (a Date is stamped when the alert is written, Received when it arrives: greylisting can
add minutes) and that is read to whole seconds from one email, of a clock that is known to
drift: nobody can vouch for the result to +-5 s, which is what the guidelines ask before
filing. The last reliable estimate is remembered on the reporter for CLOCK_MEMORY, so a
later forward without its own measurement is held too, until one inside +-5 s arrives.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from probewatch.mail.inbound import InboundMail
from probewatch.model import Reporter, parse_iso

DIRECT_ALERT_WINDOW = timedelta(minutes=15)
FUTURE_TOLERANCE = timedelta(seconds=5)
MAX_SKEW_SECONDS = 5.0  # the guidelines: "accurate timestamps to +- 5 seconds"
CLOCK_MEMORY = timedelta(days=7)
CLOCK_SKEW = "clock-skew"


@dataclass(frozen=True, slots=True)
class ClockEvidence:
    offset_seconds: float | None  # firewall clock minus true time (positive: ahead)
    basis: str | None  # "attached-alert", "direct-alert", "future-log"
    log_lag_seconds: float | None  # receipt minus newest log time
    date_lag_seconds: float | None  # receipt minus the alert mail's own Date


def check_clock(
    mail: InboundMail, latest_log_time: datetime | None, received_at: datetime
) -> ClockEvidence:
    alert_date = _alert_date(mail)
    log_lag = _seconds(received_at - latest_log_time) if latest_log_time else None
    date_lag = _seconds(received_at - alert_date) if alert_date else None
    for text in mail.texts:
        if text.original_date and text.original_received:
            offset = _seconds(text.original_date - text.original_received)
            return ClockEvidence(offset, "attached-alert", log_lag, date_lag)
    if (
        mail.auto_submitted
        and not mail.is_forward
        and mail.date is not None
        and latest_log_time is not None
        and timedelta(0) <= mail.date - latest_log_time <= DIRECT_ALERT_WINDOW
    ):
        return ClockEvidence(_seconds(mail.date - received_at), "direct-alert", log_lag, date_lag)
    if latest_log_time is not None and latest_log_time - received_at > FUTURE_TOLERANCE:
        return ClockEvidence(
            _seconds(latest_log_time - received_at), "future-log", log_lag, date_lag
        )
    return ClockEvidence(None, None, log_lag, date_lag)


def _alert_date(mail: InboundMail) -> datetime | None:
    """The alert's own Date: the attached or inline-forwarded original's, or the outer one
    when the email is not a forward."""
    for text in mail.texts:
        if text.original_date:
            return text.original_date
    return None if mail.is_forward else mail.date


def _seconds(delta: timedelta) -> float:
    return round(delta.total_seconds(), 3)


@dataclass(frozen=True, slots=True)
class ClockHold:
    offset_seconds: float
    basis: str  # the ClockEvidence basis, or "earlier:<basis>" for the reporter's remembered one
    measured_at: str | None  # ISO time of an earlier measurement, None for this email's own


def skewed(offset_seconds: float | None) -> bool:
    return offset_seconds is not None and abs(offset_seconds) > MAX_SKEW_SECONDS


def clock_hold(evidence: ClockEvidence, reporter: Reporter, now: datetime) -> ClockHold | None:
    """Why this email's events must be held for the clock, or None. This email's own
    measurement wins; without one, the reporter's last one counts for CLOCK_MEMORY."""
    if evidence.offset_seconds is not None and evidence.basis is not None:
        if skewed(evidence.offset_seconds):
            return ClockHold(evidence.offset_seconds, evidence.basis, None)
        return None
    if reporter_skewed(reporter, now):
        assert reporter.clock_offset_seconds is not None
        return ClockHold(
            reporter.clock_offset_seconds,
            f"earlier:{reporter.clock_basis or 'measurement'}",
            reporter.clock_checked_at,
        )
    return None


def reporter_skewed(reporter: Reporter, now: datetime) -> bool:
    """Whether the reporter's last reliable measurement (within CLOCK_MEMORY) is off."""
    checked = parse_iso(reporter.clock_checked_at)
    return (
        checked is not None
        and now - checked <= CLOCK_MEMORY
        and skewed(reporter.clock_offset_seconds)
    )
