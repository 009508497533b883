"""Daily digest: EventBridge schedule -> one confirmation digest per reporter."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from probewatch.clock import utcnow
from probewatch.config import DigestSettings, get_settings
from probewatch.digest_run import run_digest
from probewatch.model import parse_iso
from probewatch.observability import logger, metrics


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    # The scheduled time, not the start of this invocation: a late or retried run still
    # covers the same 24 hours.
    now = parse_iso(event.get("time")) or utcnow()
    sent = run_digest(get_settings(DigestSettings), now)
    return {"digests_sent": sent}
