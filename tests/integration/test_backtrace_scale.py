"""Cost: 1,000 source IPs over 50 networks cost at most 50 RDAP network requests cold, none warm."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from probewatch.backtrace import Backtracer
from probewatch.backtrace.cache import MemoryCache
from probewatch.local.backtrace_bench import (
    measure_cache_cost,
    synthetic_ips,
    synthetic_mailbox,
    synthetic_network,
)
from probewatch.local.dns_server import DnsServer
from probewatch.local.rdap_server import RdapFixtures, RdapServer
from probewatch.store.cache import DynamoBacktraceCache

pytestmark = pytest.mark.network

NETWORKS = 50
IPS = 1000


def source_ips() -> list[str]:
    return synthetic_ips(NETWORKS, IPS)


@pytest.fixture
def servers() -> Iterator[tuple[DnsServer, RdapServer]]:
    fixtures = RdapFixtures(synthetic_network(i) for i in range(NETWORKS))
    with DnsServer({"records": {}}) as dns, RdapServer(fixtures) as rdap:
        yield dns, rdap


def run(tracer: Backtracer, ips: list[str]) -> None:
    for ip, result in tracer.trace_many(ips).items():
        assert not isinstance(result, Exception), (ip, result)
        assert result.contacts[0].email == synthetic_mailbox(int(ip.split(".")[1]) - 10)


def test_cold_run_then_warm_runs_from_memory_and_from_dynamodb(
    aws_stack: Any, servers: tuple[DnsServer, RdapServer]
) -> None:
    dns, rdap = servers
    ips = source_ips()
    cold_tracer = Backtracer(
        dns.address, rdap.url, cache=DynamoBacktraceCache(aws_stack.table_name)
    )
    run(cold_tracer, ips)
    cold_rdap, cold_dns = rdap.requests["ip"], sum(dns.queries.values())
    assert cold_rdap <= NETWORKS

    # Warm within the same run: the in-memory layer answers everything.
    run(cold_tracer, ips)
    assert (rdap.requests["ip"], sum(dns.queries.values())) == (cold_rdap, cold_dns)

    # A new run (a new Lambda invocation): empty memory, the DynamoDB cache is all it has.
    durable = DynamoBacktraceCache(aws_stack.table_name)
    warm_tracer = Backtracer(dns.address, rdap.url, cache=durable)
    run(warm_tracer, ips)
    assert rdap.requests["ip"] == cold_rdap  # warm: no RDAP request at all
    assert sum(dns.queries.values()) == cold_dns  # PTR/Abusix answers came from the cache too
    # The network prefetch reads, for every address, each key more specific than its network
    # (/21../32 here, ~12 keys, about 10,000 distinct, 100 per BatchGetItem), so a narrower
    # registration another run cached always wins over the /20; plus the host prefetch.
    assert durable.batch_gets <= IPS // 10 + IPS // 100 + 5
    print(
        f"{IPS} IPs over {NETWORKS} networks: cold {cold_rdap} RDAP network requests, "
        f"warm (memory) 0, warm (DynamoDB) {rdap.requests['ip'] - cold_rdap}; "
        f"warm BatchGetItem calls {durable.batch_gets}"
    )


def test_dynamodb_hit_across_a_cidr_and_expiry(
    aws_stack: Any, servers: tuple[DnsServer, RdapServer]
) -> None:
    from datetime import timedelta

    from probewatch.clock import frozen, utcnow

    _dns, rdap = servers
    cache = DynamoBacktraceCache(aws_stack.table_name)
    network = Backtracer(rdap_url=rdap.url).rdap.lookup("81.10.20.5")
    assert network is not None
    cache.put_network(network, "81.10.20.5")
    assert cache.get_network("81.10.31.254").name == "SCALE-NET-0"  # type: ignore[union-attr]
    assert cache.get_network("81.10.32.1") is None
    assert MemoryCache(cache).get_network("81.10.16.0") is not None
    with frozen(utcnow() + timedelta(days=8)):
        assert cache.get_network("81.10.20.5") is None  # past its TTL: a miss even before deletion


def test_bench_measurement_reports_the_same_counts() -> None:
    numbers = measure_cache_cost(networks=5, ips=50)
    assert numbers["cold_rdap_network_requests"] == 5
    assert numbers["warm_memory_rdap_network_requests"] == 0
    assert numbers["warm_dynamodb_rdap_network_requests"] == 0
