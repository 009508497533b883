"""A loopback DNS server (dnslib) answering PTR/A/AAAA/TXT/MX from a JSON zone file.

Zone file shape (names are case-insensitive, trailing dots optional; a key that is an IP
address stands for its reverse name, so PTRs can be written by address):

    {"records": {"45.155.205.233": {"PTR": ["scan-233.hostnet-demo.net"]},
                 "scan-233.hostnet-demo.net": {"A": ["45.155.205.233"]},
                 "mail.hostnet-demo.net": {"MX": ["10 mx.hostnet-demo.net"]}},
     "abusix": {"45.155.205.233": ["abuse@hostnet-demo.net"]}}

`abusix` is shorthand for TXT records in abuse-contacts.abusix.zone. A `*.name` key answers
for every name below it (used for Team Cymru's origin-ASN zone). Unknown names get NXDOMAIN. Start it with `with DnsServer(path) as server:` (server.address is "127.0.0.1:port",
server.queries counts questions by type) or `with serve_dns(path) as address:`.
"""

from __future__ import annotations

import ipaddress
import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dnslib import AAAA, MX, PTR, QTYPE, RCODE, RR, TXT, A, DNSRecord
from dnslib.server import BaseResolver, DNSLogger, DNSServer

from probewatch.backtrace.abusix import abusix_name
from probewatch.backtrace.rdns import reverse_name

_RDATA = {
    "A": lambda value: A(value),
    "AAAA": lambda value: AAAA(value),
    "PTR": lambda value: PTR(value.rstrip(".") + "."),
    "TXT": lambda value: TXT(value),
    "MX": lambda value: MX(value.split()[-1].rstrip(".") + ".", int(value.split()[0])),
}


def _name(key: str) -> str:
    try:
        return reverse_name(str(ipaddress.ip_address(key))).lower()
    except ValueError:
        return key.strip().rstrip(".").lower()


def load_zone(source: Path | dict[str, Any]) -> dict[str, dict[str, list[str]]]:
    """Zone data by lower-case name without trailing dot, then record type -> values."""
    data = json.loads(Path(source).read_text("utf-8")) if not isinstance(source, dict) else source
    zone: dict[str, dict[str, list[str]]] = {}
    for key, records in (data.get("records") or {}).items():
        entry = zone.setdefault(_name(key), {})
        for rdtype, values in records.items():
            entry.setdefault(rdtype.upper(), []).extend(
                values if isinstance(values, list) else [values]
            )
    for ip, emails in (data.get("abusix") or {}).items():
        zone.setdefault(abusix_name(ip).lower(), {}).setdefault("TXT", []).extend(emails)
    return zone


class _ZoneResolver(BaseResolver):
    def __init__(self, zone: dict[str, dict[str, list[str]]]) -> None:
        self.zone = zone
        self.queries: Counter[str] = Counter()
        self.lock = threading.Lock()

    def resolve(self, request: DNSRecord, handler: Any) -> DNSRecord:
        reply = request.reply()
        qname = str(request.q.qname).rstrip(".").lower()
        qtype = QTYPE[request.q.qtype]
        with self.lock:
            self.queries[qtype] += 1
        records = self._records(qname)
        if records is None:
            reply.header.rcode = RCODE.NXDOMAIN
            return reply
        for value in records.get(qtype, []):
            if qtype in _RDATA:
                reply.add_answer(
                    RR(request.q.qname, request.q.qtype, rdata=_RDATA[qtype](value), ttl=300)
                )
        return reply

    def _records(self, qname: str) -> dict[str, list[str]] | None:
        """Exact name first, then the closest `*.parent` wildcard (how Cymru's zone answers)."""
        if qname in self.zone:
            return self.zone[qname]
        labels = qname.split(".")
        for cut in range(1, len(labels)):
            wildcard = "*." + ".".join(labels[cut:])
            if wildcard in self.zone:
                return self.zone[wildcard]
        return None


class DnsServer:
    """The fixture DNS server on 127.0.0.1 and a random UDP port (a context manager)."""

    def __init__(self, zone: Path | dict[str, Any]) -> None:
        self.resolver = _ZoneResolver(load_zone(zone))
        quiet = DNSLogger(log="-request,-reply,-truncated,-error,-recv,-send,-data", prefix=False)
        self._server = DNSServer(self.resolver, address="127.0.0.1", port=0, logger=quiet)
        self.address = f"127.0.0.1:{self._server.server.server_address[1]}"

    @property
    def queries(self) -> Counter[str]:
        return self.resolver.queries

    def __enter__(self) -> DnsServer:
        # A short poll interval keeps shutdown (and so every test using the server) quick.
        serve = self._server.server.serve_forever
        threading.Thread(target=serve, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.server.shutdown()
        self._server.server.server_close()


@contextmanager
def serve_dns(zone: Path | dict[str, Any]) -> Iterator[str]:
    """Run the server for the block; yields its `host:port` for PROBEWATCH_DNS_SERVERS."""
    with DnsServer(zone) as server:
        yield server.address
