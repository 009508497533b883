"""The digest's words: every machine code a reporter's log holds, said for a reader who knows
nothing of networking. Pure.

The codes come from three places: the filters (probewatch.filters.READER_TEXT), the reading
of an email (parser and ingest reasons: a line that cannot be trusted, an email without
alerts) and the aggregate's decisions (why an address was or was not reported). A code this
module does not know is shown as words made from it, never as the code itself.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from probewatch.filters import READER_TEXT

# Lines of an email that looked like firewall alerts but could not be trusted.
READING_TEXT: dict[str, tuple[str, str]] = {
    "bad-address": (
        "Unreadable address",
        "The line's address was damaged or hidden, so it could point at the wrong person.",
    ),
    "bad-port": (
        "Unreadable connection number",
        "The line's connection (port) number was damaged or impossible.",
    ),
    "bad-time": (
        "Unreadable time",
        "The line's date or time was damaged or impossible.",
    ),
    "no-time": (
        "No time",
        "The line had no time on it, and a report needs the exact time.",
    ),
    "too-old": (
        "Too old",
        "It happened more than 72 hours before you forwarded it, too long ago to report.",
    ),
    "in-future": (
        "Time in the future",
        "Its time was later than when we received it, so your firewall's clock must be wrong.",
    ),
    "zone-unknown": (
        "Held: time zone unknown",
        "The line's time has no time zone and we do not know yours, so the exact time is not "
        "known. It is held, not reported, until you tell us your time zone.",
    ),
    "clock-skew": (
        "Held: firewall clock wrong",
        "Your firewall's clock was off by more than 5 seconds, so its times cannot be "
        "trusted. It is held, not reported.",
    ),
}

# What became of an email that gave no events (ingest's submission reasons).
EMAIL_RESULT: dict[str, str] = {
    "no-firewall-lines": "no firewall alerts found in it",
    "all-lines-rejected": "its alerts could not be trusted (see below)",
    "no-text": "no readable text in it",
    "empty": "it was empty",
    "no-sender": "no sender address on it",
    "not-authenticated": "we could not confirm it really came from you",
    "not-registered": "sent from an address we do not know",
    "too-large": "too large to read",
    "too-deep": "too many forwards inside forwards to read",
    "too-many-parts": "too many attachments to read",
    "decompressed-too-large": "its attachment unpacked to more than we read",
    "command": "a command to probewatch (see Your commands)",
    "abuse-reply": "a reply from an abuse desk",
}

# Why an address was not reported (the aggregate's decision codes).
NOT_REPORTED_TEXT: dict[str, str] = {
    "filtered": "Every event from it matched one of the safety rules below.",
    "uncorroborated": (
        "Too little to go on: a few blocked attempts seen by one person can be faked to put "
        "the blame on someone innocent. It is reported when more people see it, or when it "
        "goes on longer."
    ),
    "expired": "Its events became older than 72 hours before a report could be made.",
    "special-purpose-source": (
        "The address belongs to nobody on the internet (private or reserved)."
    ),
    "no-contact": "No address could be found to send a report to.",
    "duplicate": (
        "The network responsible already had a report about this address in the last 72 "
        "hours; one report is enough."
    ),
    "no-events": "No events were left to report.",
    "cancelled": "You cancelled it.",
    "opted-out": "The network responsible asked us to send no reports about its addresses.",
}

# What an incident still on its way is doing.
OPEN_TEXT: dict[str, str] = {
    "open": "still watching: a report follows if it goes on",
    "queued": "report about to be sent",
    "lookup-pending": "looking up who is responsible for it",
}


def reason_title(code: str) -> str:
    """Short title for a dropped-event reason (filters or reading)."""
    return (READER_TEXT.get(code) or READING_TEXT.get(code) or (_words(code), ""))[0]


def reason_meaning(code: str) -> str:
    found = READER_TEXT.get(code) or READING_TEXT.get(code)
    return found[1] if found else "probewatch could not use it to report anyone."


def email_result(reason: str | None, status: str | None) -> str:
    if reason and reason in EMAIL_RESULT:
        return EMAIL_RESULT[reason]
    if reason:
        return _words(reason).lower()
    return "not used" if status != "accepted" else "read"


def not_reported_text(code: str | None) -> str:
    if code and code in NOT_REPORTED_TEXT:
        return NOT_REPORTED_TEXT[code]
    return "probewatch decided it was not safe to report."


def _words(code: str) -> str:
    """ "some-code" -> "Some code": readable, and not the code as written."""
    text = code.replace("-", " ").replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else "Other"


def format_time(moment: datetime | None, zone: ZoneInfo) -> str:
    """Local time with UTC beside it, e.g. "2026-11-25 09:05 EST (14:05 UTC)"."""
    if moment is None:
        return "-"
    local = moment.astimezone(zone)
    if local.tzname() == "UTC":
        return f"{local:%Y-%m-%d %H:%M} UTC"
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()} ({moment.astimezone(UTC):%H:%M} UTC)"


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def were(n: int) -> str:
    return "was" if n == 1 else "were"


def are(n: int) -> str:
    return "is" if n == 1 else "are"


def duration(seconds: float) -> str:
    """ "about 42 seconds", "about 7 minutes", "about 3 hours"."""
    seconds = abs(seconds)
    if seconds < 120:
        return plural(round(seconds), "second")
    if seconds < 7200:
        return plural(round(seconds / 60), "minute")
    return plural(round(seconds / 3600), "hour")
