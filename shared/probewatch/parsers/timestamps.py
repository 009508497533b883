"""All time handling for the parsers: every log time becomes an aware UTC datetime here.

Rules (issue 3, "Time"):
  * A time written without a year (BSD syslog `Jan  8 03:37:09`) takes the year that puts it
    closest before the email's receipt time (`ctx.received_at`; "now" when there is none),
    allowing FUTURE_TOLERANCE for clock skew: a Dec 31 line received on Jan 1 is last year's.
  * A time written without a zone is in the reporter's zone (`ctx.tz`, default UTC).
  * Offsets (`+02:00`, `-0400`, `Z`) and zone names, DST abbreviations included (EDT, CEST,
    PST...), are honoured. An unknown zone word is ignored (the reporter's zone applies).
  * `check_window` rejects a time more than FUTURE_TOLERANCE after receipt ("in-future") or
    more than MAX_AGE before it ("too-old"). The dispatcher applies it to every event when a
    receipt time is known, so parsers need not call it themselves.

Functions that parse text return None when the text is not a time they understand; they
never guess a date. The syslog envelope reader (HeaderTimes) rejects a line whose envelope
holds an impossible time (Feb 30, 10:00:99) with LineRejected("bad-time"). Parsers turn the pieces they matched into a datetime with `build()`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import lru_cache

from probewatch import clock
from probewatch.parsers.base import LineRejected, ParseContext

# Reporters' clocks drift and mail takes a while: a few minutes "ahead" is still believable.
FUTURE_TOLERANCE = timedelta(minutes=10)
# The guidelines: never report anything older than 72 hours.
MAX_AGE = timedelta(hours=72)
# Years a time may have: four digits, as ISO-8601 (and every stored time) writes them.
MIN_YEAR, MAX_YEAR = 1000, 9999

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january", "janv", "jän", "ene"),
            ("feb", "february", "fév", "fev", "févr"),
            ("mar", "march", "mär", "mrz", "mars"),
            ("apr", "april", "avr"),
            ("may", "mai", "mayo"),
            ("jun", "june", "juin"),
            ("jul", "july", "juil"),
            ("aug", "august", "aoû", "aout"),
            ("sep", "sept", "september"),
            ("oct", "october", "okt"),
            ("nov", "november"),
            ("dec", "december", "dez", "déc"),
        ],
        start=1,
    )
    for name in names
}


def _hours(h: float) -> timezone:
    return timezone(timedelta(hours=h))


# Zone abbreviations seen in device logs. Ambiguous ones take their most common meaning in
# firewall logs (CST = US Central, IST = India, BST = British Summer Time).
ZONE_ABBREVIATIONS: dict[str, tzinfo] = {
    "UTC": UTC,
    "GMT": UTC,
    "UT": UTC,
    "Z": UTC,
    "ZULU": UTC,
    "WET": UTC,
    "WEST": _hours(1),
    "BST": _hours(1),
    "IST": _hours(5.5),
    "CET": _hours(1),
    "MET": _hours(1),
    "CEST": _hours(2),
    "MEST": _hours(2),
    "MESZ": _hours(2),
    "MEZ": _hours(1),
    "EET": _hours(2),
    "EEST": _hours(3),
    "MSK": _hours(3),
    "SAST": _hours(2),
    "EST": _hours(-5),
    "EDT": _hours(-4),
    "CST": _hours(-6),
    "CDT": _hours(-5),
    "MST": _hours(-7),
    "MDT": _hours(-6),
    "PST": _hours(-8),
    "PDT": _hours(-7),
    "AKST": _hours(-9),
    "AKDT": _hours(-8),
    "HST": _hours(-10),
    "AST": _hours(-4),
    "ADT": _hours(-3),
    "NST": _hours(-3.5),
    "NDT": _hours(-2.5),
    "BRT": _hours(-3),
    "ART": _hours(-3),
    "JST": _hours(9),
    "KST": _hours(9),
    "HKT": _hours(8),
    "SGT": _hours(8),
    "PHT": _hours(8),
    "AWST": _hours(8),
    "ICT": _hours(7),
    "WIB": _hours(7),
    "ACST": _hours(9.5),
    "ACDT": _hours(10.5),
    "AEST": _hours(10),
    "AEDT": _hours(11),
    "NZST": _hours(12),
    "NZDT": _hours(13),
}

_OFFSET = re.compile(r"^(?:UTC|GMT)?([+-])(\d{1,2}):?(\d{2})?$")


def resolve_zone(zone: str | tzinfo | None) -> tzinfo:
    """A tzinfo from an IANA name ("Europe/Berlin"), an abbreviation ("CEST"), an offset
    ("+02:00", "UTC-5") or a tzinfo. Raises ValueError for anything else (the CLI shows it)."""
    if zone is None:
        return UTC
    if isinstance(zone, tzinfo):
        return zone
    found = zone_from_text(zone)
    if found is not None:
        return found
    # here: most runs name no IANA zone, and zoneinfo is slow to import
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(zone.strip())
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone: {zone!r}") from exc


def zone_from_text(text: str | None) -> tzinfo | None:
    """A zone from an abbreviation or numeric offset as logs write it; None if not one."""
    if not text:
        return None
    text = text.strip()
    known = ZONE_ABBREVIATIONS.get(text.upper())
    if known is not None:
        return known
    match = _OFFSET.match(text)
    if match is None:
        return None
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
    if delta > timedelta(hours=14):
        return None
    return timezone(-delta if sign == "-" else delta)


def month_number(name: str) -> int | None:
    """1..12 for a month name or abbreviation (English, some German/French/Spanish)."""
    return MONTHS.get(name.lower().rstrip("."))


def build(
    ctx: ParseContext,
    month: int | str,
    day: int | str,
    hour: int | str,
    minute: int | str,
    second: int | str = 0,
    year: int | str | None = None,
    zone: str | tzinfo | None = None,
    fraction: str | None = None,
) -> datetime | None:
    """An aware UTC datetime from matched pieces, or None if they are not a real date.

    `month` may be a name; `year=None` infers the year from ctx.received_at; `zone` is an
    abbreviation, offset or tzinfo (None or an unknown word: the reporter's zone ctx.tz).
    """
    if isinstance(month, str) and not month.isdigit():
        number = month_number(month)
        if number is None:
            return None
        month = number
    if isinstance(zone, str):
        zone = zone_from_text(zone)
    where = zone or ctx.tz
    try:
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        if year is not None:
            year_n = int(year)
            if year_n < 100:
                year_n += 2000
            if not MIN_YEAR <= year_n <= MAX_YEAR:
                return None  # `226-01-10T...Z` would be no ISO time the store can read
            return _to_utc(
                year_n, int(month), int(day), int(hour), int(minute), int(second), micro, where
            )
        return _infer_year(
            ctx, int(month), int(day), int(hour), int(minute), int(second), micro, where
        )
    except (ValueError, OverflowError):  # OverflowError: 9999-12-31 23:59 -05:00 in UTC
        return None


def _to_utc(
    year: int, month: int, day: int, hour: int, minute: int, second: int, micro: int, where: tzinfo
) -> datetime:
    """UTC of a local wall time in `where`; ValueError if there is no such date or time."""
    if not 0 <= second <= 59:
        raise ValueError("second out of range")
    return _utc_minute(year, month, day, hour, minute, where) + timedelta(
        seconds=second, microseconds=micro
    )


@lru_cache(maxsize=4096)
def _utc_minute(year: int, month: int, day: int, hour: int, minute: int, where: tzinfo) -> datetime:
    # Zones change offset on whole minutes, so a minute's seconds share its conversion; log
    # lines come in runs within the same minutes, which makes this cache hit.
    return datetime(year, month, day, hour, minute, tzinfo=where).astimezone(UTC)


def _infer_year(
    ctx: ParseContext,
    month: int,
    day: int,
    hour: int,
    minute: int,
    second: int,
    micro: int,
    where: tzinfo,
) -> datetime | None:
    reference = ctx.received_at or clock.utcnow()
    latest = reference + FUTURE_TOLERANCE
    best: datetime | None = None
    # Newest candidate first; next year only matters for a January line received in December.
    years: tuple[int, ...] = (reference.year, reference.year - 1, reference.year - 2)
    if month == 1 and reference.month == 12:
        years = (reference.year + 1, *years)
    for year in years:
        try:
            candidate = _to_utc(year, month, day, hour, minute, second, micro, where)
        except ValueError:  # Feb 29 in a common year
            continue
        if candidate <= latest:
            return candidate  # candidates go back in time: the first one that fits is closest
        best = candidate
    return best


def time_of_day(
    ctx: ParseContext, hour: int | str, minute: int | str, second: int | str
) -> datetime | None:
    """A time written without any date (today's lines of a router's log view): the latest
    day that puts it before the receipt time (plus FUTURE_TOLERANCE), in the reporter's zone."""
    reference = (ctx.received_at or clock.utcnow()).astimezone(ctx.tz)
    try:
        local = reference.replace(
            hour=int(hour), minute=int(minute), second=int(second), microsecond=0
        )
    except ValueError:
        return None
    if local > reference + FUTURE_TOLERANCE:
        local -= timedelta(days=1)
    return build(ctx, local.month, local.day, local.hour, local.minute, local.second, local.year)


def check_window(moment: datetime | None, ctx: ParseContext) -> None:
    """Raise LineRejected("in-future"/"too-old") when ctx.received_at is known and `moment`
    lies outside [received_at - MAX_AGE, received_at + FUTURE_TOLERANCE]."""
    if moment is None or ctx.received_at is None:
        return
    if moment > ctx.received_at + FUTURE_TOLERANCE:
        raise LineRejected("in-future")
    if moment < ctx.received_at - MAX_AGE:
        raise LineRejected("too-old")


# --- whole-timestamp forms ---------------------------------------------------------------

_ISO = re.compile(
    r"(?P<y>\d{4})-(?P<mo>\d\d)-(?P<d>\d\d)[T ](?P<h>\d\d):(?P<mi>\d\d):(?P<s>\d\d)"
    r"(?:[.,](?P<f>\d+))?\s?(?P<z>Z|[+-]\d\d:?\d\d|[A-Z]{3,5}\b)?"
)
_BSD = re.compile(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),?\s+)?"
    r"(?P<mo>[A-Z][a-z]{2})\s+(?P<d>\d{1,2})\s+(?:(?P<y>\d{4})\s+)?"
    r"(?P<h>\d\d):(?P<mi>\d\d):(?P<s>\d\d)(?:\.(?P<f>\d+))?"
    r"(?:\s+(?P<z>[A-Z]{3,5}|[+-]\d\d:?\d\d)(?=[\s:]|$))?(?:\s+(?P<y2>\d{4})(?=\s|$))?"
)


def parse_iso(text: str, ctx: ParseContext) -> datetime | None:
    """`2021-03-12T14:10:18Z`, `2022-06-09 14:44:11.123-06:00`, `2021-03-12 14:10:18 CEST`...
    at the start of `text`; a time without zone is in ctx.tz. None if not such a time."""
    match = _ISO.match(text)
    if match is None:
        return None
    g = match.group
    return build(ctx, g("mo"), g("d"), g("h"), g("mi"), g("s"), g("y"), g("z"), g("f"))


def parse_epoch(text: str) -> datetime | None:
    """Seconds (or milliseconds, if 13 digits) since 1970 as UTC; None if not a number."""
    try:
        value = float(text)
    except ValueError:
        return None
    if value > 1e11:
        value /= 1000.0
    if not 1e8 < value < 1e10:
        return None
    return datetime.fromtimestamp(value, UTC)


# --- the syslog envelope -----------------------------------------------------------------

# Optional <PRI>, optional RFC 5424 version, then an ISO or BSD time (a year and a zone
# are allowed after the BSD time, as Cisco and some routers write).
_HEADER = re.compile(
    r"\s*(?:<\d{1,3}>)?(?:\d{1,2} )?\*?"
    r"(?:(?P<iso>\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?)"
    r"|(?P<bsd>(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),?\s+)?"
    r"[A-Z][a-z]{2}\s+\d{1,2}\s+(?:\d{4}\s+)?\d\d:\d\d:\d\d(?:\.\d+)?"
    r"(?:\s+(?:[A-Z]{3,5}|[+-]\d\d:?\d\d)(?=[\s:]))?(?:\s+\d{4}(?=\s))?))"
)


_SECONDS = [timedelta(seconds=n) for n in range(60)]
SECONDS = _SECONDS  # n -> timedelta(seconds=n), for parsers adding seconds to a minute
_SECOND_SPACE = {f"{n:02d} ": _SECONDS[n] for n in range(60)}  # "07 " -> 7 s


class HeaderTimes:
    """Parses the syslog envelope time at the start of a line, remembering the last one.

    One instance per format module. Formats cluster and consecutive lines share the same
    second, so a line starting with the previous line's exact header costs one startswith().
    """

    __slots__ = (
        "_ctx",
        "_end",
        "_latest",
        "_memo",
        "_minute",
        "_minute_end",
        "_minute_start",
        "_prefix",
        "_spaced",
        "_value",
    )

    def __init__(self) -> None:
        self._ctx: ParseContext | None = None
        self._prefix = ""
        self._spaced = "\0"  # the last header plus the space that usually follows it
        self._end = 0
        self._value: datetime | None = None
        # "Jan 14 10:00:" / "Nov 25 2026 00:00:" of the last BSD time, where its seconds end,
        # and the UTC start of that minute
        self._minute = ""
        self._minute_end = 0
        self._minute_start = datetime.min.replace(tzinfo=UTC)
        self._latest = datetime.max.replace(tzinfo=UTC)
        self._memo = MinuteTimes()

    def leading(self, line: str, ctx: ParseContext) -> tuple[datetime | None, int]:
        """(time, end offset of the timestamp) of the envelope at the line start; (None, 0)
        when the line starts with no time. LineRejected("bad-time") for an impossible one."""
        # Both shortcuts give what _HEADER and parsing would; the minute one comes first as
        # it also takes the lines of the previous line's second.
        if self._minute and ctx is self._ctx and line.startswith(self._minute):
            # A new second of the last BSD minute (`Jan 14 10:00:`, `Nov 25 2026 00:00:`) at
            # the line start, followed by a host name (lower case: no zone or year can follow)
            # is what _HEADER would match; skip it.
            end = self._minute_end
            second = _SECOND_SPACE.get(line[end - 2 : end + 1])
            if second is not None and line[end + 1 : end + 2].islower():
                moment = self._minute_start + second
                if moment <= self._latest:
                    return moment, end
        if ctx is self._ctx and (
            line.startswith(self._spaced)
            or line.startswith(self._prefix)
            and line[self._end : self._end + 1] in (":", "")
        ):
            return self._value, self._end
        match = _HEADER.match(line)
        if match is None:
            return None, 0
        value: datetime | None
        if match.group("iso"):
            value = parse_iso(match.group("iso"), ctx)
        else:
            value = self._bsd(match.group("bsd"), ctx)
        if value is None:  # a time is written there, but no such time exists (Feb 30, 10:00:99)
            raise LineRejected("bad-time")
        self._ctx, self._prefix, self._end, self._value = ctx, match.group(0), match.end(), value
        self._spaced = self._prefix + " "
        return value, match.end()

    def _bsd(self, text: str, ctx: ParseContext) -> datetime | None:
        """parse_bsd, reusing the minute's result (MinuteTimes) for a time that ends in its
        seconds: a new second of the same minute is an addition."""
        minute_start = None
        if text[-3:-2] == ":" and text[-2:].isdigit():  # ends in the seconds: "... 10:00:07"
            minute_start = self._memo.minute_start(text[:-2], ctx)
        if minute_start is not None and text[-2:] < "60":
            value: datetime | None = minute_start + _SECONDS[int(text[-2:])]
        else:
            value = parse_bsd(text, ctx)
        self._latest = (ctx.received_at or clock.utcnow()) + FUTURE_TOLERANCE
        if minute_start is None:
            self._minute = ""
        else:
            self._minute, self._minute_end, self._minute_start = text[:-2], len(text), minute_start
        return value


class MinuteTimes:
    """The UTC start of a BSD-syslog minute ("Jan 14 10:00:", "Nov 25 2026 00:00:"), for
    lines that come in runs within the same minutes: every second of it is start + seconds.

    Only when that is exact: second 00 and second 59 of the minute must both parse and lie
    59 s apart (same inferred year; zones change offset on whole minutes); None otherwise, and
    the caller parses each time in full. One entry: runs share a minute, then move on."""

    __slots__ = ("_ctx", "_minute", "_start")

    def __init__(self) -> None:
        self._ctx: ParseContext | None = None
        self._minute = ""
        self._start: datetime | None = None

    def minute_start(self, minute: str, ctx: ParseContext) -> datetime | None:
        if minute != self._minute or ctx is not self._ctx:
            first = parse_bsd(minute + "00", ctx)
            exact = first is not None
            # Only a receipt bound falling inside this very minute can split its seconds
            # between two inferred years; then ask second 59 itself.
            if first is not None and first <= _latest(ctx) < first + _SECONDS[59]:
                last = parse_bsd(minute + "59", ctx)
                exact = last is not None and last - first == _SECONDS[59]
            self._ctx, self._minute, self._start = ctx, minute, first if exact else None
        return self._start


def _latest(ctx: ParseContext) -> datetime:
    """The newest believable time (as _infer_year bounds its candidates)."""
    return (ctx.received_at or clock.utcnow()) + FUTURE_TOLERANCE


def parse_bsd(text: str, ctx: ParseContext) -> datetime | None:
    """`Jan  8 03:37:09`, `Jan 8 2019 03:37:09.123 UTC` at the start of `text`."""
    match = _BSD.match(text)
    if match is None:
        return None
    g = match.group
    year = g("y") or g("y2")
    return build(ctx, g("mo"), g("d"), g("h"), g("mi"), g("s"), year, g("z"), g("f"))


_header_times = HeaderTimes()


def leading_time(line: str, ctx: ParseContext) -> datetime | None:
    """The syslog envelope time at the start of `line` (after an optional <PRI>), or None.
    Raises LineRejected("bad-time") when the time written there cannot exist."""
    return _header_times.leading(line, ctx)[0]


_CLF = re.compile(
    r"(?P<d>\d{1,2})/(?P<mo>[A-Z][a-z]{2})/(?P<y>\d{4}):(?P<h>\d\d):(?P<mi>\d\d):(?P<s>\d\d)"
    r"(?:\s(?P<z>[+-]\d{4}))?"
)


def search_clf(text: str, ctx: ParseContext) -> datetime | None:
    """The first `20/Jun/2022:13:09:14 +0200` (web-server / pve-firewall style) in `text`."""
    match = _CLF.search(text)
    if match is None:
        return None
    g = match.group
    return build(ctx, g("mo"), g("d"), g("h"), g("mi"), g("s"), g("y"), g("z"))
