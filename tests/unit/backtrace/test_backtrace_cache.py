"""The per-network cache: any address inside a cached CIDR finds the answer again."""

from __future__ import annotations

import ipaddress

from probewatch.backtrace.cache import MemoryCache, covering_prefixes, storage_prefixes
from probewatch.backtrace.rdap import AbuseCandidate, RdapNetwork


def answer(*cidrs: str) -> RdapNetwork:
    return RdapNetwork(
        cidrs=list(cidrs), name="NET", abuse=[AbuseCandidate("abuse@isp.net", "AB", True)]
    )


def test_lookup_keys_cover_every_prefix_length_from_longest_to_shortest() -> None:
    v4 = covering_prefixes("45.155.205.233")
    assert len(v4) == 25 and str(v4[0]) == "45.155.205.233/32" and str(v4[-1]) == "45.0.0.0/8"
    v6 = covering_prefixes("2a06:4880::1:22")
    assert len(v6) == 50 and v6[0].prefixlen == 128 and v6[1].prefixlen == 64
    assert v6[-1].prefixlen == 16


def test_one_cached_answer_serves_every_address_in_its_network() -> None:
    cache = MemoryCache()
    cache.put_network(answer("45.155.205.0/24"), "45.155.205.233")
    for ip in ("45.155.205.0", "45.155.205.1", "45.155.205.255"):
        assert cache.get_network(ip) is not None
    assert cache.get_network("45.155.206.1") is None


def test_longest_cached_prefix_wins() -> None:
    cache = MemoryCache()
    cache.put_network(answer("23.94.0.0/15"), "23.94.1.1")
    cache.put_network(RdapNetwork(cidrs=["23.94.5.0/24"], name="CUSTOMER"), "23.94.5.9")
    assert cache.get_network("23.94.5.131").name == "CUSTOMER"  # type: ignore[union-attr]
    assert cache.get_network("23.95.0.1").name == "NET"  # type: ignore[union-attr]


def test_non_aligned_networks_are_stored_under_each_of_their_prefixes() -> None:
    cache = MemoryCache()
    cache.put_network(
        answer("196.11.239.0/24", "196.11.240.0/22", "196.11.244.0/23"), "196.11.240.215"
    )
    assert cache.get_network("196.11.239.5") is not None
    assert cache.get_network("196.11.245.5") is not None


def test_networks_outside_the_key_range_serve_only_the_asked_address() -> None:
    # Clamping a /96 up to its /64, or a /6 down to /8 keys, made one registration answer for
    # addresses the registry never put in it.
    long_v6 = storage_prefixes(RdapNetwork(cidrs=["2a00:2381:ffff::/96"]), "2a00:2381:ffff::1")
    assert long_v6 == [ipaddress.ip_network("2a00:2381:ffff::1/128")]
    short_v4 = storage_prefixes(RdapNetwork(cidrs=["4.0.0.0/6"]), "5.1.1.1")
    assert [str(n) for n in short_v4] == ["5.1.1.1/32"]
    huge_v6 = storage_prefixes(RdapNetwork(cidrs=["2600::/11"]), "2600:1f18::1")
    assert [str(n) for n in huge_v6] == ["2600:1f18::1/128"]
    cache = MemoryCache()
    cache.put_network(RdapNetwork(cidrs=["4.0.0.0/6"], name="LEGACY"), "5.1.1.1")
    assert cache.get_network("5.1.1.1").name == "LEGACY"  # type: ignore[union-attr]
    assert cache.get_network("5.1.1.2") is None  # asks the registry, which may know better


def test_a_range_that_misses_the_address_is_still_found_for_that_address() -> None:
    # LACNIC once echoed a different address as start=end; the asked address must still hit.
    keys = storage_prefixes(RdapNetwork(cidrs=["200.57.141.161/32"]), "200.57.141.9")
    assert ipaddress.ip_network("200.57.141.9/32") in keys


class CountingBacking:
    """A durable cache holding given networks under their keys; counts reads."""

    def __init__(self, *networks: RdapNetwork) -> None:
        self.network_reads = 0
        self.stored: list[str] = []
        self.items = {ipaddress.ip_network(c): n for n in networks for c in n.cidrs}

    def get_network(self, ip: str) -> RdapNetwork | None:
        found = self.get_networks(covering_prefixes(ip))
        return next(iter(found.values()), None)

    def get_networks(self, prefixes: list) -> dict:
        self.network_reads += 1
        return {p: self.items[p] for p in prefixes if p in self.items}

    def put_network(self, network: RdapNetwork, ip: str) -> None:
        self.stored.append(ip)

    def get_host(self, ip: str) -> dict | None:
        return None

    def put_host(self, ip: str, answer: dict) -> None:
        return None


def test_memory_layer_reads_many_addresses_in_one_bulk_read() -> None:
    backing = CountingBacking(answer("81.2.69.0/24"))
    cache = MemoryCache(backing)
    ips = [f"81.2.69.{last}" for last in range(1, 51)]
    cache.prefetch_networks(ips)
    reads = backing.network_reads
    assert reads <= 3  # ~8 distinct keys per address, 100 keys per read
    for ip in ips:
        assert cache.get_network(ip) is not None
    assert backing.network_reads == reads  # everything after the prefetch came from memory
    assert cache.get_network("81.2.69.7") is not None and backing.network_reads == reads


def test_a_broad_network_in_memory_never_hides_a_narrower_one_in_the_durable_cache() -> None:
    # Another run cached the customer's /24; this run has so far only seen the ISP's /15.
    backing = CountingBacking(RdapNetwork(cidrs=["23.94.5.0/24"], name="CUSTOMER"))
    cache = MemoryCache(backing)
    cache.put_network(answer("23.94.0.0/15"), "23.94.1.1")
    assert cache.get_network("23.94.5.131").name == "CUSTOMER"  # type: ignore[union-attr]
    assert cache.get_network("23.94.1.2").name == "NET"  # type: ignore[union-attr]


def test_an_incomplete_answer_stays_in_this_run() -> None:
    backing = CountingBacking()
    cache = MemoryCache(backing)
    cache.put_network(answer("81.2.69.0/24"), "81.2.69.1", durable=False)
    assert backing.stored == [] and cache.get_network("81.2.69.9") is not None


def test_round_trip_through_json_keeps_every_field() -> None:
    original = answer("81.2.69.0/24")
    original.asn, original.rir, original.registrant_names = 64500, "RIPE", ["ISP"]
    assert RdapNetwork.from_dict(original.to_dict()) == original
