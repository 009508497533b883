"""Backtrace cost: 1,000 source IPs spread over 50 networks, through `Backtracer.trace(ip)`
(what the aggregate run calls per final incident) with the DynamoDB backtrace cache on moto.
RDAP and DNS are the loopback fixture servers (`probewatch.local.rdap_server`,
`probewatch.local.dns_server`) answering generated recordings: one RIPE-style network with an
abuse-c mailbox per network, and per IP a PTR whose name resolves back to it (forward
confirmed) plus the Cymru origin-ASN answer for its network. The servers count what reaches
them. Three passes: cold (empty caches), warm in the same run (in-memory cache), and warm in a
new run (a new Lambda container: only the DynamoDB cache is left)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws import backtrace_fixtures, distinct_sources, moto_stack
from common import Figure

NETWORKS = 50
IPS = 1000
COMMAND = "python tests/bench/run.py --only bench_backtrace"


def zone(ips: list[str]) -> dict[str, Any]:
    records: dict[str, Any] = {}
    for ip in ips:
        name = "host-" + ip.replace(".", "-") + f".isp{int(ip.split('.')[1]) - 10}-scale.net"
        records[ip] = {"PTR": [name]}
        records[name] = {"A": [ip]}
    for index in range(NETWORKS):
        records[f"*.{10 + index}.81.origin.asn.cymru.com"] = {
            "TXT": [f"{64600 + index} | 81.{10 + index}.16.0/20 | NL | ripencc | 2020-01-01"]}
    return {"records": records}


def run(workdir: Path) -> list[Figure]:
    from probewatch.backtrace import Backtracer
    from probewatch.store.cache import DynamoBacktraceCache

    ips = distinct_sources(IPS, NETWORKS)
    counts: dict[str, dict[str, int]] = {}
    with backtrace_fixtures(NETWORKS, zone(ips)) as (env, dns, rdap), \
            moto_stack(env) as (stack, counter):
        tracer = Backtracer(dns.address, rdap.url, cache=DynamoBacktraceCache(stack.table_name))
        fresh = Backtracer(dns.address, rdap.url, cache=DynamoBacktraceCache(stack.table_name))
        for phase, chosen in (("cold", tracer), ("warm, same run", tracer),
                              ("warm, new run", fresh)):
            rdap_before = dict(rdap.requests)
            dns_before = sum(dns.queries.values())
            with counter.phase() as tally:
                contacts = sum(1 for ip in ips if chosen.trace(ip).contacts)
            counts[phase] = {
                "rdap_ip": rdap.requests["ip"] - rdap_before.get("ip", 0),
                "rdap_entity": rdap.requests["entity"] - rdap_before.get("entity", 0),
                "dns": sum(dns.queries.values()) - dns_before,
                "dynamodb": tally.dynamodb(),
                "contacts": contacts,
            }
    cold, warm, new = counts["cold"], counts["warm, same run"], counts["warm, new run"]
    figures = [
        Figure(f"cold: RDAP network requests ({IPS} IPs, {NETWORKS} networks)",
               f"{cold['rdap_ip']} (+{cold['rdap_entity']} entity)", f"<= {NETWORKS}",
               cold["rdap_ip"] <= NETWORKS, COMMAND),
        Figure("cold: DNS queries per IP", f"{cold['dns'] / IPS:.2f} ({cold['dns']} queries: "
               "PTR, forward A, Abusix TXT, origin ASN)", "", None, COMMAND),
        Figure("warm, same run: RDAP network requests", str(warm["rdap_ip"]), "0",
               warm["rdap_ip"] == 0, COMMAND),
        Figure("warm, same run: DNS queries per IP", f"{warm['dns'] / IPS:.2f}", "", None, COMMAND),
        Figure("warm, new run (DynamoDB cache): RDAP network requests", str(new["rdap_ip"]), "0",
               new["rdap_ip"] == 0, COMMAND),
        Figure("warm, new run: DNS queries per IP", f"{new['dns'] / IPS:.2f}", "", None, COMMAND),
        Figure("DynamoDB requests: cold / warm new run",
               f"{cold['dynamodb']} / {new['dynamodb']}", "", None, COMMAND),
        Figure("IPs with an abuse contact (every pass)",
               " / ".join(str(c["contacts"]) for c in counts.values()), f"{IPS} each",
               all(c["contacts"] == IPS for c in counts.values()), COMMAND),
    ]
    return figures
