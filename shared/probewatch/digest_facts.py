"""The digest's facts: a reporter's log lines for one period, folded into what happened. Pure.

Log lines are `{"time": ISO, "kind": str, "ident": str, "data": dict}` (store.reporters.
read_log). `DigestFacts` keeps every line by kind (`of_kind`), so a new digest section only
needs a function in probewatch.digest_sections; the folds below are the ones several
sections share: counts, what was dropped and why, and where each incident stands.

A report counts as sent when SES accepted it ("report-sent") and no bounce of that mailbox
for that incident came later in the period; a bounced attempt is listed with where the
report went next ("rerouted") or that no mailbox was left ("undeliverable").
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from probewatch.model import parse_iso

CLOCK_TOLERANCE_SECONDS = 5.0
# Kinds that by themselves say where an incident stands.
_STATUS_OF_KIND = {
    "held": "held",
    "report-sent": "sent",
    "undeliverable": "undeliverable",
    "opted-out": "not-reported",  # the send stage found the network opted out (desk_rules)
}
# Bookkeeping lines that are not news for the reporter.
IGNORED_KINDS = frozenset({"digest"})


@dataclass(frozen=True)
class Dropped:
    stage: str  # "reading": a line of an email refused; "filtering": a stored event kept out
    code: str
    events: int
    example: str


@dataclass(frozen=True)
class Attempt:
    """One report SES accepted, and whether that mailbox bounced it afterwards."""

    when: datetime
    incident: str
    src_ip: str
    mailbox: str
    events: str
    bounced: bool


@dataclass
class DigestFacts:
    zone: ZoneInfo
    start: datetime
    end: datetime
    entries: list[dict[str, Any]]
    by_kind: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for entry in self.entries:
            self.by_kind.setdefault(entry["kind"], []).append(entry)

    # --- raw access, for sections of their own ---------------------------------------------

    def of_kind(self, *kinds: str) -> list[dict[str, Any]]:
        """Every line of these kinds, in time order."""
        lines = [e for kind in kinds for e in self.by_kind.get(kind, [])]
        return sorted(lines, key=entry_time)

    def when(self, value: Any) -> str:
        """A log time (ISO text or datetime) in the reporter's zone with UTC beside it."""
        from probewatch.digest_words import format_time

        moment = value if isinstance(value, datetime) else _parse(value)
        return format_time(moment, self.zone)

    # --- shared folds -----------------------------------------------------------------

    @property
    def submissions(self) -> list[dict[str, Any]]:
        return self.of_kind("submission")

    @property
    def accepted(self) -> int:
        return sum(_int(data(e).get("events_stored")) for e in self.submissions)

    def dropped(self) -> list[Dropped]:
        """Per (stage, reason): events and one example line; reading first, biggest first."""
        found: dict[tuple[str, str], tuple[int, str]] = {}

        def add(stage: str, counts: Any, examples: Any) -> None:
            for code, n in (counts or {}).items():
                total, example = found.get((stage, code), (0, ""))
                found[(stage, code)] = (
                    total + _int(n),
                    example or str((examples or {}).get(code) or ""),
                )

        for entry in self.submissions:
            add("reading", data(entry).get("rejected"), data(entry).get("rejected_examples"))
        for entry in self.of_kind("filtered"):
            add("filtering", data(entry).get("counts"), data(entry).get("examples"))
        rows = [Dropped(stage, code, n, ex) for (stage, code), (n, ex) in found.items()]
        return sorted(rows, key=lambda d: (d.stage != "reading", -d.events, d.code))

    def dropped_total(self, stage: str) -> int:
        return sum(d.events for d in self.dropped() if d.stage == stage)

    def attempts(self) -> list[Attempt]:
        bounced = Counter(
            (str(data(e).get("incident_id") or ""), str(data(e).get("mailbox") or "").lower())
            for e in self.of_kind("bounce")
        )
        out = []
        for entry in self.of_kind("report-sent"):
            d = data(entry)
            key = (str(d.get("incident_id") or ""), str(d.get("mailbox") or "").lower())
            hit = bounced[key] > 0
            if hit:
                bounced[key] -= 1  # one bounce answers one attempt
            out.append(
                Attempt(
                    entry_time(entry),
                    text(d.get("incident_id")),
                    text(d.get("src_ip")),
                    text(d.get("mailbox")),
                    text(d.get("events", d.get("event_count"))),
                    hit,
                )
            )
        # "undeliverable" without its own bounce line (the send stage gave up): the latest
        # attempt before it did not arrive either.
        for entry in self.of_kind("undeliverable"):
            incident, moment = text(data(entry).get("incident_id")), entry_time(entry)
            earlier = [i for i, a in enumerate(out) if a.incident == incident and a.when <= moment]
            if earlier and not out[earlier[-1]].bounced:
                out[earlier[-1]] = replace(out[earlier[-1]], bounced=True)
        return out

    def sent(self) -> list[Attempt]:
        """Reports SES accepted and the mailbox did not bounce."""
        return [a for a in self.attempts() if not a.bounced]

    def status(self) -> dict[str, tuple[str, str]]:
        """incident id -> (latest status seen in the period, source IP)."""
        status: dict[str, tuple[str, str]] = {}
        for entry in self.entries:  # already in time order
            d, kind = data(entry), entry["kind"]
            incident = str(d.get("incident_id") or "")
            if not incident:
                continue
            src = str(d.get("src_ip") or status.get(incident, ("", "-"))[1])
            if kind in _STATUS_OF_KIND:
                status[incident] = (_STATUS_OF_KIND[kind], src)
            elif kind == "decision" and d.get("status"):
                status[incident] = (str(d["status"]), src)
            elif kind == "filtered" and (d.get("status") or incident not in status):
                # Without a status it only says the incident exists: never overrides a decision.
                status[incident] = (str(d.get("status") or "open"), src)
            elif kind == "command" and d.get("result") == "cancelled":
                status[incident] = ("cancelled", src)
        return status

    def decisions(self) -> dict[str, dict[str, Any]]:
        """incident id -> the latest verdict's data; an opt-out is one, code "opted-out"."""
        out: dict[str, dict[str, Any]] = {}
        for entry in self.of_kind("decision", "opted-out"):
            d = data(entry)
            if entry["kind"] == "opted-out":
                d = {**d, "code": "opted-out"}
            out[str(d.get("incident_id"))] = d
        return out

    def waiting_for_review(self) -> list[dict[str, Any]]:
        status = self.status()
        return [
            data(e)
            for e in self.of_kind("held")
            if status.get(str(data(e).get("incident_id")), ("held",))[0] == "held"
        ]

    def clock_problems(self) -> list[tuple[float, dict[str, Any]]]:
        """(offset seconds, submission line) for every email whose clock was off too far."""
        out = []
        for entry in self.submissions:
            offset = data(entry).get("clock_offset_seconds")
            if offset is not None and abs(float(offset)) > CLOCK_TOLERANCE_SECONDS:
                out.append((float(offset), entry))
        return out

    def per_hour(self) -> list[tuple[str, int]]:
        """Accepted events per hour of the period, labelled in the reporter's time."""
        counts: Counter[datetime] = Counter()
        for entry in self.submissions:
            hour = entry_time(entry).replace(minute=0, second=0, microsecond=0)
            counts[hour] += _int(data(entry).get("events_stored"))
        bars = []
        hour = self.start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        while hour < self.end:
            bars.append((hour.astimezone(self.zone).strftime("%H:%M"), counts.get(hour, 0)))
            hour += timedelta(hours=1)
        return bars


def entry_time(entry: dict[str, Any]) -> datetime:
    return _parse(entry.get("time")) or datetime.min.replace(tzinfo=UTC)


def _parse(value: Any) -> datetime | None:
    try:
        return parse_iso(str(value)) if value else None
    except ValueError:
        return None  # a damaged time shows as "-", it does not cost the reporter the digest


def data(entry: dict[str, Any]) -> dict[str, Any]:
    value = entry.get("data")
    return value if isinstance(value, dict) else {}


def text(value: Any) -> str:
    return "-" if value in (None, "") else " ".join(str(value).split())


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0
