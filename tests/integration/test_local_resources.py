"""The local stack creates what infra/template.yaml declares, and S3 really notifies SQS."""

from __future__ import annotations

import json
from urllib.parse import unquote_plus

import boto3

from probewatch.store import keys


def test_table_matches_the_key_layout(aws_stack):
    dynamodb = boto3.client("dynamodb")
    table = dynamodb.describe_table(TableName=aws_stack.table_name)["Table"]
    assert aws_stack.table_name == "probewatch-local-probes"
    assert {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]} == {
        keys.PK: "HASH",
        keys.SK: "RANGE",
    }
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    (index,) = table["GlobalSecondaryIndexes"]
    assert index["IndexName"] == keys.GSI1
    assert {k["AttributeName"]: k["KeyType"] for k in index["KeySchema"]} == {
        keys.GSI1PK: "HASH",
        keys.GSI1SK: "RANGE",
    }
    assert index["Projection"]["ProjectionType"] == "ALL"
    ttl = dynamodb.describe_time_to_live(TableName=aws_stack.table_name)
    assert ttl["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED",
        "AttributeName": keys.TTL,
    }
    backups = dynamodb.describe_continuous_backups(TableName=aws_stack.table_name)
    pitr = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert pitr["PointInTimeRecoveryStatus"] == "ENABLED"


def test_queues_redrive_to_their_dlqs(aws_stack):
    sqs = boto3.client("sqs")
    for queue, dlq, visibility in (
        (aws_stack.ingest_queue_url, aws_stack.ingest_dlq_url, 360),
        (aws_stack.send_queue_url, aws_stack.send_dlq_url, 180),
    ):
        attrs = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])
        redrive = json.loads(attrs["RedrivePolicy"])
        assert redrive["deadLetterTargetArn"] == dlq_arn["Attributes"]["QueueArn"]
        assert int(redrive["maxReceiveCount"]) == 5
        assert int(attrs["VisibilityTimeout"]) == visibility


def test_raw_mail_put_notifies_the_ingest_queue(aws_stack):
    sqs = boto3.client("sqs")
    # The notification's own s3:TestEvent was dropped: the queue starts empty.
    assert not sqs.receive_message(QueueUrl=aws_stack.ingest_queue_url).get("Messages")
    s3 = boto3.client("s3")
    s3.put_object(Bucket=aws_stack.raw_bucket, Key="raw/abc123", Body=b"Subject: hi\r\n\r\nx")
    s3.put_object(Bucket=aws_stack.raw_bucket, Key="elsewhere/ignored", Body=b"x")
    messages = sqs.receive_message(QueueUrl=aws_stack.ingest_queue_url, MaxNumberOfMessages=10)
    bodies = [json.loads(m["Body"]) for m in messages["Messages"]]
    # S3 URL-encodes keys in notifications (moto even encodes "/"): consumers unquote them.
    objects = [unquote_plus(r["s3"]["object"]["key"]) for body in bodies for r in body["Records"]]
    assert objects == ["raw/abc123"]
    assert bodies[0]["Records"][0]["s3"]["bucket"]["name"] == aws_stack.raw_bucket


def test_sender_can_send_through_the_configuration_set(aws_stack):
    sesv2 = boto3.client("sesv2")
    sent = sesv2.send_email(
        FromEmailAddress=aws_stack.sender,
        Destination={"ToAddresses": ["abuse@isp.example"]},
        ConfigurationSetName=aws_stack.configuration_set,
        Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}},
    )
    assert sent["MessageId"]


def test_env_feeds_every_function_settings(aws_stack):
    from probewatch import config

    for model in (
        config.IngestSettings,
        config.AggregateSettings,
        config.SendSettings,
        config.DigestSettings,
        config.FeedbackSettings,
    ):
        settings = config.load(model)
        assert settings.table_name == aws_stack.table_name
