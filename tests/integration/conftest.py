"""Integration fixtures: a moto AWS with the resources infra/template.yaml declares."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import moto
import pytest
from moto.core.botocore_stubber import BotocoreStubber

from probewatch.aws_clients import aws_client
from probewatch.config import get_settings
from probewatch.local.resources import LocalStack, create_stack
from probewatch.store.raw_mail import s3_client
from probewatch.store.table import dynamodb_table

FAKE_AWS_ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
}

# Every per-process cache that holds settings or a boto3 client/resource. A client kept from
# an earlier test may point at another endpoint (the demo's moto server) or region, so each
# test starts and ends with none of them.
_CACHES = (
    get_settings,
    dynamodb_table,
    s3_client,
    aws_client,
)


def _forget_cached_clients() -> None:
    for cached in _CACHES:
        cached.cache_clear()


# moto answers each request in the calling thread without any locking, so two threads'
# conditional writes can interleave inside moto (both conditions pass, both writes land).
# DynamoDB, SQS and S3 apply each request atomically; one lock around moto's request handler
# gives tests that run requests from several threads the same guarantee.
_MOTO_REQUEST_LOCK = threading.RLock()
_moto_handle_request = BotocoreStubber.__call__


def _one_request_at_a_time(self: BotocoreStubber, *args: Any, **kwargs: Any) -> Any:
    with _MOTO_REQUEST_LOCK:
        return _moto_handle_request(self, *args, **kwargs)


@pytest.fixture
def aws_stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalStack]:
    """moto's mock_aws with the table, bucket, queues and SES identities created from the
    template; every PROBEWATCH_* setting points at them."""
    for name, value in FAKE_AWS_ENV.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(BotocoreStubber, "__call__", _one_request_at_a_time)
    _forget_cached_clients()
    with moto.mock_aws():
        stack = create_stack()
        for name, value in stack.env().items():
            monkeypatch.setenv(name, value)
        yield stack
    _forget_cached_clients()
