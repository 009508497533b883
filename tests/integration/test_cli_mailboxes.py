"""`probewatch suppress` / `unsuppress` / `suppress --list` against the moto table."""

from __future__ import annotations

import json
from typing import Any

import pytest

from probewatch.cli import main
from probewatch.store import mailboxes


def test_suppress_list_unsuppress_and_bad_input(
    aws_stack: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["suppress", "Abuse@ISP.example", "--reason", "asked by phone"]) == 0
    assert main(["suppress", "--list", "--json"]) == 0
    out = capsys.readouterr().out.splitlines()
    rows = [json.loads(line) for line in out if line.startswith("{")]
    assert [(r["email"], r["by"], r["reason"]) for r in rows] == [
        ("abuse@isp.example", "operator", "asked by phone")
    ]
    state = mailboxes.get_mailbox(aws_stack.table_name, "abuse@isp.example")
    assert state is not None and state.suppressed

    assert main(["unsuppress", "abuse@isp.example"]) == 0
    assert mailboxes.list_suppressed(aws_stack.table_name) == []
    assert main(["unsuppress", "abuse@isp.example"]) == 1  # nothing to lift

    # Registry desks are listed, and cannot be lifted.
    assert main(["suppress", "--list", "--registry"]) == 0
    assert "abuse@lacnic.net\tregistry" in capsys.readouterr().out
    assert main(["unsuppress", "abuse@lacnic.net"]) == 1

    # Bad input is refused; the table comes from --table or the environment, never a default.
    assert main(["suppress", "not an address"]) == 2
    assert main(["suppress", "x@y.example\r\nBcc: z@w.example"]) == 2
    assert main(["suppress"]) == 2
    monkeypatch.delenv("PROBEWATCH_TABLE_NAME")
    assert main(["suppress", "a@b.example"]) == 2
    assert main(["suppress", "a@b.example", "--table", aws_stack.table_name]) == 0


def test_table_from_the_stack_outputs_and_a_missing_stack_is_a_clear_error(
    aws_stack: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    monkeypatch.delenv("PROBEWATCH_TABLE_NAME")
    template = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {"TableName": {"Value": aws_stack.table_name}},
    }
    boto3.client("cloudformation").create_stack(
        StackName="probewatch", TemplateBody=json.dumps(template)
    )
    assert main(["suppress", "abuse@isp.example", "--stack", "probewatch"]) == 0
    assert [m.email for m in mailboxes.list_suppressed(aws_stack.table_name)] == [
        "abuse@isp.example"
    ]
    assert main(["unsuppress", "abuse@isp.example", "--stack", "probewatch"]) == 0
    capsys.readouterr()
    # No traceback for a stack that is not there: one line naming it.
    assert main(["suppress", "--list", "--stack", "nope"]) == 2
    assert main(["reporters", "list", "--stack", "nope"]) == 1
    err = capsys.readouterr().err
    assert err.count("stack nope") == 2 and "Traceback" not in err
    with pytest.raises(SystemExit, match="stack nope.*--queue-url"):  # exit status 1
        main(["dlq", "list", "--queue", "ingest", "--stack", "nope"])
