"""One record per inbound email: `SUB#<submission id> / SUBMISSION` (keys.py).

The record is claimed before any work (a conditional put), so the same email delivered
twice, or re-sent by SQS after a crash, is processed once: a second delivery finds a
finished record and gets it back instead of storing anything. A record still "processing"
(the first attempt died half-way) may be claimed again; everything the work writes is
idempotent, so redoing it is safe. The Submission itself is stored as JSON (no Decimals).
"""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from probewatch.model import Submission, iso_z, parse_iso
from probewatch.store import keys
from probewatch.store.table import condition_failed, dynamodb_table

PROCESSING = "processing"
DONE = "done"
# Long enough to recognise a redelivery or a re-forward of the same email for a year.
SUBMISSION_TTL = timedelta(days=400)


def _key(submission_id: str) -> dict[str, str]:
    return {keys.PK: keys.submission_pk(submission_id), keys.SK: keys.SUBMISSION_SK}


def claim_submission(
    table_name: str, submission_id: str, s3_key: str, now: datetime
) -> Submission | None:
    """None when this caller may process the email; the finished Submission when it was
    processed before."""
    item = {
        **_key(submission_id),
        "state": PROCESSING,
        "submission_id": submission_id,
        "s3_key": s3_key,
        "claimed_at": iso_z(now),
        keys.TTL: int((now + SUBMISSION_TTL).timestamp()),
    }
    try:
        dynamodb_table(table_name).put_item(
            Item=item,
            ConditionExpression="attribute_not_exists(#pk) OR #state = :processing",
            ExpressionAttributeNames={"#pk": keys.PK, "#state": "state"},
            ExpressionAttributeValues={":processing": PROCESSING},
        )
    except ClientError as exc:
        if not condition_failed(exc):
            raise
        return get_submission(table_name, submission_id)
    return None


def save_submission(table_name: str, submission: Submission, now: datetime) -> None:
    """Store the finished record (overwrites the claim)."""
    data = submission.to_dict()
    dynamodb_table(table_name).put_item(
        Item={
            **_key(submission.submission_id),
            "state": DONE,
            "submission_id": submission.submission_id,
            "reporter": submission.reporter,
            "status": submission.status,
            "received_at": data["received_at"],
            "s3_key": submission.s3_key,
            "data": json.dumps(data, sort_keys=True),
            keys.TTL: int((now + SUBMISSION_TTL).timestamp()),
        }
    )


def get_submission(table_name: str, submission_id: str) -> Submission | None:
    """The finished record, or None (absent or still being processed)."""
    item = (
        dynamodb_table(table_name)
        .get_item(Key=_key(submission_id), ConsistentRead=True)
        .get("Item")
    )
    if not item or item.get("state") != DONE:
        return None
    return submission_from_json(str(item["data"]))


def submission_from_json(text: str) -> Submission:
    data: dict[str, Any] = json.loads(text)
    known = {f.name for f in fields(Submission)}
    values = {name: value for name, value in data.items() if name in known}
    received = parse_iso(values.get("received_at"))
    assert received is not None
    values["received_at"] = received
    return Submission(**values)
