"""`probewatch dlq list|replay`: look into a dead-letter queue and send its messages back.

The queue is named either by the deployed stack's outputs (`--queue ingest --stack probewatch`)
or directly (`--queue-url URL`). Replay moves each message to the queue that dead-lettered it
(SQS knows it: ListDeadLetterSourceQueues), unchanged, and deletes it from the DLQ only once
the source queue has accepted it, so an interrupted replay loses nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3

# Stack outputs (infra/template.yaml) naming each dead-letter queue.
DLQ_OUTPUTS = {"ingest": "IngestDLQUrl", "send": "SendDLQUrl", "feedback": "FeedbackDLQUrl"}
DEFAULT_STACK = "probewatch"
# Hidden from other consumers while being listed or moved.
_HOLD_SECONDS = 60
# Long polling: a zero-wait receive may sample too few servers and miss messages.
POLL_SECONDS = 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("list", "replay"))
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--queue", choices=sorted(DLQ_OUTPUTS), help="DLQ of the deployed stack")
    which.add_argument("--queue-url", help="URL of the dead-letter queue itself")
    parser.add_argument("--stack", default=DEFAULT_STACK, help="stack name for --queue")
    parser.add_argument("--region", help="AWS region (default: boto3's)")
    parser.add_argument("--max", type=int, default=1000, help="at most this many messages")


def run(args: argparse.Namespace) -> int:
    session = boto3.session.Session(region_name=args.region)
    sqs = session.client("sqs")
    dlq_url = args.queue_url or _url_from_stack(session, args.stack, DLQ_OUTPUTS[args.queue])
    if args.action == "list":
        listed = list_messages(sqs, dlq_url, limit=args.max)
        for message in listed:
            print(json.dumps(message, sort_keys=True))
        print(f"{len(listed)} message(s) in {dlq_url}", file=sys.stderr)
        return 0
    sources = sqs.list_dead_letter_source_queues(QueueUrl=dlq_url).get("queueUrls", [])
    if len(sources) != 1:
        # The feedback DLQ collects failed Lambda invocations: there is no queue to return to.
        print(f"{dlq_url} is the DLQ of {len(sources)} queues; cannot replay", file=sys.stderr)
        return 2
    moved = replay_messages(sqs, dlq_url, sources[0], limit=args.max)
    print(f"replayed {moved} message(s) from {dlq_url} to {sources[0]}", file=sys.stderr)
    return 0


def list_messages(sqs: Any, dlq_url: str, *, limit: int) -> list[dict[str, Any]]:
    """Peek at up to `limit` messages; they become visible again right after."""
    seen: list[dict[str, Any]] = []
    held: list[str] = []
    try:
        for batch in _batches(sqs, dlq_url, limit):
            held += [m["ReceiptHandle"] for m in batch]
            seen += [_describe(m) for m in batch]
    finally:
        _release(sqs, dlq_url, held)
    return seen


def replay_messages(sqs: Any, dlq_url: str, source_url: str, *, limit: int) -> int:
    """Move up to `limit` messages back to `source_url`; returns how many moved."""
    moved = 0
    for batch in _batches(sqs, dlq_url, limit):
        entries = [
            {
                "Id": str(n),
                "MessageBody": m["Body"],
                **(
                    {"MessageAttributes": m["MessageAttributes"]}
                    if m.get("MessageAttributes")
                    else {}
                ),
            }
            for n, m in enumerate(batch)
        ]
        sent = sqs.send_message_batch(QueueUrl=source_url, Entries=entries)
        accepted = [batch[int(ok["Id"])] for ok in sent.get("Successful", [])]
        if accepted:
            sqs.delete_message_batch(
                QueueUrl=dlq_url,
                Entries=[
                    {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]}
                    for n, m in enumerate(accepted)
                ],
            )
        moved += len(accepted)
        if sent.get("Failed"):
            # Leave the rest in the DLQ (visible again after the hold) and stop.
            failed = {int(f["Id"]) for f in sent["Failed"]}
            _release(sqs, dlq_url, [batch[n]["ReceiptHandle"] for n in failed])
            break
    return moved


def _batches(sqs: Any, url: str, limit: int) -> Iterator[list[dict[str, Any]]]:
    taken = 0
    while taken < limit:
        messages = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=min(10, limit - taken),
            VisibilityTimeout=_HOLD_SECONDS,
            WaitTimeSeconds=POLL_SECONDS,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return
        taken += len(messages)
        yield messages


def _release(sqs: Any, url: str, receipt_handles: list[str]) -> None:
    for start in range(0, len(receipt_handles), 10):
        chunk = receipt_handles[start : start + 10]
        sqs.change_message_visibility_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(n), "ReceiptHandle": handle, "VisibilityTimeout": 0}
                for n, handle in enumerate(chunk)
            ],
        )


def _describe(message: dict[str, Any]) -> dict[str, Any]:
    attributes = message.get("Attributes", {})
    sent_ms = int(attributes.get("SentTimestamp", "0"))
    try:
        body: Any = json.loads(message["Body"])
    except ValueError:
        body = message["Body"]
    return {
        "message_id": message["MessageId"],
        "sent_at": datetime.fromtimestamp(sent_ms / 1000, UTC).isoformat().replace("+00:00", "Z"),
        "receive_count": int(attributes.get("ApproximateReceiveCount", "0")),
        "body": body,
    }


def _url_from_stack(session: boto3.session.Session, stack: str, output: str) -> str:
    from botocore.exceptions import ClientError

    try:
        described = session.client("cloudformation").describe_stacks(StackName=stack)
    except ClientError as exc:  # no such stack (the local stack has none): say what to do
        raise SystemExit(
            f"stack {stack}: {exc.response['Error']['Message']}; "
            "use --stack NAME, or --queue-url URL for a queue outside a stack"
        ) from exc
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described["Stacks"][0].get("Outputs", [])}
    if output not in outputs:
        raise SystemExit(f"stack {stack} has no output {output}")
    return outputs[output]
