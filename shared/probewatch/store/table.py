"""The boto3 Table handle, created lazily and once per process.

boto3 itself honours AWS_ENDPOINT_URL, which is how the local stack (moto) is reached.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
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


def take_daily_slot(
    table_name: str, key: dict[str, str], day: date, limit: int, counter: str, keep: timedelta
) -> bool:
    """Add one to the `counter` attribute of the item at `key` (one item per day); False, and
    nothing counted, once it reached `limit`. The item expires `keep` after the day began."""
    from probewatch.store import keys

    try:
        dynamodb_table(table_name).update_item(
            Key=key,
            UpdateExpression="ADD #n :one SET #ttl = :ttl",
            ConditionExpression="attribute_not_exists(#n) OR #n < :limit",
            ExpressionAttributeNames={"#ttl": keys.TTL, "#n": counter},
            ExpressionAttributeValues={
                ":one": 1,
                ":limit": limit,
                ":ttl": int((datetime.combine(day, time.min, UTC) + keep).timestamp()),
            },
        )
    except ClientError as exc:
        if condition_failed(exc):
            return False
        raise StoreError(f"{counter} counter {key[keys.PK]}: {exc}") from exc
    return True
