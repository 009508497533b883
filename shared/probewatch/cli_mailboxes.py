"""The operator's side of what report mailboxes get:

* `probewatch suppress EMAIL [--reason TEXT] [--mailbox-only]`, `suppress --list`,
  `unsuppress EMAIL`: the mailbox suppression list. A suppression "because they asked not to
  get reports" covers the network owner, so by default the mailbox's domain is opted out too
  (never a shared webmail domain); `--mailbox-only` suppresses just that address.
* `probewatch optout add|remove DOMAIN|CIDR|EMAIL [--reason TEXT]`, `optout list`: the
  opt-out registry (probewatch.optouts): no report of any kind to any mailbox of it.
* `probewatch xarf on|off EMAIL|DOMAIN`, `xarf list`: XARF attachment opt-ins.

Works against the table named by --table, the deployed stack's outputs (--stack NAME) or
PROBEWATCH_TABLE_NAME (no default: a typo must not edit another table). Registry desks (registry_desks.txt) are always suppressed and listed
with --list --registry.
"""

from __future__ import annotations

import argparse
import json
import sys

from probewatch.clock import utcnow
from probewatch.registry_desks import registry_desks
from probewatch.report import InvalidAddress, validate_address

SERVES_SEVERAL = True


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--table", help="DynamoDB table (default: $PROBEWATCH_TABLE_NAME)")
    where.add_argument("--stack", help="CloudFormation stack (output TableName)")
    if name == "optout":
        parser.add_argument("action", choices=("add", "remove", "list"))
        parser.add_argument("target", nargs="?", help="a domain, a network (CIDR) or a mailbox")
        parser.add_argument(
            "--reason",
            default="asked not to receive port-probe reports",
            help="why, in a few words, kept with the entry (default: %(default)s)",
        )
        parser.add_argument("--json", action="store_true", help="with list: one JSON per line")
        return
    if name == "xarf":
        parser.add_argument("action", choices=("on", "off", "list"))
        parser.add_argument("target", nargs="?", help="a mailbox, or a domain for all of its")
        return
    if name == "suppress":
        parser.add_argument("email", nargs="?", help="the mailbox never to mail again")
        parser.add_argument(
            "--reason",
            default="asked not to receive port-probe reports",
            help="why, in a few words, kept with the entry (default: %(default)s)",
        )
        parser.add_argument(
            "--mailbox-only",
            action="store_true",
            help="suppress only this address, not its domain (e.g. a wrong contact)",
        )
        parser.add_argument("--list", action="store_true", help="list suppressed mailboxes")
        parser.add_argument(
            "--registry", action="store_true", help="with --list: also the built-in registry desks"
        )
        parser.add_argument("--json", action="store_true", help="with --list: one JSON per line")
    else:
        parser.add_argument("email", help="the mailbox to mail again")


def run(args: argparse.Namespace) -> int:
    from probewatch.cli_reporters import resolve_table

    try:  # --table, else --stack's output, else PROBEWATCH_TABLE_NAME
        table = resolve_table(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from probewatch.store import mailboxes

    if args.command in ("optout", "xarf"):
        from probewatch.cli_desks import run_desk_command

        return run_desk_command(table, args)
    if args.command == "suppress" and args.list:
        return _list(table, args)
    if not args.email:
        print("error: give an EMAIL or --list", file=sys.stderr)
        return 2
    try:
        email = validate_address(args.email.strip()).lower()
    except InvalidAddress as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.command == "suppress":
        mailboxes.suppress(table, email, utcnow(), args.reason, by="operator")
        print(f"suppressed {email}")
        if not args.mailbox_only:
            from probewatch.cli_desks import opt_out_domain_of

            opt_out_domain_of(table, email, args.reason)
        return 0
    if mailboxes.unsuppress(table, email):
        print(f"unsuppressed {email}")
        return 0
    if email in registry_desks():
        print(
            f"{email} is a registry desk (registry_desks.txt); it stays suppressed", file=sys.stderr
        )
        return 1
    print(f"{email} was not suppressed", file=sys.stderr)
    return 1


def _list(table: str, args: argparse.Namespace) -> int:
    from probewatch.store import mailboxes

    rows = [
        {
            "email": state.email,
            "by": state.suppressed_by,
            "since": state.suppressed_at,
            "reason": state.suppressed_reason,
        }
        for state in mailboxes.list_suppressed(table)
    ]
    if args.registry:
        rows += [
            {"email": desk, "by": "registry", "since": None, "reason": "registry desk"}
            for desk in sorted(registry_desks())
        ]
    for row in rows:
        if args.json:
            print(json.dumps(row, sort_keys=True))
        else:
            print(
                f"{row['email']}\t{row['by'] or '-'}\t{row['since'] or '-'}\t{row['reason'] or ''}"
            )
    return 0
