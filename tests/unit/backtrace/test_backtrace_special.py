"""Special-purpose, reserved and bogon addresses are never reportable (checked before lookups)."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from probewatch.backtrace import Backtracer, reportable_reason
from probewatch.backtrace.special import normalise_ip, special_networks

# The IANA special-purpose registries as the standard library knows them, plus our own table.
STDLIB_SPECIAL = [
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "::1/128",
    "::/128",
    "64:ff9b:1::/48",
    "100::/64",
    "2001::/23",
    "2001:db8::/32",
    "2002::/16",
    "fc00::/7",
    "fe80::/10",
    "ff00::/8",
]
ALL_SPECIAL = sorted({str(net) for net, _reason in special_networks()} | set(STDLIB_SPECIAL))


@st.composite
def special_address(draw: st.DrawFn) -> str:
    network = ipaddress.ip_network(draw(st.sampled_from(ALL_SPECIAL)))
    offset = draw(st.integers(min_value=0, max_value=network.num_addresses - 1))
    return str(network[offset])


@settings(max_examples=400, deadline=None)
@given(special_address())
def test_no_special_purpose_address_is_ever_reportable(ip: str) -> None:
    assert reportable_reason(ip) is not None


@settings(max_examples=200, deadline=None)
@given(special_address())
def test_ipv4_mapped_forms_are_judged_by_their_ipv4_address(ip: str) -> None:
    if ":" in ip:
        return
    assert reportable_reason(f"::ffff:{ip}") is not None


@settings(max_examples=200, deadline=None)
@given(st.ip_addresses(v=4))
def test_ipv4_verdict_agrees_with_the_standard_library_on_global_addresses(
    address: ipaddress.IPv4Address,
) -> None:
    # Whatever Python's registry calls non-global must never be reportable for us either.
    if not address.is_global:
        assert reportable_reason(str(address)) is not None


@pytest.mark.parametrize(
    ("ip", "reason"),
    [
        ("10.1.2.3", "private"),
        ("192.168.1.1", "private"),
        ("100.64.0.1", "cgnat"),
        ("127.0.0.1", "loopback"),
        ("169.254.10.10", "link-local"),
        ("192.0.2.55", "documentation"),
        ("198.19.255.1", "benchmark"),
        ("224.0.0.251", "multicast"),
        ("250.1.2.3", "reserved"),
        ("255.255.255.255", "broadcast"),
        ("0.1.2.3", "this-network"),
        ("2001:db8::1", "documentation"),
        ("2002:c000:0204::1", "6to4"),
        ("2001:0:4136:e378::1", "teredo"),
        ("fd12:3456::1", "private"),
        ("fe80::1", "link-local"),
        ("ff02::1", "multicast"),
        ("3000::1", "unallocated"),
        ("4000::1", "reserved"),
        ("::ffff:10.0.0.1", "private"),
        ("not-an-ip", "invalid-address"),
        ("", "invalid-address"),
    ],
)
def test_reasons_name_the_range(ip: str, reason: str) -> None:
    assert reportable_reason(ip) == reason


@pytest.mark.parametrize(
    "ip",
    [
        "45.155.205.233",
        "8.8.8.8",
        "2a06:4880::1:22",
        "2c0f:f248::1",
        "2001:4860::8888",
        "::ffff:8.8.8.8",
    ],
)
def test_public_allocated_addresses_are_reportable(ip: str) -> None:
    assert reportable_reason(ip) is None


def test_ipv4_mapped_addresses_normalise_to_ipv4() -> None:
    assert normalise_ip(" ::ffff:45.155.205.233 ") == "45.155.205.233"
    assert normalise_ip("[2A06:4880::1:22]") == "2a06:4880::1:22"


def test_special_addresses_are_answered_without_any_lookup() -> None:
    # Sockets are disabled in unit tests: any DNS or RDAP attempt would raise.
    tracer = Backtracer(dns_servers="127.0.0.1:9", rdap_url="http://127.0.0.1:9")
    result = tracer.trace("192.168.0.10")
    assert (result.reportable, result.reason, result.contacts) == (False, "private", [])
    assert tracer.requests == {"rdap_network": 0, "rdap_entity": 0, "dns": 0}
