"""Deliver an email the way SES -> S3 -> SQS does and run the real ingest handler on it."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
from boto3.dynamodb.conditions import Key

from probewatch.local.handlers import LambdaContext, load_handler

REPO = Path(__file__).resolve().parents[2]
MAIL_FIXTURES = REPO / "tests" / "fixtures" / "mail"


def ingest_app() -> ModuleType:
    return load_handler("ingest")


def deliver(stack: Any, key: str, raw: bytes) -> list[dict[str, Any]]:
    """Put the object (S3 then notifies the ingest queue) and return the SQS records the
    event source mapping would hand to the function."""
    s3 = boto3.client("s3")
    sqs = boto3.client("sqs")
    s3.put_object(Bucket=stack.raw_bucket, Key=key, Body=raw)
    arn = sqs.get_queue_attributes(QueueUrl=stack.ingest_queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    messages = sqs.receive_message(QueueUrl=stack.ingest_queue_url, MaxNumberOfMessages=10).get(
        "Messages", []
    )
    for message in messages:
        sqs.delete_message(QueueUrl=stack.ingest_queue_url, ReceiptHandle=message["ReceiptHandle"])
    return [sqs_record(message["MessageId"], message["Body"], arn) for message in messages]


def sqs_record(message_id: str, body: str, arn: str) -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": f"handle-{message_id}",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": arn,
        "awsRegion": "us-east-1",
    }


def run_ingest(app: ModuleType, records: list[dict[str, Any]]) -> dict[str, Any]:
    return app.lambda_handler({"Records": records}, LambdaContext())


def table(stack: Any) -> Any:
    return boto3.resource("dynamodb").Table(stack.table_name)


def all_items(stack: Any) -> list[dict[str, Any]]:
    return table(stack).scan()["Items"]  # test-only: the table is tiny


def events_of(stack: Any, ip: str) -> list[dict[str, Any]]:
    return table(stack).query(
        KeyConditionExpression=Key("PK").eq(f"SRC#{ip}") & Key("SK").begins_with("EVT#")
    )["Items"]


def submissions(stack: Any) -> list[dict[str, Any]]:
    found = [item for item in all_items(stack) if item["PK"].startswith("SUB#")]
    return [{**item, "data": json.loads(item["data"])} for item in found if "data" in item]


def replies_sent() -> list[Any]:
    """Messages moto's SES accepted (SES v2 raw sends land in the v1 backend)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return list(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages)
