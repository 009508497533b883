"""boto3 clients for the services probewatch calls besides its store (SES v2, SQS).

One client per service and process, created on first use and kept for the life of the
Lambda container. Tests and the local stack point boto3 somewhere else between runs: they
call `aws_client.cache_clear()` (with the store's `dynamodb_table` and `s3_client`).
"""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def aws_client(service: str) -> Any:
    import boto3  # here, not at the top: importing probewatch must not cost boto3's start-up

    return boto3.client(service)
