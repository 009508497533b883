"""Ingest per event, and what a million ingested events cost on AWS.

Alert emails of 20, 100 and 1,000 netfilter events go through the REAL ingest handler
(functions/ingest/app.py, loaded as Lambda loads it, `lambda_handler` called with SQS
batches of 10 S3 notifications, as the event source mapping delivers them) on moto
(in-process `mock_aws`, the stack built from infra/template.yaml). Every AWS request is
counted with botocore event hooks, DynamoDB write units from the written items' sizes (as
bench dynamodb does), and the handler's own time is its wall time minus the time inside
AWS calls (moto's work is not AWS's).

The cost is computed from those measured units at AWS list prices (us-east-1, on-demand,
as published in 2025; the prices are the constants below), per million stored events:
  * Lambda: duration = the handler's own measured time plus, per AWS request it made, a
    stated latency of the real service (DynamoDB 6 ms, S3 GetObject 20 ms, SES 40 ms,
    anything else 10 ms: moto answers in-process, AWS over the network), billed in GB-s at
    the MemorySize infra/template.yaml gives IngestFunction (arm64 price), plus requests
    (one per batch of 10).
  * DynamoDB on-demand: write request units (1 per started KB per item, plus 1 per GSI1
    index write) and read request units (1 per GetItem / Query / BatchGetItem key: small
    items, a conservative count).
  * S3: SES's PutObject of each raw email, ingest's GetObject; a month of storing it.
  * SES: receiving each email (per message and per 256 KB chunk), and every email ingest
    sent (replies; none for a registered reporter's good mail).
  * SQS: the S3 notification, the poller's receive per batch and delete per message.
Not included: the aggregate, send and digest stages (they scale with sources and reports,
not with events: see bench dynamodb), CloudWatch logs and metrics, data transfer."""

from __future__ import annotations

import json
import math
import re
import time
from datetime import timedelta
from pathlib import Path

from aws import (
    NOW,
    alert_email,
    distinct_sources,
    moto_stack,
    netfilter_lines,
    register_reporter,
)
from common import Figure

REPO = Path(__file__).resolve().parents[2]
COMMAND = "python tests/bench/run.py --only bench_ingest_cost"
# (events per email, emails): about the same number of events for each size
SIZES = [(20, 100), (100, 30), (1000, 6)]
BATCH = 10  # SQS messages per invocation (the template's BatchSize)
TARGET_SIZE = 1000  # the target is read on this email size (see the note)
TARGET = 1.00  # USD per million ingested events

# AWS list prices, us-east-1 (USD)
LAMBDA_GB_SECOND_ARM = 0.0000133334
LAMBDA_REQUEST = 0.20 / 1e6
DYNAMODB_WRU = 0.625 / 1e6  # on-demand write request unit (price since November 2024)
DYNAMODB_RRU = 0.125 / 1e6  # on-demand read request unit
S3_PUT = 0.005 / 1000
S3_GET = 0.0004 / 1000
S3_GB_MONTH = 0.023
SES_RECEIVED_EMAIL = 0.10 / 1000
SES_RECEIVED_CHUNK = 0.09 / 1000  # per 256 KB of incoming mail
SES_SENT_EMAIL = 0.10 / 1000
SQS_REQUEST = 0.40 / 1e6
# Stated latency of one real AWS request, seconds (moto's in-process answer is not it)
LATENCY = {"dynamodb": 0.006, "s3": 0.020, "sesv2": 0.040, "ses": 0.040}
OTHER_LATENCY = 0.010


def ingest_memory_mb() -> int:
    """IngestFunction's MemorySize in infra/template.yaml."""
    text = (REPO / "infra" / "template.yaml").read_text()
    block = text.split("  IngestFunction:", 1)[1]
    return int(re.search(r"MemorySize:\s*(\d+)", block).group(1))  # type: ignore[union-attr]


def _notification(bucket: str, key: str) -> str:
    return json.dumps({"Records": [{"eventName": "ObjectCreated:Put", "s3": {
        "bucket": {"name": bucket}, "object": {"key": key}}}]})  # fmt: skip


def measure(events_per_email: int, emails: int) -> dict[str, float]:
    """Ingest `emails` emails through the real handler; the measured units."""
    import boto3

    from probewatch.clock import frozen
    from probewatch.local.handlers import LambdaContext, load_handler

    sources = distinct_sources(200)
    raws = [
        alert_email(
            netfilter_lines(events_per_email, sources[(3 * n) % 200 : (3 * n) % 200 + 3],
                            NOW - timedelta(minutes=30), seed=n),
            message_id=f"cost-{events_per_email}-{n}@mail.example.net",
        )
        for n in range(emails)
    ]  # fmt: skip
    with moto_stack() as (stack, counter), frozen(NOW):
        register_reporter(stack.table_name)
        s3 = boto3.client("s3")
        keys = [f"raw/cost-{events_per_email}-{n:04d}" for n in range(emails)]
        for key, raw in zip(keys, raws, strict=True):
            s3.put_object(Bucket=stack.raw_bucket, Key=key, Body=raw)  # SES's write
        handler = load_handler("ingest")
        own = wall = 0.0
        with counter.phase() as tally:
            for begin in range(0, emails, BATCH):
                records = [
                    {"messageId": f"m{n}", "receiptHandle": f"r{n}", "attributes": {},
                     "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                     "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:ingest",
                     "awsRegion": "us-east-1", "body": _notification(stack.raw_bucket, key)}
                    for n, key in enumerate(keys[begin : begin + BATCH], begin)
                ]  # fmt: skip
                before_aws = tally.call_seconds
                started = time.perf_counter()
                response = handler.lambda_handler({"Records": records}, LambdaContext()) or {}
                took = time.perf_counter() - started
                assert not response.get("batchItemFailures"), response
                wall += took
                own += took - (tally.call_seconds - before_aws)
    requests = dict(tally.requests)
    latency = sum(
        n * LATENCY.get(name.split(".", 1)[0], OTHER_LATENCY) for name, n in requests.items()
    )
    reads = sum(requests.get(f"dynamodb.{op}", 0) for op in ("GetItem", "Query", "BatchGetItem"))
    sent = sum(n for name, n in requests.items() if name.split(".")[0] in ("ses", "sesv2")
               and name.endswith(("SendEmail", "SendRawEmail")))  # fmt: skip
    return {
        "emails": emails,
        "events": tally.event_items,
        "wall": wall,
        "own": own,
        "latency": latency,
        "invocations": math.ceil(emails / BATCH),
        "wru": tally.write_units + tally.index_key_writes,
        "rru": reads,
        "s3_get": requests.get("s3.GetObject", 0),
        "bytes": sum(len(raw) for raw in raws),
        "chunks": sum(math.ceil(len(raw) / (256 * 1024)) for raw in raws),
        "sent": sent,
        "requests": sum(requests.values()),
    }


def cost(m: dict[str, float], memory_mb: int) -> dict[str, float]:
    """USD for the measured run, by service."""
    gb_seconds = (m["own"] + m["latency"]) * memory_mb / 1024
    return {
        "Lambda": gb_seconds * LAMBDA_GB_SECOND_ARM + m["invocations"] * LAMBDA_REQUEST,
        "DynamoDB": m["wru"] * DYNAMODB_WRU + m["rru"] * DYNAMODB_RRU,
        "S3": m["emails"] * S3_PUT + m["s3_get"] * S3_GET + m["bytes"] / 1e9 * S3_GB_MONTH,
        "SES": m["emails"] * SES_RECEIVED_EMAIL + m["chunks"] * SES_RECEIVED_CHUNK
        + m["sent"] * SES_SENT_EMAIL,
        "SQS": (m["emails"] * 2 + m["invocations"]) * SQS_REQUEST,
    }


def run(workdir: Path) -> list[Figure]:
    memory = ingest_memory_mb()
    figures: list[Figure] = []
    for events_per_email, emails in SIZES:
        m = measure(events_per_email, emails)
        events = max(m["events"], 1)
        label = f"{events_per_email:,}-event emails"
        figures.append(Figure(
            f"{label}: ingest throughput, real handler on moto",
            f"{events / m['own']:,.0f} events/s of the handler's own time "
            f"({1e6 * m['own'] / events:.0f} us per event; {events / m['wall']:,.0f} events/s "
            f"with moto's time; {int(m['events']):,} events from {int(m['emails'])} emails, "
            f"{int(m['requests'])} AWS requests)", "", None, COMMAND))
        usd = cost(m, memory)
        per_million = {k: v * 1e6 / events for k, v in usd.items()}
        total = sum(per_million.values())
        parts = ", ".join(f"{k} ${v:.3f}" for k, v in per_million.items())
        billed = (m["own"] + m["latency"]) * 1e3 / m["invocations"]
        figures.append(Figure(
            f"{label}: AWS cost per million ingested events",
            f"${total:.2f} ({parts}; Lambda {billed:.0f} ms per invocation at {memory} MB, "
            f"{m['wru'] / events:.2f} WRU and {m['rru'] / events:.3f} RRU per event)",
            f"<= ${TARGET:.2f}" if events_per_email == TARGET_SIZE else "",
            total <= TARGET if events_per_email == TARGET_SIZE else None, COMMAND))
    return figures


def notes(figures: list[Figure]) -> str:
    return (
        "How the cost target is read: a million events cost what their emails cost, and an "
        "email has a fixed price of its own (SES receiving it: $0.10 per 1,000 emails plus "
        "$0.09 per 1,000 chunks of 256 KB, and its S3 write) besides the per-event DynamoDB "
        "writes (about 1 WCU per event). The target is read on 1,000-event emails (a day of a "
        "busy home firewall's blocks, forwarded once); the smaller emails show how the fixed "
        "part dominates: SES's receiving price alone is $10 per million events at 20 events "
        "an email, whatever probewatch does."
    )
