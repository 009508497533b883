"""Create the stack's data resources from infra/template.yaml's own definitions, via boto3.

Whatever endpoint boto3 is configured for receives the calls: moto's `mock_aws` in tests, the
moto server (AWS_ENDPOINT_URL) in the demo. Names, keys, indexes, TTL, redrive policies and the
S3 -> SQS notification come from the template, so code and infrastructure cannot drift.
Functions, IAM, alarms and the SES receipt rule are not created: the demo invokes the handlers
itself and plays SES's part by putting raw mail into the bucket.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from probewatch.local.cfn_template import Resolver, TemplateError, load_template

# Parameter values of the local stack (the template has no default for the domain on purpose).
LOCAL_PARAMETERS = {
    "MailDomain": "probewatch.example",
    "InboundLocalPart": "alerts",
    "SenderLocalPart": "reports",
    "ReplyToLocalPart": "abuse-replies",
    "OperatorEmail": "operator@probewatch.example",
}

# Logical ids in infra/template.yaml that the local stack wires into settings.
TABLE = "ProbeTable"
RAW_BUCKET = "RawMailBucket"
INGEST_QUEUE, INGEST_DLQ = "IngestQueue", "IngestDLQ"
SEND_QUEUE, SEND_DLQ = "SendQueue", "SendDLQ"
CONFIGURATION_SET = "OutboundConfigurationSet"
SES_EVENTS_TOPIC = "SesEventsTopic"

# The resource types created locally, everything else in the template is skipped.
_CREATED_TYPES = {
    "AWS::DynamoDB::Table",
    "AWS::SQS::Queue",
    "AWS::S3::Bucket",
    "AWS::SNS::Topic",
    "AWS::SES::ConfigurationSet",
    "AWS::SES::EmailIdentity",
}

# CloudFormation queue properties that are SQS attributes of the same name.
_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "SqsManagedSseEnabled",
)


@dataclass(frozen=True)
class LocalStack:
    table_name: str
    raw_bucket: str
    ingest_queue_url: str
    ingest_dlq_url: str
    send_queue_url: str
    send_dlq_url: str
    sender: str
    inbound_address: str
    reply_to: str
    configuration_set: str
    ses_events_topic_arn: str
    region: str

    def env(self) -> dict[str, str]:
        """Every PROBEWATCH_* setting the functions read (see probewatch.config)."""
        return {
            "PROBEWATCH_TABLE_NAME": self.table_name,
            "PROBEWATCH_SEND_QUEUE_URL": self.send_queue_url,
            "PROBEWATCH_SENDER_ADDRESS": self.sender,
            "PROBEWATCH_REPLY_TO_ADDRESS": self.reply_to,
            "PROBEWATCH_INBOUND_ADDRESS": self.inbound_address,
            "PROBEWATCH_CONFIGURATION_SET": self.configuration_set,
        }


def create_stack(
    template_path: Path | None = None,
    *,
    prefix: str = "probewatch-local",
    parameters: dict[str, str] | None = None,
) -> LocalStack:
    """Create (or find, if they already exist) the template's data resources.

    `prefix` plays the stack name: a template name `${AWS::StackName}-probes` becomes
    `<prefix>-probes`. `parameters` override LOCAL_PARAMETERS.
    """
    session = boto3.session.Session()
    region = session.region_name or "us-east-1"
    account = session.client("sts").get_caller_identity()["Account"]
    template = load_template(template_path)
    builder = _StackBuilder(
        session,
        template,
        parameters={**LOCAL_PARAMETERS, **(parameters or {})},
        pseudo={
            "StackName": prefix,
            "Region": region,
            "AccountId": account,
            "Partition": "aws",
            "URLSuffix": "amazonaws.com",
        },
    )
    for logical_id, spec in template["Resources"].items():
        if spec["Type"] in _CREATED_TYPES:
            builder.ensure(logical_id)
    values = builder.resolver.values
    return LocalStack(
        table_name=builder.ensure(TABLE),
        raw_bucket=builder.ensure(RAW_BUCKET),
        ingest_queue_url=builder.ensure(INGEST_QUEUE),
        ingest_dlq_url=builder.ensure(INGEST_DLQ),
        send_queue_url=builder.ensure(SEND_QUEUE),
        send_dlq_url=builder.ensure(SEND_DLQ),
        sender=_address(values, "SenderLocalPart"),
        inbound_address=_address(values, "InboundLocalPart"),
        reply_to=_address(values, "ReplyToLocalPart"),
        configuration_set=builder.ensure(CONFIGURATION_SET),
        ses_events_topic_arn=builder.ensure(SES_EVENTS_TOPIC),
        region=region,
    )


def _address(values: dict[str, Any], local_part: str) -> str:
    """An address parameter of the template: `<local part>@<MailDomain>`, as the template builds it."""
    return f"{values[local_part]}@{values['MailDomain']}"


class _StackBuilder:
    """Creates each resource once, on first reference, so dependencies come first."""

    def __init__(
        self,
        session: boto3.session.Session,
        template: dict[str, Any],
        parameters: dict[str, str],
        pseudo: dict[str, str],
    ) -> None:
        self.session = session
        self.template = template
        self.resolver = Resolver(template, parameters, pseudo, self.attribute)
        self.physical: dict[str, str] = {}
        self.arns: dict[str, str] = {}
        self.pseudo = pseudo

    def ensure(self, logical_id: str) -> str:
        """The resource's Ref value (table/bucket name, queue URL, topic ARN ...)."""
        if logical_id not in self.physical:
            spec = self.template["Resources"][logical_id]
            if spec["Type"] not in _CREATED_TYPES:
                raise TemplateError(f"{logical_id} ({spec['Type']}) is not created locally")
            props = self.resolver.resolve(spec.get("Properties", {}))
            create = _CREATORS[spec["Type"]]
            self.physical[logical_id], self.arns[logical_id] = create(self, logical_id, props)
        return self.physical[logical_id]

    def attribute(self, logical_id: str, attribute: str | None) -> str:
        ref = self.ensure(logical_id)
        if attribute is None:
            return ref
        if attribute == "Arn":
            return self.arns[logical_id]
        if attribute == "QueueName":
            return self.arns[logical_id].rsplit(":", 1)[1]
        if attribute == "QueueUrl":
            return ref
        raise TemplateError(f"the local stack has no attribute {logical_id}.{attribute}")

    def client(self, service: str) -> Any:
        return self.session.client(service)

    # -- creators: each returns (Ref value, ARN)

    def _table(self, logical_id: str, props: dict[str, Any]) -> tuple[str, str]:
        dynamodb = self.client("dynamodb")
        name = props["TableName"]
        request: dict[str, Any] = {
            "TableName": name,
            "KeySchema": props["KeySchema"],
            "AttributeDefinitions": props["AttributeDefinitions"],
            "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
        }
        if props.get("GlobalSecondaryIndexes"):
            request["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        try:
            arn = dynamodb.create_table(**request)["TableDescription"]["TableArn"]
            dynamodb.get_waiter("table_exists").wait(
                TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
            )
            ttl = props.get("TimeToLiveSpecification")
            if ttl and ttl.get("Enabled"):
                dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
            pitr = props.get("PointInTimeRecoverySpecification", {})
            if pitr.get("PointInTimeRecoveryEnabled"):
                dynamodb.update_continuous_backups(
                    TableName=name, PointInTimeRecoverySpecification=pitr
                )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceInUseException":
                raise
            arn = dynamodb.describe_table(TableName=name)["Table"]["TableArn"]
        return name, arn

    def _queue(self, logical_id: str, props: dict[str, Any]) -> tuple[str, str]:
        sqs = self.client("sqs")
        attributes = {key: _attr(props[key]) for key in _QUEUE_ATTRIBUTES if key in props}
        if "RedrivePolicy" in props:
            attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
        url = sqs.create_queue(QueueName=props["QueueName"], Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        return url, arn["Attributes"]["QueueArn"]

    def _bucket(self, logical_id: str, props: dict[str, Any]) -> tuple[str, str]:
        s3 = self.client("s3")
        name = props["BucketName"]
        request: dict[str, Any] = {"Bucket": name}
        if self.pseudo["Region"] != "us-east-1":
            request["CreateBucketConfiguration"] = {"LocationConstraint": self.pseudo["Region"]}
        try:
            s3.create_bucket(**request)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "BucketAlreadyOwnedByYou":
                raise
        if "PublicAccessBlockConfiguration" in props:
            s3.put_public_access_block(
                Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"]
            )
        if "BucketEncryption" in props:
            s3.put_bucket_encryption(
                Bucket=name,
                ServerSideEncryptionConfiguration=_encryption(props["BucketEncryption"]),
            )
        queues = props.get("NotificationConfiguration", {}).get("QueueConfigurations", [])
        if queues:
            s3.put_bucket_notification_configuration(
                Bucket=name,
                NotificationConfiguration={
                    "QueueConfigurations": [_queue_config(q) for q in queues]
                },
            )
            for queue in queues:
                _drop_test_events(self.client("sqs"), queue["Queue"])
        return name, f"arn:aws:s3:::{name}"

    def _topic(self, logical_id: str, props: dict[str, Any]) -> tuple[str, str]:
        name = props.get("TopicName") or f"{self.pseudo['StackName']}-{logical_id}"
        arn = self.client("sns").create_topic(Name=name)["TopicArn"]
        return arn, arn

    def _configuration_set(self, logical_id: str, props: dict[str, Any]) -> tuple[str, str]:
        name = props["Name"]
        try:
            self.client("ses").create_configuration_set(ConfigurationSet={"Name": name})
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConfigurationSetAlreadyExists":
                raise
        region, account = self.pseudo["Region"], self.pseudo["AccountId"]
        return name, f"arn:aws:ses:{region}:{account}:configuration-set/{name}"

    def _email_identity(self, logical_id: str, props: dict[str, Any]) -> tuple[str, str]:
        """moto verifies identities on creation: the domain and the sender address both."""
        ses = self.client("ses")
        identity = props["EmailIdentity"]
        if "@" in identity:
            ses.verify_email_identity(EmailAddress=identity)
        else:
            ses.verify_domain_identity(Domain=identity)
        ses.verify_email_identity(EmailAddress=_address(self.resolver.values, "SenderLocalPart"))
        region, account = self.pseudo["Region"], self.pseudo["AccountId"]
        return identity, f"arn:aws:ses:{region}:{account}:identity/{identity}"


_CREATORS = {
    "AWS::DynamoDB::Table": _StackBuilder._table,
    "AWS::SQS::Queue": _StackBuilder._queue,
    "AWS::S3::Bucket": _StackBuilder._bucket,
    "AWS::SNS::Topic": _StackBuilder._topic,
    "AWS::SES::ConfigurationSet": _StackBuilder._configuration_set,
    "AWS::SES::EmailIdentity": _StackBuilder._email_identity,
}


def _attr(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _encryption(cfn: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's BucketEncryption shape -> the S3 API's."""
    rules = cfn["ServerSideEncryptionConfiguration"]
    return {
        "Rules": [
            {"ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"]}
            for rule in rules
        ]
    }


def _queue_config(cfn: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's QueueConfiguration shape -> the S3 API's."""
    config: dict[str, Any] = {"QueueArn": cfn["Queue"], "Events": [cfn["Event"]]}
    rules = cfn.get("Filter", {}).get("S3Key", {}).get("Rules", [])
    if rules:
        config["Filter"] = {"Key": {"FilterRules": rules}}
    return config


def _drop_test_events(sqs: Any, queue_arn: str) -> None:
    """S3 posts an `s3:TestEvent` when a notification is configured; the local stack starts
    with an empty queue, as a long-running stack effectively does."""
    name = queue_arn.rsplit(":", 1)[1]
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        tests = [m for m in messages if '"s3:TestEvent"' in m["Body"]]
        for message in tests:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        others = [m for m in messages if m not in tests]
        if others:  # an existing stack's real mail: leave it for ingest
            sqs.change_message_visibility_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                    for n, m in enumerate(others)
                ],
            )
        if not tests:
            return
