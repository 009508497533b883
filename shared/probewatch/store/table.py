"""The boto3 Table handle, created lazily and once per process.

boto3 itself honours AWS_ENDPOINT_URL, which is how the local stack (moto) is reached.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from botocore.exceptions import ClientError

from probewatch.errors import StoreError


@lru_cache(maxsize=8)
def dynamodb_table(table_name: str) -> Any:
    import boto3

    return boto3.resource("dynamodb").Table(table_name)


def dynamodb_call(operation: Callable[..., Any], **kwargs: Any) -> dict[str, Any]:
    """One DynamoDB request (`table.get_item`, `table.query`, ...); an AWS error becomes a
    StoreError naming the operation. Callers that expect a condition to fail catch
    ClientError around the request themselves."""
    try:
        return dict(operation(**kwargs))
    except ClientError as exc:
        raise StoreError(f"{getattr(operation, '__name__', 'dynamodb')}: {exc}") from exc


def condition_failed(exc: ClientError) -> bool:
    """Whether DynamoDB refused the request because its ConditionExpression did not hold."""
    return bool(exc.response["Error"]["Code"] == "ConditionalCheckFailedException")
