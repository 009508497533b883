"""What the backtrace costs the registries: RDAP requests for N source IPs over M networks.

`measure_cache_cost()` serves synthetic RIPE-style answers on the loopback RDAP/DNS fixture
servers, runs a cold backtrace, a warm one in the same run (in-memory cache) and a warm one
in a new run against the DynamoDB cache (moto, in-process), and returns the request counts.
Used by `make bench` and tests/integration/test_backtrace_scale.py (local stack only).
"""

from __future__ import annotations

import random
import time
from typing import Any


def synthetic_network(index: int) -> dict[str, Any]:
    """A RIPE-style answer for 81.<10+index>.16.0/20 whose abuse-c marks its abuse mailbox."""
    start, end = f"81.{10 + index}.16.0", f"81.{10 + index}.31.255"
    return {
        "objectClassName": "ip network",
        "handle": f"{start} - {end}",
        "startAddress": start,
        "endAddress": end,
        "ipVersion": "v4",
        "name": f"SCALE-NET-{index}",
        "port43": "whois.ripe.net",
        "entities": [
            {
                "objectClassName": "entity",
                "handle": f"AB{index}-RIPE",
                "roles": ["abuse"],
                "vcardArray": [
                    "vcard",
                    [
                        ["version", {}, "text", "4.0"],
                        ["email", {"type": "abuse"}, "text", synthetic_mailbox(index)],
                    ],
                ],
            }
        ],
    }


def synthetic_mailbox(index: int) -> str:
    return f"abuse@isp{index}-scale.net"


def synthetic_ips(networks: int, count: int, seed: int = 5) -> list[str]:
    """`count` addresses spread round-robin over the synthetic networks."""
    rng = random.Random(seed)
    return [
        f"81.{10 + n % networks}.{rng.randint(16, 31)}.{rng.randint(1, 254)}" for n in range(count)
    ]


def measure_cache_cost(networks: int = 50, ips: int = 1000) -> dict[str, Any]:
    """Cold / warm RDAP network request counts and timings (see module docstring)."""
    import os

    import moto

    from probewatch.backtrace.tracer import Backtracer
    from probewatch.local.dns_server import DnsServer
    from probewatch.local.rdap_server import RdapFixtures, RdapServer
    from probewatch.local.resources import create_stack
    from probewatch.store.cache import DynamoBacktraceCache
    from probewatch.store.table import dynamodb_table

    addresses = synthetic_ips(networks, ips)
    fixtures = RdapFixtures(synthetic_network(i) for i in range(networks))
    fake_aws = {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
    }
    saved = {name: os.environ.get(name) for name in [*fake_aws, "AWS_ENDPOINT_URL"]}
    os.environ.update(fake_aws)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    try:
        with moto.mock_aws(), DnsServer({"records": {}}) as dns, RdapServer(fixtures) as rdap:
            dynamodb_table.cache_clear()  # a handle from outside the mock would reach real AWS
            table = create_stack().table_name
            out: dict[str, Any] = {"ips": ips, "networks": networks}
            tracer = Backtracer(dns.address, rdap.url, cache=DynamoBacktraceCache(table))
            for phase, make_new in (
                ("cold", False),
                ("warm_memory", False),
                ("warm_dynamodb", True),
            ):
                if make_new:
                    tracer = Backtracer(dns.address, rdap.url, cache=DynamoBacktraceCache(table))
                before = rdap.requests["ip"]
                started = time.perf_counter()
                tracer.trace_many(addresses)
                out[f"{phase}_rdap_network_requests"] = rdap.requests["ip"] - before
                out[f"{phase}_seconds"] = round(time.perf_counter() - started, 2)
            return out
    finally:
        dynamodb_table.cache_clear()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
