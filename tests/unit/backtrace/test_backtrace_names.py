"""DNS server settings, reverse names and registrable domains."""

from __future__ import annotations

import pytest

from probewatch.backtrace.abusix import abusix_name
from probewatch.backtrace.dnsclient import parse_servers
from probewatch.backtrace.domains import registrable_domain
from probewatch.backtrace.rdns import reverse_name
from probewatch.errors import ConfigError


def test_dns_servers_setting_accepts_ports_and_ipv6() -> None:
    assert parse_servers("127.0.0.1:5353, 10.0.0.2,[::1]:53") == [
        ("127.0.0.1", 5353),
        ("10.0.0.2", 53),
        ("::1", 53),
    ]
    assert parse_servers("::1") == [("::1", 53)]


@pytest.mark.parametrize("bad", ["", " , ", "127.0.0.1:notaport", "127.0.0.1:70000"])
def test_bad_dns_servers_setting_is_a_config_error(bad: str) -> None:
    with pytest.raises(ConfigError):
        parse_servers(bad)


def test_abusix_names_use_reversed_octets_and_ipv6_nibbles() -> None:
    assert abusix_name("45.155.205.233") == "233.205.155.45.abuse-contacts.abusix.zone"
    nibbles = abusix_name("2a06:4880::1:22")
    assert nibbles.startswith("2.2.0.0.1.0.0.0.") and nibbles.endswith(
        ".8.8.4.6.0.a.2.abuse-contacts.abusix.zone"
    )
    assert len(nibbles.split(".")) == 32 + 3
    assert reverse_name("8.8.4.4") == "4.4.8.8.in-addr.arpa"


@pytest.mark.parametrize(
    ("name", "domain"),
    [
        ("scan-233.flyhost-demo.net", "flyhost-demo.net"),
        ("h7.sakura-test.co.jp", "sakura-test.co.jp"),
        ("host86-1-2-3.range86-1.btcentralplus.com.", "btcentralplus.com"),
        ("ec2-3-3-3-3.compute-1.amazonaws.com", "amazonaws.com"),  # ICANN section only
        ("CPE-1-2.Example-ISP.COM.AU", "example-isp.com.au"),
        ("co.uk", None),
        ("localhost", None),
        ("1.2.3.4", None),
        (None, None),
    ],
)
def test_registrable_domain(name: str | None, domain: str | None) -> None:
    assert registrable_domain(name) == domain
