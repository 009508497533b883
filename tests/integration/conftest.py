"""Integration fixtures: a moto AWS with the resources infra/template.yaml declares."""

from __future__ import annotations

from collections.abc import Iterator

import moto
import pytest

from probewatch.config import get_settings
from probewatch.local.resources import LocalStack, create_stack
from probewatch.store.table import dynamodb_table

FAKE_AWS_ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


def _forget_cached_clients() -> None:
    # Settings and table handles are cached per process; each test gets a fresh stack.
    get_settings.cache_clear()
    dynamodb_table.cache_clear()


@pytest.fixture
def aws_stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalStack]:
    """moto's mock_aws with the table, bucket, queues and SES identities created from the
    template; every PROBEWATCH_* setting points at them."""
    for name, value in FAKE_AWS_ENV.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    _forget_cached_clients()
    with moto.mock_aws():
        stack = create_stack()
        for name, value in stack.env().items():
            monkeypatch.setenv(name, value)
        yield stack
    _forget_cached_clients()
