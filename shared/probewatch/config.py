"""Settings, one model per function, read once from the environment.

A missing or malformed setting fails at cold start with a message naming it. AWS resource
names have no defaults: a typo must not quietly point a function at another table.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TypeVar

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from probewatch.errors import ConfigError


class _Base(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PROBEWATCH_", extra="ignore", frozen=True)

    table_name: str = Field(min_length=3, description="DynamoDB table (PROBEWATCH_TABLE_NAME)")


class IngestSettings(_Base):
    # Addresses that receive forwarded alerts; the reporter is the outer From, never these.
    inbound_address: str = Field(min_length=3)
    sender_address: str = Field(min_length=3, description="From: of replies to reporters")
    max_email_bytes: int = 25 * 1024 * 1024
    max_decompressed_bytes: int = 50 * 1024 * 1024
    max_parts: int = 200
    max_depth: int = 5
    self_service: bool = True
    replies_per_day: int = 5


class AggregateSettings(_Base):
    send_queue_url: str = Field(min_length=8)
    quiet_minutes: int = 60
    finalize_after_hours: int = 24
    review_hold_hours: int = 12
    min_events_uncorroborated: int = 3
    min_ports_or_minutes_uncorroborated: int = 2
    dns_servers: str | None = None
    rdap_url: str | None = None
    time_budget_seconds: int = 240


class SendSettings(_Base):
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


S = TypeVar("S", bound=_Base)


def load(model: type[S]) -> S:
    """Build settings from the environment, turning validation errors into one clear message."""
    try:
        return model()
    except ValidationError as exc:
        names = ", ".join(
            "PROBEWATCH_" + str(err["loc"][0]).upper() + f" ({err['msg']})" for err in exc.errors()
        )
        raise ConfigError(f"{model.__name__}: missing or malformed setting(s): {names}") from exc


@lru_cache(maxsize=None)
def get_settings(model: type[S]) -> S:
    """Read once per process (per Lambda container)."""
    return load(model)
