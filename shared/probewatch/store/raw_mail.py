"""The raw emails SES wrote to S3. Read-only: the raw object always stays where SES put it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

HEADER_PEEK_BYTES = 64 * 1024  # enough for any real header block


@lru_cache(maxsize=1)
def s3_client() -> Any:
    import boto3

    return boto3.client("s3")


@dataclass(frozen=True, slots=True)
class RawMail:
    data: bytes  # the whole object, or only its first HEADER_PEEK_BYTES when `truncated`
    size: int
    last_modified: datetime
    truncated: bool


def fetch_raw_mail(bucket: str, key: str, max_bytes: int) -> RawMail:
    """The object's bytes; an object larger than `max_bytes` is not downloaded whole, only
    its start (so the rejection can still name the sender). ClientError passes through."""
    head = s3_client().head_object(Bucket=bucket, Key=key)
    size = int(head["ContentLength"])
    last_modified = head["LastModified"].astimezone(UTC)
    truncated = size > max_bytes
    request: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if truncated:
        request["Range"] = f"bytes=0-{HEADER_PEEK_BYTES - 1}"
    data = s3_client().get_object(**request)["Body"].read()
    return RawMail(data=data, size=size, last_modified=last_modified, truncated=truncated)
