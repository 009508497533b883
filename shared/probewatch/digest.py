"""The confirmation digest: what happened to everything a reporter forwarded. Pure: no AWS.

`build_digest` reads the reporter's log lines for the period (store.reporters.read_log) and
renders one message: plain text first, then an HTML alternative holding the same content as
tables plus a small chart. Both are rendered from the same list of sections, so they cannot
disagree. Times are shown in the reporter's zone with UTC beside them.

Log lines are `{"time": ISO, "kind": str, "ident": str, "data": dict}`; the data keys read:
  submission     the Submission record: status, reason, subject, formats, events_stored,
                 rejected {reason: n}, rejected_examples {reason: line}, clock_offset_seconds
                 (firewall clock minus true time; positive = ahead)
  filtered       incident_id, src_ip, counts {reason: n}, examples {reason: line}, status?
  report-sent    incident_id, src_ip, mailbox, events?
  held           incident_id, src_ip, hold_until
  bounce         mailbox, reason?, next_mailbox?, incident_id?, src_ip?
  rerouted       from (or mailbox), to (or next_mailbox), incident_id?, src_ip?
  undeliverable  mailbox?, reason?, incident_id?, src_ip?
  abuse-reply    incident_id, from, excerpt
  command        command, result, incident_id?
  decision       incident_id, src_ip, status, code, reason, events (the aggregate's verdict)
Missing keys show as "-"; unknown kinds are ignored.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any
from zoneinfo import ZoneInfo

from probewatch.digest_render import Chart, Section, render_html, render_text
from probewatch.model import Reporter, parse_iso

CLOCK_TOLERANCE_SECONDS = 5.0
EXAMPLE_MAX_CHARS = 160
KNOWN_KINDS = {
    "submission",
    "filtered",
    "report-sent",
    "held",
    "bounce",
    "rerouted",
    "undeliverable",
    "abuse-reply",
    "command",
    "decision",
}
# Kinds that by themselves say where an incident stands.
_STATUS_OF_KIND = {"held": "held", "report-sent": "sent", "undeliverable": "undeliverable"}
# Submissions that were replies to us rather than logs (ingest's reason codes).
_NOT_LOGS = {"command": "a command (see Your commands)", "abuse-reply": "an abuse-desk reply"}
# Incidents still on their way, and what they are doing.
_OPEN = {"open": "collecting events", "queued": "report about to be sent"}


def build_digest(
    reporter: Reporter,
    day_start: datetime,
    day_end: datetime,
    entries: list[dict[str, Any]],
    *,
    sender: str | None = None,
    send_empty: bool = False,
) -> EmailMessage | None:
    """The digest for [day_start, day_end), or None when there is nothing to say.

    `sender` becomes From: (leave it out only to render, not to send). With `send_empty`, a quiet
    period still gets a short message saying so.
    """
    zone = ZoneInfo(reporter.tz)
    entries = sorted((e for e in entries if e.get("kind") in KNOWN_KINDS), key=_entry_time)
    if not entries and not send_empty:
        return None
    view = _DigestView(entries, zone)
    intro = _intro(reporter, day_start, day_end, zone)
    sections = (
        view.sections()
        if entries
        else [
            Section(
                "Nothing to report",
                notes=[
                    "No email arrived from you and nothing happened to your reports in this period."
                ],
            )
        ]
    )
    chart = view.chart(day_start, day_end) if view.accepted else None

    message = EmailMessage()
    if sender:
        message["From"] = sender
    message["To"] = reporter.email
    local_day = (day_end - timedelta(seconds=1)).astimezone(zone).date().isoformat()
    message["Subject"] = (
        f"probewatch digest {local_day}: {view.accepted} events accepted, "
        f"{len(view.sent)} reports sent"
    )
    message["Date"] = format_datetime(day_end.astimezone(UTC))
    domain = sender.rpartition("@")[2] if sender else "probewatch.invalid"
    token = hashlib.sha256(f"{reporter.email}\0{day_end.isoformat()}".encode()).hexdigest()[:20]
    message["Message-ID"] = f"<digest.{token}@{domain}>"
    # RFC 3834: machines must not answer this, and we never answer machines either.
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    message.set_content(render_text(intro, sections, chart), cte="quoted-printable")
    message.add_alternative(
        render_html(intro, sections, chart), subtype="html", cte="quoted-printable"
    )
    return message


class _DigestView:
    """The log lines of one period, folded into what the reporter needs to know."""

    def __init__(self, entries: list[dict[str, Any]], zone: ZoneInfo) -> None:
        self.zone = zone
        self.by_kind: dict[str, list[dict[str, Any]]] = {}
        for entry in entries:
            self.by_kind.setdefault(entry["kind"], []).append(entry)
        self.submissions = self.by_kind.get("submission", [])
        self.accepted = sum(int(_data(e).get("events_stored") or 0) for e in self.submissions)
        self.sent = self.by_kind.get("report-sent", [])
        self.dropped = self._dropped()
        self.waiting = self._waiting_for_review()

    def sections(self) -> list[Section]:
        out = [s for s in (self._clock_warning(),) if s]
        out.append(self._summary())
        out.extend(
            s
            for s in (
                self._emails(),
                self._dropped_section(),
                self._open_incidents(),
                self._reports_sent(),
                self._review(),
                self._not_reported(),
                self._bounces(),
                self._abuse_replies(),
                self._commands(),
            )
            if s.rows
        )
        return out

    def chart(self, day_start: datetime, day_end: datetime) -> Chart:
        per_hour: Counter[datetime] = Counter()
        for entry in self.submissions:
            hour = _entry_time(entry).replace(minute=0, second=0, microsecond=0)
            per_hour[hour] += int(_data(entry).get("events_stored") or 0)
        bars = []
        hour = day_start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        while hour < day_end:
            bars.append((hour.astimezone(self.zone).strftime("%H:%M"), per_hour.get(hour, 0)))
            hour += timedelta(hours=1)
        return Chart("Accepted events by hour received (your time)", bars)

    # --- folding ------------------------------------------------------------------------

    def _dropped(self) -> dict[tuple[str, str], tuple[int, str]]:
        """(stage, reason) -> (events, one example line). Stage "reading": lines of an email
        that were refused; "filtering": stored events a false-positive rule kept out."""
        dropped: dict[tuple[str, str], tuple[int, str]] = {}

        def add(stage: str, counts: Any, examples: Any) -> None:
            for reason, n in (counts or {}).items():
                total, example = dropped.get((stage, reason), (0, ""))
                dropped[(stage, reason)] = (
                    total + int(n),
                    example or (examples or {}).get(reason, ""),
                )

        for entry in self.submissions:
            add("reading", _data(entry).get("rejected"), _data(entry).get("rejected_examples"))
        for entry in self.by_kind.get("filtered", []):
            add("filtering", _data(entry).get("counts"), _data(entry).get("examples"))
        return dropped

    def _last_status(self) -> dict[str, tuple[str, str]]:
        """incident id -> (latest status seen in the period, source IP)."""
        status: dict[str, tuple[str, str]] = {}
        for entry in sorted(sum(self.by_kind.values(), []), key=_entry_time):
            data, kind = _data(entry), entry["kind"]
            incident = str(data.get("incident_id") or "")
            if not incident:
                continue
            src = str(data.get("src_ip") or status.get(incident, ("", "-"))[1])
            if kind in _STATUS_OF_KIND:
                status[incident] = (_STATUS_OF_KIND[kind], src)
            elif kind == "decision" and data.get("status"):
                status[incident] = (str(data["status"]), src)
            elif kind == "filtered" and (data.get("status") or incident not in status):
                # Without a status it only says the incident exists: never overrides a decision.
                status[incident] = (str(data.get("status") or "open"), src)
            elif kind == "command" and data.get("result") == "cancelled":
                status[incident] = ("cancelled", src)
        return status

    def _waiting_for_review(self) -> list[dict[str, Any]]:
        status = self._last_status()
        return [
            _data(e)
            for e in self.by_kind.get("held", [])
            if status.get(str(_data(e).get("incident_id")), ("held",))[0] == "held"
        ]

    # --- sections -----------------------------------------------------------------------

    def _clock_warning(self) -> Section | None:
        worst: tuple[float, dict[str, Any]] | None = None
        for entry in self.submissions:
            offset = _data(entry).get("clock_offset_seconds")
            if (
                offset is not None
                and abs(float(offset)) > CLOCK_TOLERANCE_SECONDS
                and (worst is None or abs(float(offset)) > abs(worst[0]))
            ):
                worst = (float(offset), entry)
        if worst is None:
            return None
        offset, entry = worst
        direction = "ahead" if offset > 0 else "behind"
        return Section(
            "Clock warning",
            notes=[
                f"Your firewall's clock seems to be about {abs(offset):.0f} seconds {direction} "
                f"(email received {self._when(entry['time'])}).",
                "Abuse desks match reports to subscribers by time; a clock off by more than "
                f"{CLOCK_TOLERANCE_SECONDS:.0f} seconds can point at the wrong person. Please "
                "turn on automatic time (NTP) on your router or firewall.",
            ],
        )

    def _summary(self) -> Section:
        statuses = [status for status, _ in self._last_status().values()]
        rows = [
            ["Emails received", str(len(self.submissions))],
            ["Events accepted", str(self.accepted)],
            ["Lines refused while reading", str(self._dropped_total("reading"))],
            ["Events filtered out", str(self._dropped_total("filtering"))],
            ["Incidents open", str(sum(1 for s in statuses if s in _OPEN))],
            ["Reports sent", str(len(self.sent))],
            ["Reports waiting for your review", str(len(self.waiting))],
            ["Incidents not reported", str(statuses.count("not-reported"))],
            ["Bounces", str(len(self.by_kind.get("bounce", [])))],
            ["Replies from abuse desks", str(len(self.by_kind.get("abuse-reply", [])))],
        ]
        return Section("Summary", ["What", "Count"], rows)

    def _emails(self) -> Section:
        rows = []
        for entry in self.submissions:
            data = _data(entry)
            formats = ", ".join(
                f"{name} {n}" for name, n in sorted((data.get("formats") or {}).items())
            )
            if data.get("status") == "accepted":
                result = f"{int(data.get('events_stored') or 0)} events accepted"
            elif data.get("reason") in _NOT_LOGS:
                result = _NOT_LOGS[data["reason"]]
            else:
                result = f"{data.get('status') or '-'}: {data.get('reason') or 'no reason given'}"
            rows.append(
                [self._when(entry["time"]), _text(data.get("subject")), result, formats or "-"]
            )
        return Section("Emails received", ["Received", "Subject", "Result", "Formats"], rows)

    def _dropped_total(self, stage: str) -> int:
        return sum(n for (at, _), (n, _) in self.dropped.items() if at == stage)

    def _dropped_section(self) -> Section:
        order = sorted(
            self.dropped.items(), key=lambda kv: (kv[0][0] != "reading", -kv[1][0], kv[0])
        )
        rows = [
            [stage, reason, str(n), _clip(example or "-")]
            for (stage, reason), (n, example) in order
        ]
        return Section(
            "Events dropped",
            ["Stage", "Reason", "Events", "Example"],
            rows,
            notes=[
                "Never reported, for the reason shown. Reading: lines of your emails that could "
                "not be trusted. Filtering: accepted events that a rule kept out of reports."
            ]
            if rows
            else [],
        )

    def _open_incidents(self) -> Section:
        rows = [
            [incident, src, _OPEN[status]]
            for incident, (status, src) in sorted(self._last_status().items())
            if status in _OPEN
        ]
        return Section("Incidents open", ["Incident", "Source IP", "Status"], rows)

    def _not_reported(self) -> Section:
        decisions = {
            str(_data(e).get("incident_id")): _data(e) for e in self.by_kind.get("decision", [])
        }
        rows = []
        for incident, (status, src) in sorted(self._last_status().items()):
            if status == "not-reported":
                data = decisions.get(incident, {})
                why = str(data.get("reason") or data.get("code") or "-").removeprefix(
                    "not reported: "
                )
                rows.append([incident, src, _text(data.get("events")), _clip(why)])
        return Section(
            "Incidents not reported",
            ["Incident", "Source IP", "Events", "Why"],
            rows,
            notes=["probewatch decided not to report these sources."] if rows else [],
        )

    def _reports_sent(self) -> Section:
        rows = [
            [
                self._when(e["time"]),
                _text(_data(e).get("src_ip")),
                _text(_data(e).get("mailbox")),
                _text(_data(e).get("incident_id")),
                _text(_data(e).get("events", _data(e).get("event_count"))),
            ]
            for e in self.sent
        ]
        return Section("Reports sent", ["Sent", "Source IP", "To", "Incident", "Events"], rows)

    def _review(self) -> Section:
        rows = [
            [
                _text(d.get("incident_id")),
                _text(d.get("src_ip")),
                self._when(d["hold_until"]) if d.get("hold_until") else "-",
                f"reply CANCEL {_text(d.get('incident_id'))}",
            ]
            for d in self.waiting
        ]
        return Section(
            "Reports waiting for your review",
            ["Incident", "Source IP", "Sent after", "To stop it"],
            rows,
            notes=[
                "Reply to this email with the line CANCEL <incident> before the time shown, "
                "and that report will not be sent."
            ]
            if rows
            else [],
        )

    def _bounces(self) -> Section:
        rows = []
        for entry in sorted(
            self.by_kind.get("bounce", [])
            + self.by_kind.get("rerouted", [])
            + self.by_kind.get("undeliverable", []),
            key=_entry_time,
        ):
            data, kind = _data(entry), entry["kind"]
            mailbox = data.get("mailbox") or data.get("from")
            following = data.get("next_mailbox") or data.get("next") or data.get("to")
            reason = f" ({_clip(str(data['reason']))})" if data.get("reason") else ""
            if kind == "undeliverable":
                outcome = f"no mailbox left to try: not delivered{reason}"
            elif following:
                outcome = f"sent on to {following}"
            else:
                outcome = f"bounced{reason}"
            rows.append(
                [
                    self._when(entry["time"]),
                    _text(data.get("src_ip")),
                    _text(mailbox),
                    outcome,
                    _text(data.get("incident_id")),
                ]
            )
        return Section(
            "Bounces", ["When", "Source IP", "Mailbox", "What happened", "Incident"], rows
        )

    def _abuse_replies(self) -> Section:
        rows = [
            [
                self._when(e["time"]),
                _text(_data(e).get("incident_id")),
                _text(_data(e).get("from")),
                _clip(_text(_data(e).get("excerpt"))),
            ]
            for e in self.by_kind.get("abuse-reply", [])
        ]
        return Section(
            "Replies from abuse desks", ["Received", "Incident", "From", "They wrote"], rows
        )

    def _commands(self) -> Section:
        rows = [
            [self._when(e["time"]), _text(_data(e).get("command")), _text(_data(e).get("result"))]
            for e in self.by_kind.get("command", [])
        ]
        return Section("Your commands", ["Received", "Command", "Result"], rows)

    def _when(self, iso: str) -> str:
        return _format_time(parse_iso(iso), self.zone)


def _intro(reporter: Reporter, start: datetime, end: datetime, zone: ZoneInfo) -> list[str]:
    return [
        f"This is what probewatch did with the firewall alerts {reporter.email} forwarded "
        f"from {_format_time(start, zone)} to {_format_time(end, zone)}.",
        "Times are in UTC."
        if start.astimezone(zone).tzname() == "UTC"
        else f"Times are in your zone, {reporter.tz}, with UTC in brackets.",
    ]


def _format_time(moment: datetime | None, zone: ZoneInfo) -> str:
    if moment is None:
        return "-"
    local = moment.astimezone(zone)
    if local.tzname() == "UTC":
        return f"{local:%Y-%m-%d %H:%M} UTC"
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()} ({moment.astimezone(UTC):%H:%M} UTC)"


def _entry_time(entry: dict[str, Any]) -> datetime:
    return parse_iso(entry.get("time")) or datetime.min.replace(tzinfo=UTC)


def _data(entry: dict[str, Any]) -> dict[str, Any]:
    data = entry.get("data")
    return data if isinstance(data, dict) else {}


def _text(value: Any) -> str:
    return "-" if value in (None, "") else " ".join(str(value).split())


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXAMPLE_MAX_CHARS else text[: EXAMPLE_MAX_CHARS - 1] + "…"
