"""Windows Filtering Platform audit events 5152/5157 (blocked packet/connection) and 5156
(permitted connection) as text: copied from Event Viewer (one field per line) or forwarded
on one line by a syslog agent (Snare, NXLog).

    The Windows Filtering Platform has blocked a packet.
    ...
    Network Information:
        Direction:          Inbound
        Source Address:     203.0.113.9
        Source Port:        51000
        Destination Address: 192.168.1.10
        Destination Port:   3389
        Protocol:           6

Multi-line text is collected in ctx.state from the event's first line ("Log Name:", "Date:",
"Event ID:", PowerShell's "TimeCreated :", or the "Windows Filtering Platform has ..."
sentence) until "Protocol:" completes it. The time comes from the "Date:" / "TimeCreated"
line, or the row of Event Viewer's text / CSV export (reporter's zone), or the syslog
envelope, else None.
"""

from __future__ import annotations

from probewatch.model import Action, ProbeEvent
from probewatch.parsers import timestamps, validate
from probewatch.parsers.base import ParseContext
from probewatch.parsers.patterns import lazy

_FIELD = lazy(
    r"(Direction|Source Address|Source Port|Destination Address|Destination Port|Protocol|"
    r"Date|TimeCreated|Event ID|Keywords) *:\s+(\S+(?: \d\d?:\d\d:\d\d(?: [AP]M)?)?)"
)
_SENTENCE = lazy(r"Windows Filtering Platform (?:has )?(blocked|permitted|allowed)")
_EVENT_ACTIONS: dict[str, Action] = {"5152": "block", "5157": "block", "5156": "allow"}
_WORD_ACTIONS: dict[str, Action] = {"blocked": "block", "permitted": "allow", "allowed": "allow"}
_US_DATE = lazy(r"(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2}):(\d\d):(\d\d)(?: ([AP]M))?")
_ISO_DATE = lazy(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d")
_EXPORT_ID = lazy(r"(?:^|[\s,])(515[267])(?=[\s,])")
_STATE_KEY = "windows_wfp.record"
_STARTS = ("Log Name:", "Event ID:", "The Windows Filtering Platform")  # a record begins
_KEYS = (
    "Source Address:",
    "Source Port:",
    "Destination Address:",
    "Destination Port:",
    "Protocol:",
    "Direction:",
    "Date:",
    "Event ID:",
    "Log Name:",
    "TimeCreated",
)


class WindowsWfpParser:
    name = "windows-wfp"

    def __init__(self) -> None:
        self._times = timestamps.HeaderTimes()

    def can_parse(self, line: str) -> bool:
        # "Filtering Platform": also the task category of an export row ("... 5157 Filtering
        # Platform Connection"), which comes before the event's text
        return "Filtering Platform" in line or line.startswith(_KEYS)

    def parse(self, line: str, ctx: ParseContext) -> list[ProbeEvent] | None:
        if "Source Address:" in line and "Destination Port:" in line:  # one-line forward
            record: dict[str, str] = {}
            _collect(line, record)
            time, _end = self._times.leading(line, ctx)
            return self._events(line, record, ctx, time)
        record = ctx.state.get(_STATE_KEY)  # type: ignore[assignment]
        if line.startswith(("Date:", "TimeCreated")):  # the date comes before the event id
            if record is None or "Source Address" in record:
                record = {}
                ctx.state[_STATE_KEY] = record
            record.pop("Date", None)
            record.pop("TimeCreated", None)
        starts = line.startswith(_STARTS) or "Filtering Platform" in line
        if starts and (
            record is None or "Source Address" in record or line.startswith("Log Name:")
        ):
            record = {}
            ctx.state[_STATE_KEY] = record
        if record is None:
            return None
        sentence = _SENTENCE.search(line)
        if sentence is not None:
            record["Outcome"] = sentence.group(1)
        _collect(line, record)
        if "Date" not in record and "auditing" in line.lower():
            _export_row(line, record)
        if line.startswith("Protocol:") and "Source Address" in record:
            ctx.state.pop(_STATE_KEY, None)
            when = record.get("Date") or record.get("TimeCreated")
            return self._events(line, record, ctx, _date(when, ctx))
        return []

    def _events(
        self, line: str, record: dict[str, str], ctx: ParseContext, time
    ) -> list[ProbeEvent] | None:  # type: ignore[no-untyped-def]
        if "Source Address" not in record:
            return None
        action = _EVENT_ACTIONS.get(record.get("Event ID", ""))
        if action is None:
            sentence = _SENTENCE.search(line)
            word = sentence.group(1) if sentence else record.get("Outcome", "")
            action = _WORD_ACTIONS.get(word, "unknown")
        return [
            validate.make_event(
                format=self.name,
                raw=line,
                time=time,
                src_ip=record.get("Source Address", ""),
                src_port=record.get("Source Port"),
                dst_ip=record.get("Destination Address"),
                dst_port=record.get("Destination Port"),
                proto_name=record.get("Protocol", "IP"),
                action_word=action,
                direction=_direction(record.get("Direction")),
            )
        ]


def _direction(word: str | None) -> str | None:
    """ "Inbound"/"Outbound", or the untranslated message ids %%14592/%%14593."""
    return {"%%14592": "in", "%%14593": "out"}.get(word or "") or validate.direction(word)


def _export_row(line: str, record: dict[str, str]) -> None:
    """Event Viewer's "Save All Events As" text / CSV row (`Audit Failure<TAB>1/14/2026
    10:00:00 AM<TAB>Microsoft-Windows-Security-Auditing<TAB>5157<TAB>...`): date and event id."""
    date = _US_DATE.search(line) or _ISO_DATE.search(line)
    if date is not None:
        record["Date"] = date.group(0)
    event = _EXPORT_ID.search(line)
    if event is not None:
        record.setdefault("Event ID", event.group(1))


def _collect(line: str, record: dict[str, str]) -> None:
    for key, value in _FIELD.findall(line):
        record.setdefault(key, value)


def _date(text: str | None, ctx: ParseContext):  # type: ignore[no-untyped-def]
    """Event Viewer's "Date:" in ISO or US form (5/6/2019 10:12:33 AM), in the reporter's zone."""
    if not text:
        return None
    iso = timestamps.parse_iso(text, ctx)
    if iso is not None:
        return iso
    match = _US_DATE.match(text)
    if match is None:
        return None
    month, day, year, hour, minute, second, half = match.groups()
    hour_n = int(hour) % 12 + (12 if half == "PM" else 0) if half else int(hour)
    return timestamps.build(ctx, month, day, hour_n, minute, second, year)


PARSER = WindowsWfpParser()
