"""`probewatch backtrace`: who is responsible for these source IPs?

Contract (DESIGN.md): `probewatch backtrace --json IP...` prints one JSON object per IP, one
per line: `ip`, `reportable` (false with a `reason` for private/reserved/bogon addresses),
`ptr`, `domain`, `network` (`cidr`, `name`, `rir`, `asn`, `country`...) and `contacts`, a
ranked list of `{email, source, confidence}`. PROBEWATCH_DNS_SERVERS and PROBEWATCH_RDAP_URL
(or --dns-servers / --rdap-url) redirect every DNS query and RDAP request.

An IP whose lookup failed still gets its object, with `error` set and no contacts; the exit
status is then 1. Malformed input is reported as not reportable (`invalid-address`); a
malformed --dns-servers / PROBEWATCH_DNS_SERVERS exits 2 before any lookup.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from probewatch.backtrace import Backtracer, BacktraceResult
from probewatch.config import LookupSettings, load
from probewatch.errors import ConfigError, LookupFailed


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ips", nargs="+", metavar="IP", help="source addresses to trace")
    parser.add_argument("--json", action="store_true", help="one JSON object per IP (default)")
    parser.add_argument("--text", action="store_true", help="one readable line per IP instead")
    parser.add_argument("--dns-servers", help="host[:port],... (default: PROBEWATCH_DNS_SERVERS)")
    parser.add_argument("--rdap-url", help="RDAP base URL (default: PROBEWATCH_RDAP_URL)")


def run(args: argparse.Namespace) -> int:
    settings = load(LookupSettings)
    try:
        tracer = Backtracer(
            dns_servers=args.dns_servers or settings.dns_servers,
            rdap_url=args.rdap_url or settings.rdap_url,
        )
    except ConfigError as exc:
        print(f"probewatch backtrace: {exc}", file=sys.stderr)
        return 2
    status = 0
    for ip in args.ips:
        try:
            result = tracer.trace(ip)
            record = result.to_json()
        except LookupFailed as exc:
            status = 1
            record = BacktraceResult(ip=ip.strip(), reportable=True).to_json()
            record["error"] = str(exc)
        print(_as_text(record) if args.text else json.dumps(record, sort_keys=False))
        sys.stdout.flush()
    return status


def _as_text(record: dict[str, Any]) -> str:
    if not record["reportable"]:
        return f"{record['ip']}: not reportable ({record['reason']})"
    if record.get("error"):
        return f"{record['ip']}: lookup failed ({record['error']})"
    network = record.get("network") or {}
    contacts = ", ".join(c["email"] for c in record["contacts"]) or "no contact"
    parts = [network.get(key) for key in ("cidr", "name", "rir")]
    where = " ".join(str(part) for part in parts if part) or "no registry record"
    # A missing PTR is common and fine; say so in words rather than printing Python's None.
    ptr = f"reverse DNS {record['ptr']}" if record.get("ptr") else "no confirmed reverse DNS"
    return f"{record['ip']}: {where}; {ptr}; {contacts}"
