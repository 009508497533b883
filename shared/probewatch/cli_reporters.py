"""`probewatch reporters add|list|set|remove`: manage reporters from the operator's shell.

The table is `--table NAME`, or the `TableName` output of the CloudFormation stack
`--stack NAME`, or PROBEWATCH_TABLE_NAME. boto3 honours AWS_ENDPOINT_URL, so the same
commands work against the local stack.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import sys
from dataclasses import asdict, replace
from typing import Any

from probewatch.clock import utcnow
from probewatch.commands import apply_settings
from probewatch.errors import ProbewatchError
from probewatch.model import Reporter, iso_z, parse_iso
from probewatch.store import reporters as store

# Reporter fields holding declared exclusions: option -> (field, validator).
_LIST_OPTIONS: dict[str, tuple[str, Any]] = {
    "--isp-network": ("isp_networks", lambda v: str(ipaddress.ip_network(v, strict=False))),
    "--isp-asn": ("isp_asns", lambda v: int(v.upper().removeprefix("AS"))),
    "--resolver": ("resolvers", lambda v: str(ipaddress.ip_address(v))),
    "--irc-server": ("irc_servers", str),
    "--public-ip": ("public_ips", lambda v: str(ipaddress.ip_address(v))),
    "--self-scan": ("self_scans", lambda v: iso_z(parse_iso(v))),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _table_options(parser, None)
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    table_opts = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: an option given after the action must not be reset by the action's default.
    _table_options(table_opts, argparse.SUPPRESS)

    add = actions.add_parser("add", parents=[table_opts], help="register a reporter")
    add.add_argument("email")
    _profile_options(add)

    listing = actions.add_parser("list", parents=[table_opts], help="list reporters")
    listing.add_argument("--json", action="store_true", help="one JSON object per reporter")

    change = actions.add_parser("set", parents=[table_opts], help="change a reporter")
    change.add_argument("email")
    _profile_options(change)
    change.add_argument("--status", choices=["active", "paused", "stopped"])

    remove = actions.add_parser("remove", parents=[table_opts], help="delete a reporter")
    remove.add_argument("email")


def run(args: argparse.Namespace) -> int:
    try:
        table = resolve_table(args)
        if args.action == "list":
            return _list(table, args.json)
        email = _email(args.email)
        if args.action == "remove":
            if not store.delete_reporter(table, email):
                return _fail(f"{email} is not registered")
            print(f"removed {email}")
            return 0
        existing = store.get_reporter(table, email)
        if args.action == "add":
            if existing is not None:
                return _fail(f"{email} is already registered; use `probewatch reporters set`")
            base = Reporter(email=email, created_at=iso_z(utcnow()))
        elif existing is None:
            return _fail(f"{email} is not registered; use `probewatch reporters add`")
        else:
            base = existing
        reporter = _changed(base, args)
        store.put_reporter(table, reporter)
        print(_line(reporter))
        return 0
    except (ValueError, ProbewatchError) as exc:
        return _fail(str(exc))


def resolve_table(args: argparse.Namespace) -> str:
    if getattr(args, "table", None):
        return str(args.table)
    if getattr(args, "stack", None):
        return _stack_output(args.stack, "TableName")
    # The CLI's one environment read: the same variable the Lambda functions use.
    name = os.environ.get("PROBEWATCH_TABLE_NAME")
    if not name:
        raise ValueError("no table: give --table NAME, --stack NAME or set PROBEWATCH_TABLE_NAME")
    return name


def _stack_output(stack: str, key: str) -> str:
    import boto3
    from botocore.exceptions import ClientError

    try:
        described = boto3.client("cloudformation").describe_stacks(StackName=stack)
    except ClientError as exc:  # no such stack, or no permission to read it
        raise ValueError(f"stack {stack}: {exc.response['Error']['Message']}") from exc
    for output in described["Stacks"][0].get("Outputs", []):
        if output["OutputKey"] == key:
            return str(output["OutputValue"])
    raise ValueError(f"stack {stack} has no output {key}")


def _changed(reporter: Reporter, args: argparse.Namespace) -> Reporter:
    pairs = {
        key: value
        for key, value in (
            ("tz", args.tz),
            ("mask", args.mask),
            ("review", args.review),
            ("digest", args.digest),
        )
        if value is not None
    }
    reporter = apply_settings(reporter, pairs)
    lists: dict[str, Any] = {}
    for option, (field, convert) in _LIST_OPTIONS.items():
        values = getattr(args, field)
        if values is not None:
            try:
                lists[field] = [convert(v) for v in values]
            except (ValueError, TypeError, AttributeError) as exc:
                raise ValueError(f"{option}: {exc}") from exc
    if getattr(args, "status", None):
        lists["status"] = args.status
    return replace(reporter, **lists)


def _table_options(parser: argparse.ArgumentParser, default: Any) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--table", default=default, help="DynamoDB table name")
    where.add_argument("--stack", default=default, help="CloudFormation stack (output TableName)")


def _profile_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tz", help="time zone of the reporter's firewall, e.g. Europe/Berlin")
    parser.add_argument("--mask", choices=["2", "3"], help="destination octets hidden in reports")
    parser.add_argument("--review", choices=["on", "off"], help="hold reports for CANCEL")
    parser.add_argument(
        "--digest",
        choices=["daily", "off"],
        help="the daily mail telling the reporter what was done with their alerts",
    )
    for option, (field, _convert) in _LIST_OPTIONS.items():
        parser.add_argument(
            option,
            dest=field,
            action="append",
            metavar="VALUE",
            help=f"declared {field.replace('_', ' ')} (repeat; replaces the list)",
        )


def _list(table: str, as_json: bool) -> int:
    for reporter in store.list_reporters(table):
        print(json.dumps(asdict(reporter), sort_keys=True) if as_json else _line(reporter))
    return 0


def _line(reporter: Reporter) -> str:
    return "\t".join(
        [
            reporter.email,
            reporter.status,
            reporter.tz,
            f"mask={reporter.mask_octets}",
            f"review={'on' if reporter.review else 'off'}",
            f"digest={reporter.digest}",
        ]
    )


def _email(text: str) -> str:
    email = text.strip().lower()
    local, _, domain = email.partition("@")
    if not local or "." not in domain or " " in email or email.count("@") != 1:
        raise ValueError(f"not an email address: {text!r}")
    return email


def _fail(message: str) -> int:
    print(f"probewatch reporters: {message}", file=sys.stderr)
    return 1
