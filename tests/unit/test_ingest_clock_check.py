"""The clock estimate only comes from a clock we trust seeing the alert."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from probewatch.clock_check import check_clock
from probewatch.mail.auth import AuthVerdict
from probewatch.mail.inbound import InboundMail, MailText

RECEIVED = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)


def mail(*texts: MailText, date: datetime | None = None, automated: bool = False) -> InboundMail:
    return InboundMail(
        sender="alice@example.net",
        auth=AuthVerdict(spf="pass"),
        received_at=RECEIVED,
        date=date,
        message_id=None,
        subject="",
        in_reply_to=None,
        references=[],
        to=[],
        auto_submitted=automated,
        texts=list(texts),
    )


def test_attached_alert_date_against_its_arrival() -> None:
    attached = MailText(
        "attached message",
        "log",
        original_date=datetime(2026, 11, 24, 19, 6, 44, tzinfo=UTC),
        original_received=datetime(2026, 11, 24, 19, 6, 2, tzinfo=UTC),
    )
    evidence = check_clock(mail(attached), RECEIVED - timedelta(hours=1), RECEIVED)
    assert (evidence.offset_seconds, evidence.basis) == (42.0, "attached-alert")
    assert evidence.log_lag_seconds == 3600.0
    assert evidence.date_lag_seconds == 3196.0


def test_a_device_mailing_us_directly() -> None:
    sent = RECEIVED - timedelta(seconds=8)
    latest = sent - timedelta(minutes=2)
    evidence = check_clock(
        mail(MailText("body", "log"), date=sent, automated=True), latest, RECEIVED
    )
    assert (evidence.offset_seconds, evidence.basis) == (-8.0, "direct-alert")


def test_a_person_writing_an_email_says_nothing_about_the_firewall() -> None:
    sent = RECEIVED - timedelta(minutes=5)
    evidence = check_clock(mail(MailText("body", "log"), date=sent), sent, RECEIVED)
    assert (evidence.offset_seconds, evidence.basis) == (None, None)
    assert evidence.date_lag_seconds == 300.0


def test_a_log_line_from_the_future_proves_the_clock_is_ahead() -> None:
    forward = MailText("body", "log", forward_style="gmail")
    evidence = check_clock(mail(forward), RECEIVED + timedelta(seconds=90), RECEIVED)
    assert (evidence.offset_seconds, evidence.basis) == (90.0, "future-log")
    assert check_clock(mail(forward), RECEIVED + timedelta(seconds=3), RECEIVED).basis is None


def test_a_late_forward_gives_only_raw_lags() -> None:
    forward = MailText("body", "log", forward_style="outlook")
    evidence = check_clock(mail(forward, date=RECEIVED), RECEIVED - timedelta(hours=5), RECEIVED)
    assert evidence.offset_seconds is None
    assert evidence.date_lag_seconds is None  # the outer Date is the forwarder's, not the alert's
    assert evidence.log_lag_seconds == 18000.0
