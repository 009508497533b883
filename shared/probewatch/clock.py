"""The current time, in one place, so the local stack can run on a simulated clock."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from probewatch.model import parse_iso

_frozen: datetime | None = None


def utcnow() -> datetime:
    return _frozen if _frozen is not None else datetime.now(UTC)


def scheduled_time(event: Mapping[str, Any]) -> datetime:
    """The time a scheduled (EventBridge) invocation stands for: the event's `time`, else
    now (an event without a readable time)."""
    return parse_iso(event.get("time")) or utcnow()


@contextmanager
def frozen(moment: datetime) -> Iterator[None]:
    """Make utcnow() return `moment` inside the block (the demo's simulated clock)."""
    global _frozen
    previous, _frozen = _frozen, moment.astimezone(UTC)
    try:
        yield
    finally:
        _frozen = previous
