"""`probewatch optout ...` and `probewatch xarf ...` (argument parsing is cli_mailboxes')."""

from __future__ import annotations

import argparse
import json
import sys

from probewatch.clock import utcnow
from probewatch.model import iso_z
from probewatch.optouts import SHARED_MAIL_DOMAINS, mailbox_domain, operator_target
from probewatch.report import InvalidAddress, validate_address
from probewatch.store import desks
from probewatch.store.desks import OptOut


def run_desk_command(table: str, args: argparse.Namespace) -> int:
    if args.action == "list":
        return _list_optouts(table, args.json) if args.command == "optout" else _list_xarf(table)
    if not args.target:
        print(
            f"error: give a target: probewatch {args.command} {args.action} TARGET", file=sys.stderr
        )
        return 2
    if args.command == "xarf":
        return _xarf(table, args.action == "on", args.target)
    try:
        kind, value = operator_target(args.target)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.action == "remove":
        if desks.remove_optout(table, kind, value):
            print(f"{kind} {value}: reports may go there again")
            return 0
        print(f"{kind} {value} was not opted out", file=sys.stderr)
        return 1
    optout = OptOut(kind, value, args.reason, "operator", iso_z(utcnow()) or "")
    if desks.put_optout(table, optout):
        print(f"opted out {kind} {value}: no report of any kind goes there")
    else:
        print(f"{kind} {value} was already opted out (the first reason and date stay)")
    return 0


def opt_out_domain_of(table: str, email: str, reason: str) -> None:
    """After `suppress EMAIL`: the network owner asked, so the whole domain is covered."""
    domain = mailbox_domain(email)
    if not domain or domain in SHARED_MAIL_DOMAINS:
        print(f"(only the mailbox: {domain or email} is shared by many owners)")
        return
    optout = OptOut("domain", domain, reason, "operator", iso_z(utcnow()) or "", mailbox=email)
    desks.put_optout(table, optout)
    print(
        f"opted out domain {domain} too (security@ and the rest of it get no reports); "
        "use --mailbox-only to suppress just the address"
    )


def _xarf(table: str, on: bool, target: str) -> int:
    text = target.strip().lower()
    try:
        value = validate_address(text).lower() if "@" in text else mailbox_domain(text)
    except InvalidAddress as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not value:
        print(f"error: {target!r} is neither a mailbox nor a domain", file=sys.stderr)
        return 2
    desks.set_xarf(table, value, on, utcnow(), by="operator")
    state = "with a XARF attachment" if on else "plain text only"
    print(f"{value}: reports {state}")
    return 0


def _list_optouts(table: str, as_json: bool) -> int:
    for optout in sorted(desks.list_optouts(table), key=lambda o: (o.kind, o.value)):
        row = optout.to_json()
        if as_json:
            print(json.dumps(row, sort_keys=True))
        else:
            print("\t".join(str(row[k] or "-") for k in ("kind", "value", "by", "since", "reason")))
    return 0


def _list_xarf(table: str) -> int:
    for row in sorted(desks.list_xarf(table), key=lambda r: str(r["target"])):
        print(f"{row['target']}\t{row['by'] or '-'}\t{row['since'] or '-'}")
    return 0
