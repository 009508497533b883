"""Send: SQS send queue -> one abuse report per message (partial batch failures)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from probewatch.config import SendSettings, get_settings
from probewatch.observability import logger, metrics
from probewatch.sending import SendDeferred, defer_message, send_incident

if TYPE_CHECKING:
    # Types only: with pydantic loaded it imports every parser model, a cold-start cost.
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse

# A batch whose every message is deferred is still a normal answer, not a crash.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def record_handler(record: SQSRecord) -> None:
    body = json.loads(record.body)
    settings = get_settings(SendSettings)
    try:
        outcome = send_incident(str(body["incident_id"]), int(body["attempt"]), settings)
    except SendDeferred as exc:
        # Failing the record returns it to the queue; keep it hidden until it can succeed.
        logger.info(
            "send deferred", extra={"reason": exc.reason, "incident_id": body.get("incident_id")}
        )
        defer_message(settings.send_queue_url, record.receipt_handle, exc.retry_after)
        raise
    logger.info(
        "send finished", extra={"status": outcome.status, "incident_id": outcome.incident_id}
    )


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
