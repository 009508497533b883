"""The send queue's message: JSON `{"incident_id": str, "attempt": int}`.

The aggregate function queues attempt 0 of a final incident; the feedback function queues
the next attempt after a permanent bounce; the send function (functions/send) reads it.
"""

from __future__ import annotations

import json

from probewatch.aws_clients import aws_client


def enqueue_send(queue_url: str, incident_id: str, attempt: int) -> None:
    """Ask the send function for attempt `attempt` of the incident's report."""
    body = json.dumps({"incident_id": incident_id, "attempt": attempt})
    aws_client("sqs").send_message(QueueUrl=queue_url, MessageBody=body)
