"""Ingest: SQS queue of S3 ObjectCreated notifications (SES wrote a raw email) -> events.

Each SQS message is one S3 event notification (possibly several records); S3's own
`s3:TestEvent` is ignored. A record fails (and goes back to the queue, later to the DLQ)
only on AWS errors: bad mail is answered by a submission record inside ingest_object.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from probewatch.config import IngestSettings, get_settings
from probewatch.ingest import ingest_object
from probewatch.observability import logger, metrics

if TYPE_CHECKING:
    # Types only: with pydantic loaded it imports every parser model, a cold-start cost.
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse

processor = BatchProcessor(event_type=EventType.SQS)


def s3_objects(body: dict[str, Any]) -> list[tuple[str, str]]:
    """(bucket, key) of every ObjectCreated record in one S3 notification; keys arrive
    URL-encoded (spaces as '+')."""
    if body.get("Event") == "s3:TestEvent":
        return []
    return [
        (record["s3"]["bucket"]["name"], unquote_plus(record["s3"]["object"]["key"]))
        for record in body.get("Records", [])
        if str(record.get("eventName", "")).startswith("ObjectCreated")
    ]


def record_handler(record: SQSRecord) -> None:
    settings = get_settings(IngestSettings)
    for bucket, key in s3_objects(json.loads(record.body)):
        submission = ingest_object(bucket, key, settings)
        logger.info(
            "ingested",
            extra={"s3_key": key, "status": submission.status, "reason": submission.reason},
        )


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
