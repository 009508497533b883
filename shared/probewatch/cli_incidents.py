"""`probewatch incidents show ID [--json]`: one incident's evidence, status and history.

The operator's view (reporters, contact chain and the stored decision included); an abuse desk
gets the same record without those by replying LOOKUP to its report (abuse_replies).
"""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--table", help="DynamoDB table (default: $PROBEWATCH_TABLE_NAME)")
    where.add_argument("--stack", help="CloudFormation stack (output TableName)")
    parser.add_argument("action", choices=("show",), help="show one incident")
    parser.add_argument("incident_id", help="e.g. PW-20261125-0a1b2c3d (from a report or digest)")
    parser.add_argument("--json", action="store_true", help="the stored record as JSON")


def run(args: argparse.Namespace) -> int:
    from probewatch.cli_reporters import resolve_table

    try:
        table = resolve_table(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from probewatch.incident_record import incident_record_json, incident_record_text
    from probewatch.store.desks import incident_history
    from probewatch.store.incidents import get_incident

    incident_id = args.incident_id.strip()
    incident = get_incident(table, incident_id)
    if incident is None:
        print(f"error: no incident {incident_id} in table {table}", file=sys.stderr)
        return 1
    history = incident_history(table, incident_id)
    if args.json:
        print(json.dumps(incident_record_json(incident, history), indent=2, sort_keys=True))
    else:
        print(incident_record_text(incident, history, for_operator=True), end="")
    return 0
