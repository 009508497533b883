"""Settings, one model per function, read once from the environment.

A missing or malformed setting fails at cold start with a message naming it. AWS resource
names have no defaults: a typo must not quietly point a function at another table.
"""

from __future__ import annotations

import os
from functools import cache
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from probewatch.errors import ConfigError

ENV_PREFIX = "PROBEWATCH_"


class _FromEnvironment(BaseModel):
    """A pydantic model filled from PROBEWATCH_<FIELD> variables by `load`.

    Plain pydantic rather than pydantic-settings: the ingest function's cold start cannot
    afford the extra import, and reading a handful of variables needs nothing more."""

    # defer_build: each function validates one model; building them all costs its cold start.
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)


class LookupSettings(_FromEnvironment):
    """Only the two lookup overrides (`probewatch backtrace` needs no AWS setting)."""

    dns_servers: str | None = None
    rdap_url: str | None = None


class _Base(_FromEnvironment):
    table_name: str = Field(min_length=3, description="DynamoDB table (PROBEWATCH_TABLE_NAME)")


class IngestSettings(_Base):
    # Addresses that receive forwarded alerts; the reporter is the outer From, never these.
    inbound_address: str = Field(min_length=3)
    sender_address: str = Field(min_length=3, description="From: of replies to reporters")
    max_email_bytes: int = 25 * 1024 * 1024
    max_decompressed_bytes: int = 16 * 1024 * 1024
    max_parts: int = 200
    max_depth: int = 5
    self_service: bool = True
    replies_per_day: int = 5


class AggregateSettings(_Base):
    send_queue_url: str = Field(min_length=8)
    # Final after this long without new events...
    quiet_minutes: int = Field(60, ge=1)
    # ...or at the latest this long after the first event, so the source network still has
    # its logs (with the review hold added, always well inside the 72-hour window).
    finalize_after_hours: int = Field(24, ge=1, le=60)
    review_hold_hours: int = Field(12, ge=0, le=24)
    # Evidence rules for SYN/UDP-only incidents (see probewatch.evidence). One reporter's
    # spoofable packets are never enough by default: independent reporters or evidence that
    # cannot be forged (a handshake, an IDS payload match) are. Volume from one reporter
    # counts only where the operator turns single_reporter_volume on.
    min_independent_reporters: int = Field(2, ge=2)
    single_reporter_volume: bool = False
    min_events_uncorroborated: int = Field(3, ge=1)
    min_ports_or_minutes_uncorroborated: int = Field(2, ge=1)
    # A "queued" incident the send function has not picked up after this long is enqueued
    # again (the send function is idempotent per incident and attempt).
    requeue_after_minutes: int = Field(60, ge=15)
    dns_servers: str | None = None
    rdap_url: str | None = None
    # Stop starting new sources after this many seconds (keep it below the Lambda timeout).
    time_budget_seconds: int = Field(240, ge=1)
    # From: of the notice telling a reviewing reporter at once that a report waits
    # (probewatch.review_notice). An AWS name like the others: no default.
    sender_address: str = Field(min_length=3)

    @model_validator(mode="after")
    def _inside_the_window(self) -> AggregateSettings:
        if self.finalize_after_hours + self.review_hold_hours > 66:
            raise ValueError(
                "finalize_after_hours + review_hold_hours must leave reports inside 72 hours"
            )
        return self


class SendSettings(_Base):
    # Where a deferred message (daily cap reached) is kept hidden until it may be sent.
    send_queue_url: str = Field(min_length=8)
    sender_address: str = Field(min_length=3)
    reply_to_address: str = Field(min_length=3)
    configuration_set: str = Field(min_length=1)
    per_mailbox_daily_cap: int = 20
    global_daily_cap: int = 500
    sender_name: str = "probewatch"


class DigestSettings(_Base):
    sender_address: str = Field(min_length=3)
    send_empty_digests: bool = False


class FeedbackSettings(_Base):
    send_queue_url: str = Field(min_length=8)
    sender_address: str = Field(min_length=3)


S = TypeVar("S", bound=_FromEnvironment)


def environment_values(model: type[_FromEnvironment]) -> dict[str, str]:
    """The PROBEWATCH_* variables that name a field of `model` (unset ones are left out)."""
    values = {}
    for name in model.model_fields:
        value = os.environ.get(ENV_PREFIX + name.upper())
        if value is not None:
            values[name] = value
    return values


def load(model: type[S]) -> S:
    """Build settings from the environment, turning validation errors into one clear message."""
    try:
        return model.model_validate(environment_values(model))
    except ValidationError as exc:
        names = ", ".join(
            (ENV_PREFIX + str(err["loc"][0]).upper() if err["loc"] else "settings")
            + f" ({err['msg']})"
            for err in exc.errors()
        )
        raise ConfigError(f"{model.__name__}: missing or malformed setting(s): {names}") from exc


@cache
def get_settings(model: type[S]) -> S:
    """Read once per process (per Lambda container)."""
    return load(model)
