"""infra/template.yaml: cfn-lint clean, and the translated stack keeps its safety properties.

The SAM template is translated offline with aws-sam-translator (no AWS calls), then the
resulting CloudFormation is checked the way a reviewer would: queues, IAM, bucket, table.
"""

from __future__ import annotations

import ast
import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from samtranslator.translator.transform import transform

from probewatch import config
from probewatch.local.cfn_template import TEMPLATE_PATH, load_template
from probewatch.local.resources import LOCAL_PARAMETERS
from probewatch.store import keys

# Which settings model each function reads (functions/<name>/app.py).
FUNCTION_SETTINGS = {
    "IngestFunction": config.IngestSettings,
    "AggregateFunction": config.AggregateSettings,
    "SendFunction": config.SendSettings,
    "DigestFunction": config.DigestSettings,
    "FeedbackFunction": config.FeedbackSettings,
}
ALLOWED_MANAGED_POLICIES = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
    "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole",
}


class _NoManagedPolicies:
    """The template names no managed policies; the loader must not call IAM."""

    def load(self) -> dict[str, str]:
        return {}


@pytest.fixture(scope="module")
def sam_template() -> dict[str, Any]:
    return load_template()


@pytest.fixture(scope="module")
def cfn(sam_template: dict[str, Any]) -> dict[str, Any]:
    template = copy.deepcopy(sam_template)
    # What `sam package` does: local code folders become S3 locations.
    for logical_id, resource in template["Resources"].items():
        for key in ("CodeUri", "ContentUri"):
            if key in resource.get("Properties", {}):
                resource["Properties"][key] = f"s3://artifacts/{logical_id}.zip"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        return transform(template, dict(LOCAL_PARAMETERS), _NoManagedPolicies())


def _of_type(cfn: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {
        name: res.get("Properties", {})
        for name, res in cfn["Resources"].items()
        if res["Type"] == type_
    }


def _ref_target(value: Any) -> str:
    """The logical id behind {"Ref": X} or {"Fn::GetAtt": [X, ...]}."""
    if "Ref" in value:
        return value["Ref"]
    return value["Fn::GetAtt"][0]


def _policy_documents(cfn: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    documents = []
    for name, res in cfn["Resources"].items():
        props = res.get("Properties", {})
        if res["Type"] == "AWS::IAM::Role":
            documents += [(name, policy["PolicyDocument"]) for policy in props.get("Policies", [])]
        elif res["Type"] in (
            "AWS::IAM::Policy",
            "AWS::S3::BucketPolicy",
            "AWS::SQS::QueuePolicy",
            "AWS::SNS::TopicPolicy",
        ):
            documents.append((name, props["PolicyDocument"]))
    return documents


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    statements = document["Statement"]
    return statements if isinstance(statements, list) else [statements]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_cfn_lint_reports_no_errors() -> None:
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    result = subprocess.run(
        [str(cfn_lint), str(TEMPLATE_PATH)], capture_output=True, text=True, timeout=120
    )
    # cfn-lint exit codes are a bit mask (2 error, 4 warning, 8 info): demand a clean run.
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_sqs_trigger_has_dlq_visibility_and_partial_failures(cfn: dict[str, Any]) -> None:
    mappings = _of_type(cfn, "AWS::Lambda::EventSourceMapping")
    queues = _of_type(cfn, "AWS::SQS::Queue")
    functions = _of_type(cfn, "AWS::Lambda::Function")
    sqs_mappings = {n: m for n, m in mappings.items() if _ref_target(m["EventSourceArn"]) in queues}
    assert {_ref_target(m["FunctionName"]) for m in sqs_mappings.values()} == {
        "IngestFunction",
        "SendFunction",
    }
    for name, mapping in sqs_mappings.items():
        queue = queues[_ref_target(mapping["EventSourceArn"])]
        function = functions[_ref_target(mapping["FunctionName"])]
        redrive = queue["RedrivePolicy"]
        assert _ref_target(redrive["deadLetterTargetArn"]) in queues, name
        assert 1 <= int(redrive["maxReceiveCount"]) <= 10, name
        assert int(queue["VisibilityTimeout"]) >= 6 * int(function["Timeout"]), name
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"], name


def test_no_allow_statement_has_a_wildcard_action(cfn: dict[str, Any]) -> None:
    documents = _policy_documents(cfn)
    assert len(documents) >= 10  # every function role, the schedulers, the resource policies
    for owner, document in documents:
        for statement in _statements(document):
            assert "NotAction" not in statement, owner
            if statement["Effect"] != "Allow":
                continue
            for action in _as_list(statement["Action"]):
                assert "*" not in action, f"{owner}: wildcard action {action}"
            for resource in _as_list(statement.get("Resource", [])):
                assert resource != "*", f"{owner}: {statement}"


def test_roles_use_only_the_expected_managed_policies(cfn: dict[str, Any]) -> None:
    for name, role in _of_type(cfn, "AWS::IAM::Role").items():
        assert set(role.get("ManagedPolicyArns", [])) <= ALLOWED_MANAGED_POLICIES, name


def test_ses_sending_is_limited_to_the_sender_identity(cfn: dict[str, Any]) -> None:
    senders = []
    for owner, document in _policy_documents(cfn):
        for statement in _statements(document):
            actions = _as_list(statement["Action"])
            if not any(action.startswith("ses:Send") for action in actions):
                continue
            senders.append(owner)
            resources = [r["Fn::Sub"] for r in _as_list(statement["Resource"])]
            assert all(
                r.endswith(":identity/${MailDomain}")
                or r.endswith(":configuration-set/${OutboundConfigurationSet}")
                for r in resources
            ), owner
            from_address = statement["Condition"]["StringEquals"]["ses:FromAddress"]
            assert from_address == {"Fn::Sub": "${SenderLocalPart}@${MailDomain}"}, owner
    assert sorted(senders) == ["DigestFunctionRole", "IngestFunctionRole", "SendFunctionRole"]


def test_raw_mail_bucket_is_private_encrypted_and_expires(cfn: dict[str, Any]) -> None:
    (bucket,) = _of_type(cfn, "AWS::S3::Bucket").values()
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    rules = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rules[0]["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    expiring = [r for r in bucket["LifecycleConfiguration"]["Rules"] if "ExpirationInDays" in r]
    assert expiring and expiring[0]["Prefix"] == "raw/"


def test_only_ses_of_this_account_may_put_raw_mail(cfn: dict[str, Any]) -> None:
    (policy,) = _of_type(cfn, "AWS::S3::BucketPolicy").values()
    allows = [s for s in _statements(policy["PolicyDocument"]) if s["Effect"] == "Allow"]
    assert len(allows) == 1
    (allow,) = allows
    assert allow["Principal"] == {"Service": "ses.amazonaws.com"}
    assert allow["Action"] == "s3:PutObject"
    assert allow["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    source_arn = allow["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Sub"]
    assert ":receipt-rule-set/${InboundRuleSet}:" in source_arn


def test_ingest_queue_accepts_only_the_raw_mail_bucket(cfn: dict[str, Any]) -> None:
    (policy,) = _of_type(cfn, "AWS::SQS::QueuePolicy").values()
    (allow,) = _statements(policy["PolicyDocument"])
    assert allow["Principal"] == {"Service": "s3.amazonaws.com"}
    assert "aws:SourceArn" in allow["Condition"]["ArnEquals"]
    assert allow["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}


def test_table_has_the_store_layout_ttl_pitr_and_encryption(cfn: dict[str, Any]) -> None:
    (table,) = _of_type(cfn, "AWS::DynamoDB::Table").values()
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["TimeToLiveSpecification"] == {"AttributeName": keys.TTL, "Enabled": True}
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table["SSESpecification"]["SSEEnabled"] is True
    assert [k["AttributeName"] for k in table["KeySchema"]] == [keys.PK, keys.SK]
    (index,) = table["GlobalSecondaryIndexes"]
    assert index["IndexName"] == keys.GSI1
    assert [k["AttributeName"] for k in index["KeySchema"]] == [keys.GSI1PK, keys.GSI1SK]


def test_functions_run_python313_arm64_with_the_shared_layer(cfn: dict[str, Any]) -> None:
    functions = _of_type(cfn, "AWS::Lambda::Function")
    assert set(functions) == set(FUNCTION_SETTINGS)
    layers = _of_type(cfn, "AWS::Lambda::LayerVersion")
    for name, function in functions.items():
        assert function["Runtime"] == "python3.13", name
        assert function["Architectures"] == ["arm64"], name
        assert function["Handler"] == "app.lambda_handler", name
        refs = [layer["Ref"] for layer in function["Layers"] if "Ref" in layer]
        assert any(ref in layers for ref in refs), name


def test_every_function_gets_each_required_setting(cfn: dict[str, Any]) -> None:
    functions = _of_type(cfn, "AWS::Lambda::Function")
    for name, model in FUNCTION_SETTINGS.items():
        env = functions[name]["Environment"]["Variables"]
        required = [field for field, info in model.model_fields.items() if info.is_required()]
        missing = [f for f in required if f"PROBEWATCH_{f.upper()}" not in env]
        assert not missing, f"{name} lacks {missing}"


def test_every_dlq_and_function_has_an_alarm(cfn: dict[str, Any]) -> None:
    alarms = _of_type(cfn, "AWS::CloudWatch::Alarm").values()
    watched = {
        (alarm["MetricName"], _ref_target(alarm["Dimensions"][0]["Value"])) for alarm in alarms
    }
    queues = _of_type(cfn, "AWS::SQS::Queue")
    dead_letter = {
        _ref_target(q["RedrivePolicy"]["deadLetterTargetArn"])
        for q in queues.values()
        if "RedrivePolicy" in q
    }
    for function in _of_type(cfn, "AWS::Lambda::Function").values():
        if "DeadLetterConfig" in function:
            dead_letter.add(_ref_target(function["DeadLetterConfig"]["TargetArn"]))
    assert len(dead_letter) == 3
    for dlq in dead_letter:
        assert ("ApproximateNumberOfMessagesVisible", dlq) in watched, dlq
    for function in FUNCTION_SETTINGS:
        assert ("Errors", function) in watched, function
    for alarm in alarms:
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def test_schedules_run_aggregate_every_15_minutes_and_digest_hourly(
    sam_template: dict[str, Any], cfn: dict[str, Any]
) -> None:
    schedules = _of_type(cfn, "AWS::Scheduler::Schedule")
    targets = {_ref_target(s["Target"]["Arn"]): s for s in schedules.values()}
    assert set(targets) == {"AggregateFunction", "DigestFunction"}
    parameters = sam_template["Parameters"]
    aggregate = targets["AggregateFunction"]["ScheduleExpression"]["Ref"]
    digest = targets["DigestFunction"]["ScheduleExpression"]["Ref"]
    assert parameters[aggregate]["Default"] == "rate(15 minutes)"
    # Each reporter's day ends at their own midnight: the digest runs once in every hour, at a
    # fixed minute (digest_run.RUN_INTERVAL), so each midnight is followed by exactly one run.
    minute, hour, *rest = parameters[digest]["Default"].removeprefix("cron(").split()
    assert parameters[digest]["Default"].startswith("cron(")
    assert minute.isdigit() and hour == "*" and rest == ["*", "*", "?", "*)"]


def test_ses_events_reach_the_feedback_function(cfn: dict[str, Any]) -> None:
    (destination,) = _of_type(cfn, "AWS::SES::ConfigurationSetEventDestination").values()
    event_destination = destination["EventDestination"]
    assert {"bounce", "complaint", "delivery"} <= set(event_destination["MatchingEventTypes"])
    topic = _ref_target(event_destination["SnsDestination"]["TopicARN"])
    subscriptions = _of_type(cfn, "AWS::SNS::Subscription").values()
    assert any(
        _ref_target(s["TopicArn"]) == topic and _ref_target(s["Endpoint"]) == "FeedbackFunction"
        for s in subscriptions
    )


def test_deployed_code_never_imports_the_local_stack(repo_root: Path) -> None:
    """shared/Makefile leaves probewatch/local (moto, fixture servers) out of the layer."""
    deployed = list((repo_root / "functions").glob("*/*.py")) + [
        path
        for path in (repo_root / "shared" / "probewatch").rglob("*.py")
        if "local" not in path.relative_to(repo_root / "shared" / "probewatch").parts[:1]
    ]
    assert len(deployed) > 10
    offenders = []
    for path in deployed:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            if any(n == "probewatch.local" or n.startswith("probewatch.local.") for n in names):
                offenders.append(str(path.relative_to(repo_root)))
    assert not offenders
