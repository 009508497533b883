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
    assert len(v6) == 49 and v6[0].prefixlen == 64 and v6[-1].prefixlen == 16


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


def test_prefixes_outside_the_key_range_are_clamped() -> None:
    long_v6 = storage_prefixes(RdapNetwork(cidrs=["2a00:2381:ffff::/96"]), "2a00:2381:ffff::1")
    assert long_v6 == [ipaddress.ip_network("2a00:2381:ffff::/64")]
    short_v4 = storage_prefixes(RdapNetwork(cidrs=["4.0.0.0/6"]), "5.1.1.1")
    assert [str(n) for n in short_v4] == ["4.0.0.0/8", "5.0.0.0/8", "6.0.0.0/8", "7.0.0.0/8"]
    huge_v6 = storage_prefixes(RdapNetwork(cidrs=["2600::/11"]), "2600:1f18::1")
    assert [str(n) for n in huge_v6] == ["2600::/16"]


def test_a_range_that_misses_the_address_is_still_found_for_that_address() -> None:
    # LACNIC once echoed a different address as start=end; the asked address must still hit.
    keys = storage_prefixes(RdapNetwork(cidrs=["200.57.141.161/32"]), "200.57.141.9")
    assert ipaddress.ip_network("200.57.141.9/32") in keys


class CountingBacking:
    def __init__(self) -> None:
        self.network_reads = 0
        self.stored: list[str] = []

    def get_network(self, ip: str) -> RdapNetwork | None:
        self.network_reads += 1
        return answer("81.2.69.0/24") if ip.startswith("81.2.69.") else None

    def put_network(self, network: RdapNetwork, ip: str) -> None:
        self.stored.append(ip)

    def get_host(self, ip: str) -> dict | None:
        return None

    def put_host(self, ip: str, answer: dict) -> None:
        return None


def test_memory_layer_asks_the_durable_cache_once_per_network() -> None:
    backing = CountingBacking()
    cache = MemoryCache(backing)
    for last in range(1, 51):
        assert cache.get_network(f"81.2.69.{last}") is not None
    assert backing.network_reads == 1


def test_round_trip_through_json_keeps_every_field() -> None:
    original = answer("81.2.69.0/24")
    original.asn, original.rir, original.registrant_names = 64500, "RIPE", ["ISP"]
    assert RdapNetwork.from_dict(original.to_dict()) == original
