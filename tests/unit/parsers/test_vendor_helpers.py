"""The shared pieces of the enterprise-firewall parsers (parsers/vendor_helpers.py)."""

from __future__ import annotations

import pytest

from probewatch.parsers.base import LineRejected
from probewatch.parsers.vendor_helpers import (
    colon_endpoint,
    endpoint,
    rejoin_ipv6,
    split_iface_address,
    structured_data,
    verdict,
)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("Deny", "block"),
        ("reset-both", "block"),
        ("drop-icmp", "block"),
        ("clear_session", "block"),
        ("accept", "allow"),
        ("close", "allow"),
        ("server-rst", "allow"),
        ('"Accept"', "allow"),
        ("alert", "unknown"),
        ("", "unknown"),
        (None, "unknown"),
    ],
)
def test_verdict(word: str | None, expected: str) -> None:
    assert verdict(word) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("outside:203.0.113.9", "203.0.113.9"),
        ("v1:outside:203.0.113.9", "203.0.113.9"),
        ("outside:2001:db8::9", "2001:db8::9"),
        ("v2:inside:fe80::1", "fe80::1"),
        ("2001:db8::9", "2001:db8::9"),
        ("(203.0.113.9)", "203.0.113.9"),
    ],
)
def test_interface_prefixes_are_split_off(text: str, expected: str) -> None:
    assert split_iface_address(text) == expected


def test_cisco_endpoint_with_and_without_port() -> None:
    assert endpoint("dmz:203.0.113.9/6316") == ("203.0.113.9", "6316")
    assert endpoint("inside:198.51.100.3") == ("198.51.100.3", None)


@pytest.mark.parametrize("text", ["outside:203.0.113.300/80", "outside:host.example/80", "x"])
def test_cisco_endpoint_without_a_valid_address_is_rejected(text: str) -> None:
    with pytest.raises(LineRejected) as caught:
        endpoint(text)
    assert caught.value.reason == "bad-address"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("203.0.113.2:4522:X0", ("203.0.113.2", "4522")),
        ("203.0.113.2::X0", ("203.0.113.2", None)),
        ("203.0.113.2", ("203.0.113.2", None)),
        ("203.0.113.2:80", ("203.0.113.2", "80")),
        ("203.0.113.2:80:X1:host.example", ("203.0.113.2", "80")),
        ("[2001:db8::1]:443", ("2001:db8::1", "443")),
        ("2001:db8::1", ("2001:db8::1", None)),
    ],
)
def test_colon_endpoints(text: str, expected: tuple[str, str | None]) -> None:
    assert colon_endpoint(text) == expected


def test_colon_endpoint_rejects_impossible_addresses() -> None:
    with pytest.raises(LineRejected):
        colon_endpoint("203.0.113.256:80:X1")


def test_rejoin_ipv6_only_when_the_split_broke_an_address() -> None:
    assert rejoin_ipv6("2001:db8:", "1") == ("2001:db8::1", None)
    assert rejoin_ipv6("203.0.113.1", "80") == ("203.0.113.1", "80")
    assert rejoin_ipv6("2001:db8::1", None) == ("2001:db8::1", None)


def test_structured_data_both_dresses_and_escapes() -> None:
    junos = '[junos@2636 source-address="203.0.113.1" attack-name="SYN \\"flood\\"!"]'
    assert structured_data(junos) == {
        "source-address": "203.0.113.1",
        "attack-name": 'SYN "flood"!',
    }
    checkpoint = '[action:"Drop"; tag:"x\\]"; src:"203.0.113.5"; action:"Accept"]'
    assert structured_data(checkpoint) == {"action": "Drop", "tag": "x\\]", "src": "203.0.113.5"}
