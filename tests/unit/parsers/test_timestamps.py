"""Time rules: year inference, zones, the 72-hour window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from probewatch.parsers import timestamps
from probewatch.parsers.base import LineRejected, ParseContext

RECEIVED = datetime(2026, 1, 2, 0, 30, tzinfo=UTC)


def ctx(zone: str = "UTC", received: datetime | None = RECEIVED) -> ParseContext:
    return ParseContext(tz=timestamps.resolve_zone(zone), received_at=received)


def test_year_is_the_one_closest_before_receipt() -> None:
    assert timestamps.leading_time("Jan  1 23:59:00 host x", ctx()) == datetime(
        2026, 1, 1, 23, 59, tzinfo=UTC
    )
    assert timestamps.leading_time("Dec 31 23:59:00 host x", ctx()) == datetime(
        2025, 12, 31, 23, 59, tzinfo=UTC
    )
    # a few minutes ahead of receipt is clock skew, not last year
    assert timestamps.leading_time("Jan  2 00:35:00 host x", ctx()).year == 2026
    assert timestamps.leading_time("Jan  2 03:00:00 host x", ctx()).year == 2025


def test_feb_29_goes_back_to_a_leap_year() -> None:
    moment = timestamps.leading_time(
        "Feb 29 10:00:00 h x", ctx(received=datetime(2026, 3, 1, tzinfo=UTC))
    )
    assert moment == datetime(2024, 2, 29, 10, tzinfo=UTC)


def test_naive_times_use_the_reporters_zone_with_dst() -> None:
    summer = timestamps.parse_iso("2025-07-01 12:00:00", ctx("Europe/Berlin"))
    winter = timestamps.parse_iso("2025-01-01 12:00:00", ctx("Europe/Berlin"))
    assert summer == datetime(2025, 7, 1, 10, tzinfo=UTC)
    assert winter == datetime(2025, 1, 1, 11, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected_hour"),
    [
        ("2025-07-01T12:00:00Z", 12),
        ("2025-07-01T12:00:00+02:00", 10),
        ("2025-07-01T12:00:00-0400", 16),
        ("2025-07-01 12:00:00 EDT", 16),
        ("2025-07-01 12:00:00 CEST", 10),
        ("2025-07-01 12:00:00 PST", 20),
    ],
)
def test_offsets_and_zone_names_are_honoured(text: str, expected_hour: int) -> None:
    moment = timestamps.parse_iso(text, ctx("Asia/Tokyo"))
    assert moment is not None and moment.hour == expected_hour


def test_bsd_header_forms() -> None:
    c = ctx()
    assert timestamps.leading_time("<134>Jan  1 10:00:00 fw x", c) == datetime(
        2026, 1, 1, 10, tzinfo=UTC
    )
    assert timestamps.leading_time("Jan 1 2024 10:00:00 fw x", c) == datetime(
        2024, 1, 1, 10, tzinfo=UTC
    )
    assert timestamps.leading_time("Jan  1 10:00:00.250 EST: x", c) == datetime(
        2026, 1, 1, 15, 0, 0, 250000, tzinfo=UTC
    )
    assert timestamps.leading_time("Thu Jan  1 10:00:00 2026 kern.warn", c) == datetime(
        2026, 1, 1, 10, tzinfo=UTC
    )
    assert timestamps.leading_time("<134>1 2025-12-31T20:00:00-05:00 fw x", c) == datetime(
        2026, 1, 1, 1, tzinfo=UTC
    )
    assert timestamps.leading_time("no time here", c) is None


def test_impossible_dates_give_none_not_a_guess() -> None:
    assert timestamps.parse_iso("2025-02-30 10:00:00", ctx()) is None
    assert timestamps.build(ctx(), "Foo", 1, 1, 1, 1) is None


def test_window() -> None:
    c = ctx()
    timestamps.check_window(RECEIVED - timedelta(hours=71), c)
    timestamps.check_window(RECEIVED + timedelta(minutes=9), c)
    with pytest.raises(LineRejected, match="too-old"):
        timestamps.check_window(RECEIVED - timedelta(hours=73), c)
    with pytest.raises(LineRejected, match="in-future"):
        timestamps.check_window(RECEIVED + timedelta(minutes=11), c)
    timestamps.check_window(
        RECEIVED - timedelta(days=400), ctx(received=None)
    )  # no receipt: no window


def test_resolve_zone() -> None:
    assert timestamps.resolve_zone("UTC") is UTC
    assert timestamps.resolve_zone("+05:30").utcoffset(None) == timedelta(hours=5, minutes=30)
    assert timestamps.resolve_zone(UTC) is UTC
    assert str(timestamps.resolve_zone("America/Chicago")) == "America/Chicago"
    with pytest.raises(ValueError):
        timestamps.resolve_zone("Mars/Olympus")


def test_epoch() -> None:
    assert timestamps.parse_epoch("1700000000") == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert timestamps.parse_epoch("1700000000123").year == 2023
    assert timestamps.parse_epoch("12") is None
    assert timestamps.parse_epoch("abc") is None
