"""What became of each email the demo delivered, read from the ingest function's own log.

The ingest handler logs one "submission" record (its id, status, reason, events stored) and one
"ingested" record (the S3 key) per email. The demo runs the handler in-process, so it listens on
the same logger instead of guessing: the outcome it prints is the one ingest recorded.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class EmailOutcome:
    s3_key: str
    status: str  # accepted | no-events | rejected
    reason: str | None
    events_stored: int

    def line(self, name: str) -> str:
        """One line for the demo's output."""
        if self.status == "accepted":
            return f"{name}: accepted, {self.events_stored} events stored"
        return f"{name}: {self.status}" + (f" ({self.reason})" if self.reason else "")


class _Listener(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.outcomes: dict[str, EmailOutcome] = {}
        self._events = 0

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message == "submission":
            self._events = int(getattr(record, "events", 0) or 0)
        elif message == "ingested":
            key = str(getattr(record, "s3_key", ""))
            self.outcomes[key] = EmailOutcome(
                s3_key=key,
                status=str(getattr(record, "status", "")),
                reason=getattr(record, "reason", None),
                events_stored=self._events,
            )
            self._events = 0


@contextmanager
def recorded_outcomes() -> Iterator[dict[str, EmailOutcome]]:
    """Collect ingest's per-email outcomes while the demo runs (keyed by S3 key).

    The demo keeps the functions' own log output at WARNING; this listens at INFO without
    letting those INFO records reach the console.
    """
    # Powertools configures the logger (level from POWERTOOLS_LOG_LEVEL) when observability is
    # first imported: do that first, or it would undo the INFO level set here.
    from probewatch.observability import logger

    target = logging.getLogger(logger.name)
    listener = _Listener()
    previous = target.level
    quieted: list[tuple[logging.Handler, int]] = []
    for handler in target.handlers:
        quieted.append((handler, handler.level))
        handler.setLevel(max(handler.level, previous or logging.WARNING))
    target.addHandler(listener)
    target.setLevel(logging.INFO)
    try:
        yield listener.outcomes
    finally:
        target.removeHandler(listener)
        target.setLevel(previous)
        for handler, level in quieted:
            handler.setLevel(level)


def count_outcomes(outcomes: dict[str, EmailOutcome]) -> dict[str, Any]:
    """summary.json's per-email counts: by status, and the rejected ones by reason."""
    by_status = Counter(outcome.status for outcome in outcomes.values())
    rejected = Counter(
        outcome.reason or "unknown" for outcome in outcomes.values() if outcome.status != "accepted"
    )
    return {
        "emails_by_status": dict(sorted(by_status.items())),
        "emails_not_accepted_by_reason": dict(sorted(rejected.items())),
    }
