"""Which local day an hourly digest run sends, in zones with odd offsets and clock changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from probewatch.digest_run import day_due


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("tz", "now", "day", "start", "end"),
    [
        ("UTC", "2026-11-26T00:05", date(2026, 11, 25), "2026-11-25T00:00", "2026-11-26T00:00"),
        (
            "America/New_York",
            "2026-11-26T05:05",
            date(2026, 11, 25),
            "2026-11-25T05:00",
            "2026-11-26T05:00",
        ),
        (
            "Europe/Berlin",
            "2026-11-25T23:59",
            date(2026, 11, 25),
            "2026-11-24T23:00",
            "2026-11-25T23:00",
        ),
        # Berlin's spring day has 23 hours, its autumn day 25.
        (
            "Europe/Berlin",
            "2026-03-29T22:05",
            date(2026, 3, 29),
            "2026-03-28T23:00",
            "2026-03-29T22:00",
        ),
        (
            "Europe/Berlin",
            "2026-10-25T23:05",
            date(2026, 10, 25),
            "2026-10-24T22:00",
            "2026-10-25T23:00",
        ),
        # Half an hour off UTC: the run at 19:05 UTC is 00:35 in India.
        (
            "Asia/Kolkata",
            "2026-11-25T19:05",
            date(2026, 11, 25),
            "2026-11-24T18:30",
            "2026-11-25T18:30",
        ),
        # Chile turns its clocks back at midnight: 00:00 happens twice; the day starts at the
        # first and the run after the second sends nothing.
        (
            "America/Santiago",
            "2026-04-05T04:05",
            date(2026, 4, 4),
            "2026-04-04T03:00",
            "2026-04-05T04:00",
        ),
    ],
)
def test_the_run_just_after_local_midnight_sends_the_day_before(
    tz: str, now: str, day: date, start: str, end: str
) -> None:
    due = day_due(tz, utc(now))
    assert due is not None
    assert (due.day, due.start, due.end) == (day, utc(start), utc(end))


@pytest.mark.parametrize(
    ("tz", "now"),
    [
        ("UTC", "2026-11-26T01:05"),  # an hour and five minutes after midnight
        ("America/New_York", "2026-11-26T00:05"),  # 19:05 the evening before
        ("Asia/Kathmandu", "2026-11-25T18:05"),  # 23:50 local
        ("America/Santiago", "2026-04-05T03:05"),  # the second 23:05 of 4 April
    ],
)
def test_other_hours_send_nothing(tz: str, now: str) -> None:
    assert day_due(tz, utc(now)) is None


@pytest.mark.parametrize(
    "tz",
    [
        "UTC",
        "Europe/Berlin",
        "America/New_York",
        "America/Santiago",
        "America/Havana",
        "Asia/Beirut",
        "Asia/Kathmandu",
        "Australia/Lord_Howe",
        "Pacific/Chatham",
    ],
)
@pytest.mark.parametrize("minute", [0, 5, 59])
def test_a_year_of_hourly_runs_sends_every_day_once_and_the_days_tile(tz: str, minute: int) -> None:
    """Whatever minute the schedule runs at, and through every clock change (including those
    at midnight and the half-hour ones), each local day is due in exactly one run, and the
    days meet end to start: every log line is in exactly one digest."""
    days = []
    moment = datetime(2026, 1, 1, 0, minute, tzinfo=UTC)
    while moment < datetime(2027, 1, 1, tzinfo=UTC):
        due = day_due(tz, moment)
        if due is not None:
            days.append(due)
        moment += timedelta(hours=1)
    assert len(days) == 365
    for before, after in zip(days, days[1:], strict=False):
        assert before.end == after.start
        assert after.day - before.day == timedelta(days=1)
        assert timedelta(hours=23) <= after.end - after.start <= timedelta(hours=25)


def test_an_unknown_zone_raises() -> None:
    with pytest.raises(Exception, match="Not/AZone"):
        day_due("Not/AZone", utc("2026-11-26T00:05"))
