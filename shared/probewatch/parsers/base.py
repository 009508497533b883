"""What a format parser is, and what it hands back.

Each format lives in its own module in this package and registers one `Parser` instance in
`registry.py`. The dispatcher asks `can_parse(line)` explicitly (a cheap substring test),
then `parse(line, ctx)`:
  * returns a list of ProbeEvent (usually one; Check Point packet-drop lines carry several),
  * returns None when the line is not this format after all (the dispatcher tries the next),
  * raises LineRejected(reason) when the line is this format but cannot be trusted
    (impossible address or port, time too far in the future...). Never guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Protocol

from probewatch.model import ProbeEvent


class LineRejected(ValueError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class ParseContext:
    """Per-text state: the zone for times written without one, the email's receipt time
    (years are inferred from it), and whatever a multi-line format learned (e.g. the
    Windows Firewall `#Fields:` header)."""

    tz: tzinfo
    received_at: datetime | None = None
    reporter: str | None = None
    state: dict[str, object] = field(default_factory=dict)


class Parser(Protocol):
    name: str  # the `format` value events carry, e.g. "netfilter", "cisco-asa"

    def can_parse(self, line: str) -> bool: ...

    def parse(self, line: str, ctx: ParseContext) -> list[ProbeEvent] | None: ...
