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
never guess a date. Parsers turn the pieces they matched into a datetime with `build()`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from probewatch import clock
from probewatch.parsers.base import LineRejected, ParseContext

# Reporters' clocks drift and mail takes a while: a few minutes "ahead" is still believable.
FUTURE_TOLERANCE = timedelta(minutes=10)
# The guidelines: never report anything older than 72 hours.
MAX_AGE = timedelta(hours=72)

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
    "UTC": UTC, "GMT": UTC, "UT": UTC, "Z": UTC, "ZULU": UTC, "WET": UTC,
    "WEST": _hours(1), "BST": _hours(1), "IST": _hours(5.5),
    "CET": _hours(1), "MET": _hours(1), "CEST": _hours(2), "MEST": _hours(2), "MESZ": _hours(2),
    "MEZ": _hours(1), "EET": _hours(2), "EEST": _hours(3), "MSK": _hours(3), "SAST": _hours(2),
    "EST": _hours(-5), "EDT": _hours(-4), "CST": _hours(-6), "CDT": _hours(-5),
    "MST": _hours(-7), "MDT": _hours(-6), "PST": _hours(-8), "PDT": _hours(-7),
    "AKST": _hours(-9), "AKDT": _hours(-8), "HST": _hours(-10), "AST": _hours(-4),
    "ADT": _hours(-3), "NST": _hours(-3.5), "NDT": _hours(-2.5), "BRT": _hours(-3),
    "ART": _hours(-3), "JST": _hours(9), "KST": _hours(9), "HKT": _hours(8), "SGT": _hours(8),
    "PHT": _hours(8), "AWST": _hours(8), "ICT": _hours(7), "WIB": _hours(7),
    "ACST": _hours(9.5), "ACDT": _hours(10.5), "AEST": _hours(10), "AEDT": _hours(11),
    "NZST": _hours(12), "NZDT": _hours(13),
}  # fmt: skip

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
            local = datetime(year_n, int(month), int(day), int(hour), int(minute),
                             int(second), micro)  # fmt: skip
            return _aware(local, where)
        return _infer_year(ctx, int(month), int(day), int(hour), int(minute), int(second),
                           micro, where)  # fmt: skip
    except ValueError:
        return None


def _aware(local: datetime, where: tzinfo) -> datetime:
    return local.replace(tzinfo=where).astimezone(UTC)


def _infer_year(ctx: ParseContext, month: int, day: int, hour: int, minute: int, second: int,
                micro: int, where: tzinfo) -> datetime | None:  # fmt: skip
    reference = ctx.received_at or clock.utcnow()
    latest = reference + FUTURE_TOLERANCE
    best: datetime | None = None
    for year in (reference.year + 1, reference.year, reference.year - 1, reference.year - 2):
        try:
            candidate = _aware(datetime(year, month, day, hour, minute, second, micro), where)
        except ValueError:  # Feb 29 in a common year
            continue
        if candidate <= latest:
            return candidate  # candidates go back in time: the first one that fits is closest
        best = candidate
    return best


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
    r"(?P<mo>[A-Z][a-z]{2})\s+(?P<d>\d{1,2})\s+(?:(?P<y>\d{4})\s+)?"
    r"(?P<h>\d\d):(?P<mi>\d\d):(?P<s>\d\d)(?:\.(?P<f>\d+))?"
    r"(?:\s+(?P<z>[A-Z]{3,5}|[+-]\d\d:?\d\d)(?=[\s:]))?"
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
    r"|(?P<bsd>[A-Z][a-z]{2}\s+\d{1,2}\s+(?:\d{4}\s+)?\d\d:\d\d:\d\d(?:\.\d+)?"
    r"(?:\s+(?:[A-Z]{3,5}|[+-]\d\d:?\d\d)(?=[\s:]))?))"
)


class HeaderTimes:
    """Parses the syslog envelope time at the start of a line, remembering the last one.

    One instance per format module; formats cluster, consecutive lines share the same
    second, so the cache makes the time cost close to a dictionary lookup.
    """

    __slots__ = ("_key", "_value")

    def __init__(self) -> None:
        self._key: tuple[str, datetime | None, tzinfo] | None = None
        self._value: datetime | None = None

    def leading(self, line: str, ctx: ParseContext) -> tuple[datetime | None, int]:
        """(time, end offset of the timestamp) of the envelope at the line start; (None, 0)
        when the line starts with no time."""
        match = _HEADER.match(line)
        if match is None:
            return None, 0
        text = match.group("iso") or match.group("bsd")
        key = (text, ctx.received_at, ctx.tz)
        if key != self._key:
            self._key = key
            if match.group("iso"):
                self._value = parse_iso(text, ctx)
            else:
                self._value = parse_bsd(text, ctx)
        return self._value, match.end()


def parse_bsd(text: str, ctx: ParseContext) -> datetime | None:
    """`Jan  8 03:37:09`, `Jan 8 2019 03:37:09.123 UTC` at the start of `text`."""
    match = _BSD.match(text)
    if match is None:
        return None
    g = match.group
    return build(ctx, g("mo"), g("d"), g("h"), g("mi"), g("s"), g("y"), g("z"), g("f"))


_header_times = HeaderTimes()


def leading_time(line: str, ctx: ParseContext) -> datetime | None:
    """The syslog envelope time at the start of `line` (after an optional <PRI>), or None."""
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
