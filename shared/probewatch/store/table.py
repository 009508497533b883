"""The boto3 Table handle, created lazily and once per process.

boto3 itself honours AWS_ENDPOINT_URL, which is how the local stack (moto) is reached.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=8)
def dynamodb_table(table_name: str) -> Any:
    import boto3

    return boto3.resource("dynamodb").Table(table_name)
