"""Feedback: SES event notifications via SNS -> bounce re-routing, suppression, delivery records."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from probewatch.clock import utcnow
from probewatch.config import FeedbackSettings, get_settings
from probewatch.feedback import handle_sns_message
from probewatch.observability import logger, metrics


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, list[str]]:
    # A failure raises and Lambda retries the whole (asynchronous) invocation; handling is
    # idempotent, so records that already succeeded change nothing the second time.
    settings = get_settings(FeedbackSettings)
    results = [
        handle_sns_message(record["Sns"]["Message"], settings, utcnow())
        for record in event.get("Records", [])
    ]
    return {"results": results}
