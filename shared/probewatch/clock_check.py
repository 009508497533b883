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
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from probewatch.mail.inbound import InboundMail

DIRECT_ALERT_WINDOW = timedelta(minutes=15)
FUTURE_TOLERANCE = timedelta(seconds=5)


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
