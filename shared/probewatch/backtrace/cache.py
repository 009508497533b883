"""Backtrace caches: RDAP answers by covering network, PTR/Abusix answers by address.

Any cache (this in-memory per-run layer, or `probewatch.store.cache.DynamoBacktraceCache`)
offers the same four methods; the Backtracer always puts a `MemoryCache` in front of the
durable one so a run asks DynamoDB at most once per network.

An IP is looked up under every prefix that could cover it (IPv4 /8../32, IPv6 /16../64) and
the longest cached one wins; an answer is stored under the prefixes of its network, clamped
to that range (an IPv6 network longer than /64 is stored under its /64).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from probewatch.backtrace.rdap import RdapNetwork

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
PREFIX_RANGE = {4: (8, 32), 6: (16, 64)}
# A network much shorter than the shortest key (a legacy /6, an RIR-wide answer) is stored
# only under the key covering the queried address beyond this many keys.
MAX_STORAGE_KEYS = 16


class BacktraceCache(Protocol):
    def get_network(self, ip: str) -> RdapNetwork | None: ...

    def put_network(self, network: RdapNetwork, ip: str) -> None: ...

    def get_host(self, ip: str) -> dict[str, Any] | None: ...

    def put_host(self, ip: str, answer: dict[str, Any]) -> None: ...


def covering_prefixes(ip: str) -> list[Network]:
    """Every cacheable prefix containing `ip`, longest first (25 for IPv4, 49 for IPv6)."""
    address = ipaddress.ip_address(ip)
    shortest, longest = PREFIX_RANGE[address.version]
    return [
        ipaddress.ip_network(f"{address}/{length}", strict=False)
        for length in range(longest, shortest - 1, -1)
    ]


def storage_prefixes(network: RdapNetwork, ip: str) -> list[Network]:
    """The keys an answer is stored under, so any address inside it finds it again."""
    address = ipaddress.ip_address(ip)
    keys: list[Network] = []
    for net in network.networks():
        shortest, longest = PREFIX_RANGE[net.version]
        if net.prefixlen > longest:
            keys.append(net.supernet(new_prefix=longest))
        elif net.prefixlen < shortest:
            if 2 ** (shortest - net.prefixlen) <= MAX_STORAGE_KEYS:
                keys.extend(net.subnets(new_prefix=shortest))
            elif address.version == net.version and address in net:
                keys.append(ipaddress.ip_network(f"{address}/{shortest}", strict=False))
        else:
            keys.append(net)
    if not any(address.version == k.version and address in k for k in keys):
        # The registry echoed a range that does not hold the address (LACNIC 2015 did);
        # store it under the address itself so the next lookup still hits.
        keys.append(
            ipaddress.ip_network(f"{address}/{PREFIX_RANGE[address.version][1]}", strict=False)
        )
    return list(dict.fromkeys(keys))


class MemoryCache:
    """The per-run layer, optionally in front of a durable cache."""

    def __init__(self, backing: BacktraceCache | None = None) -> None:
        self.backing = backing
        self.networks: dict[Network, RdapNetwork] = {}
        self.hosts: dict[str, dict[str, Any]] = {}
        self._host_misses: set[str] = set()  # known absent from the backing cache this run
        self._pending_hosts: dict[str, dict[str, Any]] | None = None

    def get_network(self, ip: str) -> RdapNetwork | None:
        for prefix in covering_prefixes(ip):
            if prefix in self.networks:
                return self.networks[prefix]
        if self.backing is None:
            return None
        found = self.backing.get_network(ip)
        if found is not None:
            self._remember(found, ip)
        return found

    def put_network(self, network: RdapNetwork, ip: str) -> None:
        self._remember(network, ip)
        if self.backing is not None:
            self.backing.put_network(network, ip)

    def get_host(self, ip: str) -> dict[str, Any] | None:
        if ip in self.hosts:
            return self.hosts[ip]
        if ip in self._host_misses:
            return None
        found = self.backing.get_host(ip) if self.backing is not None else None
        if found is not None:
            self.hosts[ip] = found
        return found

    def put_host(self, ip: str, answer: dict[str, Any]) -> None:
        self.hosts[ip] = answer
        if self._pending_hosts is not None:
            self._pending_hosts[ip] = answer
        elif self.backing is not None:
            self.backing.put_host(ip, answer)

    @contextmanager
    def deferred_host_writes(self) -> Iterator[None]:
        """Collect host answers and write them in bulk at the end of the block."""
        self._pending_hosts = {}
        try:
            yield
        finally:
            pending, self._pending_hosts = self._pending_hosts, None
            bulk = getattr(self.backing, "put_hosts", None)
            if bulk is not None:
                bulk(pending)
            elif self.backing is not None:
                for ip, answer in pending.items():
                    self.backing.put_host(ip, answer)

    def prefetch_hosts(self, ips: list[str]) -> None:
        """Warm the host layer in bulk when the backing cache can (DynamoDB BatchGetItem)."""
        bulk = getattr(self.backing, "get_hosts", None)
        missing = [ip for ip in dict.fromkeys(ips) if ip not in self.hosts]
        if bulk is not None and missing:
            found = bulk(missing)
            self.hosts.update(found)
            self._host_misses.update(ip for ip in missing if ip not in found)

    def _remember(self, network: RdapNetwork, ip: str) -> None:
        for prefix in storage_prefixes(network, ip):
            self.networks[prefix] = network
