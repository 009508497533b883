"""Turning a text (a log file, an email body) into events: line by line, format by format.

For each line the dispatcher first asks the few parsers that matched recent lines (formats
come in runs, or interleaved by a few), most recent first, then every registered parser whose
`can_parse` says yes, in registry order, fallbacks last. Fallbacks are never asked early.
A parser's LineRejected becomes a Rejection with its reason; so does an event whose time
is outside the 72-hour window of the receipt time (the rule of timestamps.check_window),
or whose year has not four digits ("bad-time": no ISO-8601 time the store could read back).

Counting (`probewatch parse --stats`, keep_events=False) and producing events are one code
path: every event is built and checked the same way, then kept or only counted, so a count
is always what the full parse would have produced.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from probewatch.model import ProbeEvent, Rejection
from probewatch.parsers.base import LineRejected, ParseContext, Parser
from probewatch.parsers.timestamps import (
    FUTURE_TOLERANCE,
    MAX_AGE,
    MAX_YEAR,
    MIN_YEAR,
    resolve_zone,
)

# How many recently matching parsers are asked first: texts mix a few formats at most.
RECENT = 4
# How many lines no parser claimed are kept as examples (`probewatch parse` shows them).
EXAMPLES = 5
# The rejection reason of a line a parser failed on (a bug in it, not the line's fault).
UNPARSEABLE = "unparseable"


@dataclass
class ParseResult:
    """What one or more texts yielded. `formats` counts events per format; `lines` counts
    input lines (blank ones included); `latest_time` is the newest event time;
    `event_count` counts events, also those not kept (parse_text(keep_events=False));
    `understood` counts lines that yielded an event, `unrecognised` the non-blank lines no
    parser claimed (the first EXAMPLES of them in `unrecognised_examples`)."""

    events: list[ProbeEvent] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    formats: dict[str, int] = field(default_factory=dict)
    lines: int = 0
    latest_time: datetime | None = None
    event_count: int = 0
    understood: int = 0
    unrecognised: int = 0
    unrecognised_examples: list[tuple[int, str]] = field(default_factory=list)  # (line no, text)

    def extend(self, other: ParseResult) -> None:
        """Add another text's result (an email with several parts)."""
        self.events.extend(other.events)
        self.rejected.extend(other.rejected)
        for name, count in other.formats.items():
            self.formats[name] = self.formats.get(name, 0) + count
        self.lines += other.lines
        self.event_count += other.event_count
        self.understood += other.understood
        self.unrecognised += other.unrecognised
        room = EXAMPLES - len(self.unrecognised_examples)
        self.unrecognised_examples.extend(other.unrecognised_examples[: max(room, 0)])
        if other.latest_time and (not self.latest_time or other.latest_time > self.latest_time):
            self.latest_time = other.latest_time

    def rejected_by_reason(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for rejection in self.rejected:
            counts[rejection.reason] = counts.get(rejection.reason, 0) + 1
        return counts


def parse_text(
    text: str,
    *,
    tz: str | tzinfo = "UTC",
    received_at: datetime | None = None,
    reporter: str | None = None,
    parsers: Sequence[Parser] | None = None,
    check_age: bool = True,
    keep_events: bool = True,
) -> ParseResult:
    """Every event in `text` (see parse_lines)."""
    return parse_lines(
        text.splitlines(),
        tz=tz,
        received_at=received_at,
        reporter=reporter,
        parsers=parsers,
        check_age=check_age,
        keep_events=keep_events,
    )


def parse_lines(
    lines: Iterable[str],
    *,
    tz: str | tzinfo = "UTC",
    received_at: datetime | None = None,
    reporter: str | None = None,
    parsers: Sequence[Parser] | None = None,
    check_age: bool = True,
    keep_events: bool = True,
) -> ParseResult:
    """Every event in the lines of a text (str.splitlines() pieces: a big file is read and
    split a chunk at a time). Lines no parser claims (prose, sshd...) are counted in
    `.unrecognised` (the first few kept); lines a parser claims but cannot trust are in
    `.rejected`. `tz` is the zone for times written without one (ValueError if unknown).
    `received_at` anchors year inference and, unless `check_age` is False (the CLI looking
    at old samples), the 72-hour window. `keep_events=False` builds every event exactly as
    when keeping them, then counts it and lets it go (`--stats` on big files: no memory
    for 200k events). Never raises for any text: a parser that fails on a line is a bug,
    and the line is rejected ("unparseable") rather than the text lost."""
    if parsers is None:
        from probewatch.parsers.registry import PARSERS

        parsers = PARSERS
    ctx = ParseContext(tz=resolve_zone(tz), received_at=received_at, reporter=reporter)
    result = ParseResult()
    specific = [p for p in parsers if not getattr(p, "fallback", False)]
    fallbacks = [p for p in parsers if getattr(p, "fallback", False)]
    ordered = specific + fallbacks
    sticky = {id(p) for p in specific}  # fallbacks are never tried out of turn
    oldest = newest = None
    if check_age and received_at is not None:
        oldest, newest = received_at - MAX_AGE, received_at + FUTURE_TOLERANCE
    recent: list[Parser] = []  # the specific parsers that matched lately, most recent first
    events, rejected, formats = result.events, result.rejected, result.formats
    unrecognised = result.unrecognised_examples
    latest = None
    line_no = count = understood = unclaimed = 0
    # One loop, no per-line helper calls beyond the parsers': this runs for every line.
    for line_no, raw in enumerate(lines, 1):
        line = raw.strip()
        if line.startswith(">"):  # quoting the mail layer left behind
            line = line.lstrip("> \t")
        if "\xa0" in line:  # no-break spaces from HTML mail bodies
            line = line.replace("\xa0", " ")
        if not line:
            continue
        outcome: list[ProbeEvent] | str | None = None
        for parser in recent:  # formats come in runs, or interleaved by a few
            if parser.can_parse(line):
                try:  # _try(), inlined: this is the path almost every line takes
                    outcome = parser.parse(line, ctx)
                except LineRejected as exc:
                    outcome = exc.reason
                except Exception:  # noqa: BLE001 - a parser bug must not lose the text
                    outcome = UNPARSEABLE
                if outcome is not None:
                    break
        if outcome is None:
            claimed = _parse_line(line, ctx, recent, ordered)
            if claimed is None:
                unclaimed += 1
                if len(unrecognised) < EXAMPLES:
                    unrecognised.append((line_no, line))
                continue
            parser, outcome = claimed
        if (not recent or parser is not recent[0]) and id(parser) in sticky:
            if parser in recent:  # to the front; list operations in C, not a loop here
                recent.remove(parser)
            recent.insert(0, parser)
            del recent[RECENT:]
        if isinstance(outcome, str):
            rejected.append(Rejection(reason=outcome, raw=line, format=parser.name))
            continue
        kept = False
        for event in outcome:
            moment = event.time
            if moment is not None:
                if not MIN_YEAR <= moment.year <= MAX_YEAR:  # no four-digit ISO year
                    rejected.append(Rejection(reason="bad-time", raw=line, format=parser.name))
                    continue
                if oldest is not None and (moment < oldest or moment > newest):  # type: ignore[operator]
                    reason = "too-old" if moment < oldest else "in-future"
                    rejected.append(Rejection(reason=reason, raw=line, format=parser.name))
                    continue
                if latest is None or moment > latest:
                    latest = moment
            count += 1
            kept = True
            formats[event.format] = formats.get(event.format, 0) + 1
            if keep_events:
                event.line_no = line_no
                event.reporter = reporter
                events.append(event)
        understood += kept
    result.latest_time = latest
    result.lines = line_no
    result.event_count = count
    result.understood = understood
    result.unrecognised = unclaimed
    return result


def _parse_line(
    line: str, ctx: ParseContext, tried: list[Parser], ordered: Sequence[Parser]
) -> tuple[Parser, list[ProbeEvent] | str] | None:
    """(parser, events or rejection reason) from the first parser in registry order, other
    than those already `tried`, that claims the line."""
    for parser in ordered:
        if parser in tried or not parser.can_parse(line):
            continue
        outcome = _try(parser, line, ctx)
        if outcome is not None:
            return parser, outcome
    return None


def _try(parser: Parser, line: str, ctx: ParseContext) -> list[ProbeEvent] | str | None:
    try:
        return parser.parse(line, ctx)
    except LineRejected as exc:
        return exc.reason
    except Exception:  # noqa: BLE001 - see parse_lines: the line is rejected, not the text
        return UNPARSEABLE
