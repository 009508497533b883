"""`probewatch dlq`: list and replay dead-lettered messages on moto."""

from __future__ import annotations

import json

import boto3
import pytest

from probewatch import cli, cli_dlq


@pytest.fixture(autouse=True)
def _no_long_polling(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_dlq, "POLL_SECONDS", 0)


def _fill(url: str, bodies: list[str]) -> None:
    sqs = boto3.client("sqs")
    for body in bodies:
        sqs.send_message(QueueUrl=url, MessageBody=body)


def _drain(url: str) -> list[str]:
    sqs = boto3.client("sqs")
    bodies = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        bodies += [m["Body"] for m in messages]
        for m in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return bodies


BODIES = [json.dumps({"incident_id": f"inc-{n}", "attempt": 1}) for n in range(13)]


def test_list_shows_messages_and_leaves_them_in_place(aws_stack, capsys):
    _fill(aws_stack.send_dlq_url, BODIES)
    assert cli.main(["dlq", "list", "--queue-url", aws_stack.send_dlq_url]) == 0
    out, err = capsys.readouterr()
    listed = [json.loads(line) for line in out.splitlines()]
    assert sorted(m["body"]["incident_id"] for m in listed) == sorted(
        json.loads(b)["incident_id"] for b in BODIES
    )
    assert all(m["sent_at"].endswith("Z") for m in listed)
    assert "13 message(s)" in err
    assert sorted(_drain(aws_stack.send_dlq_url)) == sorted(BODIES)


def test_replay_moves_every_message_back_to_its_source_queue(aws_stack, capsys):
    _fill(aws_stack.send_dlq_url, BODIES)
    assert cli.main(["dlq", "replay", "--queue-url", aws_stack.send_dlq_url]) == 0
    assert "replayed 13 message(s)" in capsys.readouterr().err
    assert _drain(aws_stack.send_dlq_url) == []
    assert sorted(_drain(aws_stack.send_queue_url)) == sorted(BODIES)


def test_replay_honours_max(aws_stack):
    _fill(aws_stack.ingest_dlq_url, BODIES[:5])
    assert cli.main(["dlq", "replay", "--queue-url", aws_stack.ingest_dlq_url, "--max", "2"]) == 0
    assert len(_drain(aws_stack.ingest_queue_url)) == 2
    assert len(_drain(aws_stack.ingest_dlq_url)) == 3


def test_queue_is_found_through_the_stack_outputs(aws_stack, capsys):
    # A stand-in deployed stack whose outputs name the local stack's DLQ.
    stack_template = {
        "Resources": {"Placeholder": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {"IngestDLQUrl": {"Value": aws_stack.ingest_dlq_url}},
    }
    boto3.client("cloudformation").create_stack(
        StackName="probewatch-test", TemplateBody=json.dumps(stack_template)
    )
    _fill(aws_stack.ingest_dlq_url, BODIES[:3])
    args = ["dlq", "replay", "--queue", "ingest", "--stack", "probewatch-test"]
    assert cli.main(args) == 0
    assert sorted(_drain(aws_stack.ingest_queue_url)) == sorted(BODIES[:3])


def test_a_dlq_without_a_source_queue_is_not_replayed(aws_stack, capsys):
    orphan = boto3.client("sqs").create_queue(QueueName="orphan-dlq")["QueueUrl"]
    _fill(orphan, BODIES[:1])
    assert cli.main(["dlq", "replay", "--queue-url", orphan]) == 2
    assert "cannot replay" in capsys.readouterr().err
    assert _drain(orphan) == BODIES[:1]
