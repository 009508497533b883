"""Which zone a log's zone-less times are in, and which times did not need one.

A router that logs local time ("Nov 25 09:14:07") says nothing about its zone. Taken as UTC
for a reporter in New York, every report would be five hours wrong, and name whoever had the
address five hours earlier. So for a reporter who never declared a zone (Reporter.zone_known):

1. the zone is inferred only from evidence the device itself wrote (strong):
   * "attached-alert-date": the Date header of an alert forwarded as an attachment
     (message/rfc822): the router's mail code stamped it with its own offset;
   * "direct-alert-date": the Date of an automated message the device mailed us itself
     (Auto-Submitted, not a forward);
   * "device-tz-field": a `tz="-0500"` field the device writes into its own log lines
     (FortiOS), one offset for the whole text;
2. a person's Date (the forward's own Date header) tells the person's mail program's zone,
   not the firewall's: a hint for the reply ("you seem to be at -05:00"), never applied;
3. without strong evidence, the events whose time depends on the zone are HELD: not
   stored, counted as rejected "zone-unknown" with an example, and the reporter is told at
   once how to set the zone (probewatch.held_replies). Lines with an explicit offset, a Z,
   a zone name or an epoch are exact and go on as usual.

Which events depend on the zone is measured, not guessed from formats: the chosen text is
parsed a second time with a probe zone (+07:13, which no real zone uses); an event whose
time moved, or that the probe parse lost, depends on the zone. That second parse happens
only for reporters without a known zone.

A fixed offset inferred from one Date applies to the whole email; around a DST change the
72-hour window can hold times an hour off. Reporters are told to declare their zone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from email import message_from_bytes, policy
from email.message import Message
from email.utils import parsedate_to_datetime
from typing import Any

from probewatch.mail.inbound import InboundMail
from probewatch.model import ProbeEvent, Reporter

ZONE_UNKNOWN = "zone-unknown"
PROBE_ZONE = timezone(timedelta(hours=7, minutes=13))
STRONG_BASES = ("attached-alert-date", "direct-alert-date", "device-tz-field")
_TZ_FIELD = re.compile(r"""\btz=["']?([+-]\d{2}:?\d{2})["']?""")


@dataclass(frozen=True, slots=True)
class ZonePlan:
    """How one email's zone-less times are placed."""

    tz: str | tzinfo  # what the parsers get for times written without a zone
    label: str | None  # "America/New_York", "-05:00"; None when unknown
    basis: str | None  # "declared" or one of STRONG_BASES; None when unknown
    hint: str | None = None  # weak evidence (a person's Date offset), for the reply only

    @property
    def known(self) -> bool:
        return self.basis is not None


def plan_zone(reporter: Reporter, mail: InboundMail, raw: bytes | None) -> ZonePlan:
    """The zone to parse `mail` in, and how it is known (see the module docstring)."""
    if reporter.zone_known:
        return ZonePlan(reporter.tz, reporter.tz, "declared")
    dates = _dates(raw)
    hint = _label(dates.outer) if dates.outer is not None else None
    for offset in dates.attached:
        return ZonePlan(_fixed(offset), _label(offset), "attached-alert-date", hint)
    if mail.auto_submitted and not mail.is_forward and dates.outer is not None:
        return ZonePlan(_fixed(dates.outer), _label(dates.outer), "direct-alert-date", hint)
    found = {_field_offset(m) for t in mail.texts for m in _TZ_FIELD.findall(t.text)}
    fields = {offset for offset in found if offset is not None}
    if len(fields) == 1:
        [field] = fields
        return ZonePlan(_fixed(field), _label(field), "device-tz-field", hint)
    # UTC only as the parsers' placeholder: zone-dependent events are held, never stored.
    return ZonePlan("UTC", None, None, hint)


def zone_dependent(
    parse: Callable[..., Any], text: str, events: Sequence[ProbeEvent], **parse_kw: Any
) -> list[bool]:
    """For each of `events` (the parse of `text`), whether its time depends on the zone."""
    probe = parse(text, tz=PROBE_ZONE, **parse_kw).events
    seen: dict[tuple[object, ...], list[datetime | None]] = {}
    for event in probe:
        seen.setdefault(_key(event), []).append(event.time)
    flags = []
    for event in events:
        times = seen.get(_key(event))
        if times:
            flags.append(times.pop(0) != event.time)
        else:
            flags.append(True)  # the probe zone moved it out of the window: zone-dependent
    return flags


@dataclass(frozen=True, slots=True)
class _Dates:
    outer: timedelta | None  # the email's own Date offset
    attached: list[timedelta]  # Date offsets of attached messages, outermost first


def _dates(raw: bytes | None) -> _Dates:
    if not raw:
        return _Dates(None, [])
    try:
        message = message_from_bytes(raw, policy=policy.compat32)
    except Exception:  # the ingest stage already read it; this is only evidence
        return _Dates(None, [])
    attached = [
        offset
        for inner in _attached_messages(message.walk())
        if (offset := _offset(inner.get("Date"))) is not None
    ]
    return _Dates(_offset(message.get("Date")), attached)


def _attached_messages(parts: Iterable[Message]) -> Iterable[Message]:
    for part in parts:
        if part.get_content_type() == "message/rfc822":
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                yield payload[0]


def _offset(value: object) -> timedelta | None:
    """The UTC offset an RFC 5322 Date was written with; None for none, or "-0000" (which
    RFC 5322 defines as "no zone information")."""
    if not value:
        return None
    text = str(value)
    if re.search(r"-0000\s*(\(.*\))?\s*$", text):
        return None
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None or moment.tzinfo is None:
        return None
    return moment.utcoffset()


def _field_offset(text: str) -> timedelta | None:
    digits = text.replace(":", "")
    hours, minutes = int(digits[1:3]), int(digits[3:5])
    if hours > 14 or minutes > 59:
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return -delta if digits[0] == "-" else delta


def _fixed(offset: timedelta) -> tzinfo:
    return timezone(offset)


def _label(offset: timedelta) -> str:
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _key(event: ProbeEvent) -> tuple[object, ...]:
    return (event.line_no, event.raw, event.src_ip, event.src_port, event.dst_port)
