"""CLI errors: one line on stderr that says what is wrong and how to fix it, exit code 1;
`--debug` shows the traceback instead."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
)

from probewatch.cli import main
from probewatch.cli_errors import explain


def run_cli(*argv: str) -> subprocess.CompletedProcess[str]:
    """The real command in a child with no AWS configuration at all (as a new user has)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PROBEWATCH_"))}
    env.update(AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    code = "import sys; from probewatch.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err.strip()


@pytest.mark.parametrize(
    "argv",
    [
        ["reporters", "add", "x@y.example", "--stack", "probewatch"],
        ["dlq", "list", "--queue", "ingest", "--stack", "probewatch"],
    ],
)
def test_no_region_is_one_line_with_the_fix(argv: list[str]) -> None:
    done = run_cli(*argv)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith(f"probewatch {argv[0]}: no AWS region set")
    assert "AWS_REGION" in done.stderr


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["demo", "--now", "yesterday"], "argument --now: 'yesterday' is not a time"),
        (["demo", "--now", "2026-11-25T12:00:00"], "has no zone: add Z or +01:00"),
        (["reporters", "bogus"], "invalid choice: 'bogus'"),
        (["nosuch"], "invalid choice: 'nosuch'"),
    ],
)
def test_a_usage_mistake_is_one_line_and_exit_2(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    line = one_line(capsys)
    assert line.startswith("probewatch") and says in line and line.endswith("--help)")


def test_a_bad_value_found_while_running_is_one_line_and_exit_1(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import probewatch.cli_parse as cli_parse

    def broken(_args: object) -> int:
        raise ValueError("the file says\nsomething odd")

    monkeypatch.setattr(cli_parse, "run", broken)
    assert main(["parse", "--json", "-"]) == 1
    assert one_line(capsys) == "probewatch parse: the file says something odd (see --help)"


def test_debug_shows_the_traceback() -> None:
    done = run_cli("reporters", "add", "x@y.example", "--stack", "probewatch", "--debug")
    assert done.returncode == 1
    assert "Traceback" in done.stderr and "NoRegionError" in done.stderr


def test_each_aws_failure_says_how_to_fix_it() -> None:
    denied = ClientError(
        {"Error": {"Code": "AccessDenied", "Message": "not\nallowed"}}, "DescribeStacks"
    )
    assert explain(denied, "dlq") == (
        "probewatch dlq: AWS refused DescribeStacks: AccessDenied: not allowed "
        "(these credentials may not do this; use a role or profile that may)"
    )
    assert "AWS_PROFILE" in explain(NoCredentialsError(), "reporters")
    unreachable = EndpointConnectionError(endpoint_url="https://sqs.example")
    assert "check the network" in explain(unreachable, "dlq")
    assert "\n" not in explain(ValueError("two\nlines"), "demo")
