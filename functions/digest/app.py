"""Digest: hourly EventBridge schedule -> yesterday's confirmation digest for each reporter
whose local midnight just passed."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from probewatch.clock import scheduled_time
from probewatch.config import DigestSettings, get_settings
from probewatch.digest_run import run_digest
from probewatch.observability import logger, metrics


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    # The scheduled time, not the start of this invocation: a late or retried run still
    # serves the same reporters' midnights.
    sent = run_digest(get_settings(DigestSettings), scheduled_time(event))
    return {"digests_sent": sent}
