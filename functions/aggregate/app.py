"""Aggregate: EventBridge schedule (every 15 minutes) -> one run over the sources that are due."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from probewatch.aggregate_run import run_aggregate
from probewatch.clock import scheduled_time
from probewatch.config import AggregateSettings, get_settings
from probewatch.observability import logger, metrics


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # The scheduled time, not the start of this invocation: a late or retried run judges
    # quiet periods and the 72-hour window against the time it stands for.
    summary = run_aggregate(get_settings(AggregateSettings), scheduled_time(event))
    for name, value in (
        ("ReportsQueued", summary.queued),
        ("ReportsHeld", summary.held),
        ("IncidentsNotReported", summary.not_reported),
        ("SourcesDeferred", summary.deferred),
        ("AggregateErrors", summary.errors),
    ):
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    return summary.to_dict()
