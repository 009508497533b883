"""`probewatch reporters ...` against moto, as an operator would run it."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from probewatch.cli import main
from probewatch.store import reporters as store


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["reporters", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_add_list_set_remove(aws_stack: Any, capsys: pytest.CaptureFixture[str]) -> None:
    table = aws_stack.table_name  # found through PROBEWATCH_TABLE_NAME
    status, out, _ = run(
        capsys,
        "add",
        "Alice@Example.net",
        "--tz",
        "Europe/Berlin",
        "--mask",
        "3",
        "--review",
        "on",
        "--isp-network",
        "198.51.100.0/24",
        "--isp-asn",
        "AS64500",
        "--resolver",
        "198.51.100.53",
    )
    assert status == 0
    assert out == "alice@example.net\tactive\tEurope/Berlin\tmask=3\treview=on\tdigest=daily\n"
    alice = store.get_reporter(table, "alice@example.net")
    assert alice is not None
    assert (alice.isp_networks, alice.isp_asns, alice.resolvers) == (
        ["198.51.100.0/24"],
        [64500],
        ["198.51.100.53"],
    )
    assert alice.created_at is not None

    assert run(capsys, "add", "bob@example.org")[0] == 0
    status, out, _ = run(capsys, "list", "--json")
    assert [json.loads(line)["email"] for line in out.splitlines()] == [
        "alice@example.net",
        "bob@example.org",
    ]

    status, out, _ = run(capsys, "set", "bob@example.org", "--status", "paused", "--digest", "off")
    assert status == 0 and "\tpaused\t" in out and "digest=off" in out
    bob = store.get_reporter(table, "bob@example.org")
    assert bob is not None and (bob.status, bob.digest, bob.tz) == ("paused", "off", "UTC")
    # `set` leaves what it is not told about alone.
    run(capsys, "set", "alice@example.net", "--mask", "2")
    alice_after = store.get_reporter(table, "alice@example.net")
    assert alice_after is not None and alice_after.isp_asns == [64500] and alice_after.review

    assert run(capsys, "remove", "bob@example.org")[0] == 0
    status, out, _ = run(capsys, "list")
    assert out.splitlines() == [
        "alice@example.net\tactive\tEurope/Berlin\tmask=2\treview=on\tdigest=daily"
    ]


MISTAKES = [
    (["add", "alice@example.net"], "already registered"),
    (["set", "nobody@example.net", "--tz", "UTC"], "not registered"),
    (["remove", "nobody@example.net"], "not registered"),
    (["add", "carol@example.net", "--tz", "Mars/Base"], "not a time zone"),
    (["add", "carol@example.net", "--isp-network", "300.1.2.0/24"], "--isp-network"),
    (["add", "not-an-address"], "not an email address"),
]


def test_mistakes_are_refused_without_changes(
    aws_stack: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "add", "alice@example.net")
    before = store.list_reporters(aws_stack.table_name)
    for argv, message in MISTAKES:
        status, _, err = run(capsys, *argv)
        assert status == 1 and message in err, (argv, err)
    assert store.list_reporters(aws_stack.table_name) == before


def test_table_from_option_or_stack_outputs(
    aws_stack: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PROBEWATCH_TABLE_NAME")
    status, _, err = run(capsys, "list")
    assert status == 1 and "--table" in err

    assert run(capsys, "--table", aws_stack.table_name, "add", "a@example.net")[0] == 0
    assert run(capsys, "add", "b@example.net", "--table", aws_stack.table_name)[0] == 0

    template = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {"TableName": {"Value": aws_stack.table_name}},
    }
    boto3.client("cloudformation").create_stack(
        StackName="probewatch", TemplateBody=json.dumps(template)
    )
    status, out, _ = run(capsys, "list", "--stack", "probewatch")
    assert status == 0 and [line.split("\t")[0] for line in out.splitlines()] == [
        "a@example.net",
        "b@example.net",
    ]
