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


def test_suppress_covers_the_domain_unless_mailbox_only(
    aws_stack: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 12: an operator suppressing abuse@ "because they asked not to get reports" means
    the network owner; security@ of the same domain must not get the next report."""
    from probewatch.sending import mailbox_refusal
    from probewatch.store import desks

    table = aws_stack.table_name
    assert main(["suppress", "abuse@isp.example"]) == 0
    assert "opted out domain isp.example too" in capsys.readouterr().out
    optouts = desks.list_optouts(table)
    assert [(o.kind, o.value, o.by) for o in optouts] == [("domain", "isp.example", "operator")]
    assert mailbox_refusal(table, "security@isp.example", None, optouts) == "opted-out"

    assert main(["suppress", "wrong-contact@other.example", "--mailbox-only"]) == 0
    assert main(["suppress", "someone@gmail.com"]) == 0  # a shared domain: the mailbox only
    optouts = desks.list_optouts(table)
    assert [o.value for o in optouts] == ["isp.example"]
    assert mailbox_refusal(table, "abuse@other.example", None, optouts) is None


def test_optout_add_list_remove(aws_stack: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["optout", "add", "198.51.100.0/24", "--reason", "asked by phone"]) == 0
    assert main(["optout", "add", "Security@Example-ISP.net"]) == 0  # a mailbox: its domain
    assert main(["optout", "add", "example-isp.net"]) == 0  # already there: kept, exit 0
    assert "already opted out" in capsys.readouterr().out
    assert main(["optout", "list", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["kind"], r["value"], r["reason"]) for r in rows] == [
        ("domain", "example-isp.net", "asked not to receive port-probe reports"),
        ("network", "198.51.100.0/24", "asked by phone"),
    ]
    # Too wide, or nonsense: refused with one line, nothing stored.
    assert main(["optout", "add", "10.0.0.0/4"]) == 2
    assert main(["optout", "add", "not a domain"]) == 2
    assert main(["optout", "add"]) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert main(["optout", "remove", "198.51.100.0/24"]) == 0
    assert main(["optout", "remove", "198.51.100.0/24"]) == 1
    capsys.readouterr()
    assert main(["optout", "list"]) == 0
    assert capsys.readouterr().out.startswith("domain\texample-isp.net\toperator\t")


def test_xarf_on_off_list(aws_stack: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from probewatch.store import desks

    table = aws_stack.table_name
    assert main(["xarf", "on", "Abuse@ISP.example"]) == 0
    assert main(["xarf", "on", "example-isp.net"]) == 0
    assert desks.wants_xarf(table, "abuse@isp.example", "isp.example")
    assert desks.wants_xarf(table, "noc@example-isp.net", "example-isp.net")  # by domain
    assert not desks.wants_xarf(table, "security@isp.example", "isp.example")
    assert main(["xarf", "list"]) == 0
    listed = capsys.readouterr().out
    assert "abuse@isp.example\toperator" in listed and "example-isp.net\toperator" in listed
    assert main(["xarf", "off", "abuse@isp.example"]) == 0
    assert not desks.wants_xarf(table, "abuse@isp.example", "isp.example")
    assert main(["xarf", "on", "x@y\r\nBcc: z@w.example"]) == 2


def test_incidents_show(aws_stack: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from datetime import UTC, datetime

    from send_helpers import enqueue, run_send, seed_incident

    from probewatch.clock import frozen
    from probewatch.model import Reporter

    seed_incident(aws_stack.table_name, ["abuse@isp.example"], [Reporter("alice@home.example")])
    enqueue(aws_stack.send_queue_url, "PW-20261125-0a1b2c3d")
    with frozen(datetime(2026, 11, 25, 6, 0, tzinfo=UTC)):
        run_send(aws_stack.send_queue_url)
    capsys.readouterr()
    assert main(["incidents", "show", "PW-20261125-0a1b2c3d"]) == 0
    text = capsys.readouterr().out
    assert "Incident PW-20261125-0a1b2c3d: source 45.155.205.12" in text
    assert "Reporters: alice@home.example" in text  # the operator sees who reported
    assert "2026-11-25 06:00:00  report sent to abuse@isp.example (attempt 1)" in text
    assert main(["incidents", "show", "PW-20261125-0a1b2c3d", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["status"] == "sent" and record["send_attempts"][0]["status"] == "sent"
    assert main(["incidents", "show", "PW-20261125-ffffffff"]) == 1
    assert "no incident PW-20261125-ffffffff" in capsys.readouterr().err
