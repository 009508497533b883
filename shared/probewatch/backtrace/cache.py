"""Backtrace caches: RDAP answers by the network the registry returned, PTR/Abusix by address.

Any cache (this in-memory per-run layer, or `probewatch.store.cache.DynamoBacktraceCache`)
offers the same methods; the Backtracer always puts a `MemoryCache` in front of the durable one.

An answer is stored under the prefixes of the network the registry returned, never under a
wider or narrower one: a network inside the key range (IPv4 /8../32, IPv6 /16../64) under
itself, anything else (an IPv4 /6, an RIR-wide IPv6 /12, an IPv6 /96, a range that does not
hold the asked address) only under the asked address itself (/32, /128). An IP is looked up
under every prefix that could cover it and the MOST SPECIFIC cached network wins, wherever it
is cached: a broad network in memory never hides a narrower one in DynamoDB, because the
memory layer asks the durable one for every key longer than its own best hit it has not yet
seen (in bulk for many addresses: `prefetch_networks`).

What no cache can know: an address inside a cached network may belong to a narrower
registration nobody has asked about yet. The registry answers for the address it is asked
about; a cached answer is reused for the rest of its network until the entry expires.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from probewatch.backtrace.rdap import RdapNetwork

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
PREFIX_RANGE = {4: (8, 32), 6: (16, 64)}
# The address's own key: where answers outside the range live (only that address reuses them).
EXACT = {4: 32, 6: 128}


class BacktraceCache(Protocol):
    def get_network(self, ip: str) -> RdapNetwork | None: ...

    def put_network(self, network: RdapNetwork, ip: str) -> None: ...

    def get_host(self, ip: str) -> dict[str, Any] | None: ...

    def put_host(self, ip: str, answer: dict[str, Any]) -> None: ...

    def get_networks(self, prefixes: list[Network]) -> dict[Network, RdapNetwork]: ...


def covering_prefixes(ip: str) -> list[Network]:
    """Every cacheable prefix containing `ip`, longest first (25 for IPv4, 50 for IPv6)."""
    address = ipaddress.ip_address(ip)
    shortest, longest = PREFIX_RANGE[address.version]
    lengths = list(range(longest, shortest - 1, -1))
    if EXACT[address.version] != longest:
        lengths.insert(0, EXACT[address.version])
    return [ipaddress.ip_network(f"{address}/{length}", strict=False) for length in lengths]


def _exact_key(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> Network:
    return ipaddress.ip_network(f"{address}/{EXACT[address.version]}")


def storage_prefixes(network: RdapNetwork, ip: str) -> list[Network]:
    """The keys an answer is stored under, so any address inside it finds it again."""
    address = ipaddress.ip_address(ip)
    keys: list[Network] = []
    for net in network.networks():
        shortest, longest = PREFIX_RANGE[net.version]
        if shortest <= net.prefixlen <= longest:
            keys.append(net)
        elif address.version == net.version and address in net:
            # Wider or narrower than any key: a /8 or /64 key would make it answer for
            # addresses the registry did not put in it (or hide a narrower registration).
            keys.append(_exact_key(address))
    if not any(address.version == k.version and address in k for k in keys):
        # The registry echoed a range that does not hold the address (LACNIC 2015 did);
        # store it under the address itself so the next lookup still hits.
        keys.append(_exact_key(address))
    return list(dict.fromkeys(keys))


class MemoryCache:
    """The per-run layer, optionally in front of a durable cache."""

    def __init__(self, backing: BacktraceCache | None = None) -> None:
        self.backing = backing
        self.networks: dict[Network, RdapNetwork] = {}
        self._network_misses: set[Network] = set()  # keys known absent from the backing cache
        self.hosts: dict[str, dict[str, Any]] = {}
        self._host_misses: set[str] = set()  # known absent from the backing cache this run
        self._pending_hosts: dict[str, dict[str, Any]] | None = None

    def get_network(self, ip: str) -> RdapNetwork | None:
        """The most specific cached network holding `ip` (module docstring)."""
        self.prefetch_networks([ip])
        for prefix in covering_prefixes(ip):
            if prefix in self.networks:
                return self.networks[prefix]
        return None

    def prefetch_networks(self, ips: list[str]) -> None:
        """Read, in bulk, every key of these addresses more specific than the best one known."""
        if self.backing is None:
            return
        wanted: dict[Network, None] = {}
        for ip in ips:
            for prefix in covering_prefixes(ip):  # longest first
                if prefix in self.networks:
                    break  # every longer key of this address was read when this one was
                if prefix not in self._network_misses:
                    wanted[prefix] = None
        if not wanted:
            return
        found = self.backing.get_networks(list(wanted))
        for prefix in wanted:
            if prefix in found:
                self.networks[prefix] = found[prefix]
            else:
                self._network_misses.add(prefix)

    def put_network(self, network: RdapNetwork, ip: str, *, durable: bool = True) -> None:
        """Remember an answer; `durable=False` keeps it for this run only (an incomplete one)."""
        self._remember(network, ip)
        if durable and self.backing is not None:
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
            self._network_misses.discard(prefix)
