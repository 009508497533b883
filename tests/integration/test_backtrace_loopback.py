"""The backtrace against loopback DNS and RDAP servers answering the bundled recordings."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from probewatch import cli
from probewatch.backtrace import Backtracer
from probewatch.backtrace.throttle import Limit, Throttle
from probewatch.errors import LookupFailed
from probewatch.local.dns_server import DnsServer
from probewatch.local.rdap_server import RdapFixtures, RdapServer

pytestmark = pytest.mark.network

DEMO = Path(__file__).resolve().parents[2] / "shared" / "probewatch" / "local" / "fixtures"
TESTS = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture
def demo_servers() -> Iterator[tuple[DnsServer, RdapServer]]:
    with DnsServer(DEMO / "dns.json") as dns, RdapServer(DEMO / "rdap") as rdap:
        yield dns, rdap


@pytest.fixture
def test_servers() -> Iterator[tuple[DnsServer, RdapServer]]:
    with DnsServer(TESTS / "dns" / "zone.json") as dns, RdapServer(TESTS / "rdap") as rdap:
        yield dns, rdap


# The mailboxes the demo's recorded answers name, per source: what the demo's reports must use.
DEMO_EXPECTED = {
    "45.155.205.233": ("abuse@flyhost-demo.net", "scan-233.flyhost-demo.net", "RIPE"),
    "185.220.101.34": ("abuse@relaycoop-demo.org", "exit-34.relaycoop-demo.org", "RIPE"),
    "103.145.13.58": ("abuse@skylink-demo.net", None, "APNIC"),
    "193.32.162.71": ("abuse@northgrid-demo.net", None, "RIPE"),  # PTR not forward-confirmed
    "2a06:4880::1:22": ("abuse@cloudlayer-demo.net", "vps22.cloudlayer-demo.net", "RIPE"),
    "23.94.5.131": ("abuse@colostar-demo.com", "23-94-5-131-host.colostar-demo.com", "ARIN"),
    "201.217.50.9": ("abuse@telered-demo.com.ar", None, "LACNIC"),  # RDAP has a placeholder
}


def test_demo_recordings_name_the_expected_mailboxes(
    demo_servers: tuple[DnsServer, RdapServer],
) -> None:
    dns, rdap = demo_servers
    tracer = Backtracer(dns.address, rdap.url)
    for ip, (mailbox, ptr, rir) in DEMO_EXPECTED.items():
        result = tracer.trace(ip)
        assert result.reportable, ip
        assert result.contacts and result.contacts[0].email == mailbox, (ip, result.contacts)
        assert result.ptr == ptr, ip
        assert result.network["rir"] == rir, ip
        assert all("removed@" not in c.email for c in result.contacts)
    assert tracer.trace("201.217.50.9").contacts[0].source == "abusix"
    assert tracer.trace("45.155.205.233").contacts[0].confidence == 0.99  # RDAP and Abusix agree


def test_cold_lookups_hit_the_servers_and_warm_ones_do_not(
    demo_servers: tuple[DnsServer, RdapServer],
) -> None:
    dns, rdap = demo_servers
    tracer = Backtracer(dns.address, rdap.url)
    tracer.trace("45.155.205.233")
    assert rdap.requests["ip"] == 1
    cold_dns = sum(dns.queries.values())
    assert cold_dns >= 3  # PTR, its A, Abusix TXT
    tracer.trace("45.155.205.233")
    tracer.trace("45.155.205.17")  # same /24: answered from the network cache
    assert rdap.requests["ip"] == 1
    assert tracer.requests["rdap_network"] == 1
    assert sum(dns.queries.values()) > cold_dns  # the new address still gets its own PTR


def test_every_query_goes_to_the_configured_servers(
    demo_servers: tuple[DnsServer, RdapServer],
) -> None:
    dns, rdap = demo_servers
    tracer = Backtracer(dns.address, rdap.url)
    tracer.trace("23.94.5.131")
    assert tracer.requests["dns"] == sum(dns.queries.values())
    assert tracer.requests["rdap_network"] == rdap.requests["ip"] == 1
    assert rdap.paths == ["/ip/23.94.5.131"]


def test_entity_without_vcard_is_fetched_from_the_same_server(
    test_servers: tuple[DnsServer, RdapServer],
) -> None:
    dns, rdap = test_servers
    result = Backtracer(dns.address, rdap.url).trace("64.62.130.5")
    assert result.contacts[0].email == "abuse@riverline-test.net"
    assert rdap.paths == ["/ip/64.62.130.5", "/entity/RLTAB-ARIN"]


def test_first_confirmed_ptr_is_used(test_servers: tuple[DnsServer, RdapServer]) -> None:
    dns, rdap = test_servers
    result = Backtracer(dns.address, rdap.url).trace("210.148.3.7")
    assert (result.ptr, result.domain) == ("h7.sakura-test.co.jp", "sakura-test.co.jp")
    assert [c.email for c in result.contacts][:2] == [
        "abuse@sakura-test.jp",
        "abuse@sakura-test.co.jp",
    ]
    assert result.contacts[-1].email == "hostmaster@nic.ad.jp"


def test_failing_registry_leaves_the_lookup_failed_and_recovers(
    demo_servers: tuple[DnsServer, RdapServer],
) -> None:
    dns, rdap = demo_servers

    class Clock:
        now = 0.0
        sleeps: list[float] = []

        def monotonic(self) -> float:
            return self.now

        def sleep(self, seconds: float) -> None:
            self.sleeps.append(seconds)
            self.now += seconds

    clock = Clock()
    throttle = Throttle(
        clock=clock,
        limits={"custom": Limit(100, 100)},
        attempts=2,
        breaker_threshold=4,
        breaker_cooldown=30,
    )
    tracer = Backtracer(dns.address, rdap.url, throttle=throttle)
    rdap.fail_next(4, status=503)
    for ip in ("45.155.205.1", "45.155.205.2"):
        with pytest.raises(LookupFailed):
            tracer.trace(ip)
    with pytest.raises(LookupFailed, match="circuit open"):
        tracer.trace("45.155.205.3")
    assert rdap.requests["failed"] == 4 and rdap.requests["ip"] == 0
    clock.now += 31
    assert tracer.trace("45.155.205.3").contacts[0].email == "abuse@flyhost-demo.net"


def test_unreachable_dns_fails_the_lookup_unless_rdap_named_a_mailbox(
    demo_servers: tuple[DnsServer, RdapServer],
) -> None:
    _dns, rdap = demo_servers
    dead_dns = "127.0.0.1:9"
    tracer = Backtracer(dead_dns, rdap.url, dns_timeout=0.1)
    assert tracer.trace("185.220.101.34").contacts[0].email == "abuse@relaycoop-demo.org"
    with pytest.raises(LookupFailed):
        tracer.trace("201.217.50.9")  # RDAP names only a placeholder: Abusix is needed


def test_cli_prints_one_json_object_per_ip(
    demo_servers: tuple[DnsServer, RdapServer],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dns, rdap = demo_servers
    monkeypatch.setenv("PROBEWATCH_DNS_SERVERS", dns.address)
    monkeypatch.setenv("PROBEWATCH_RDAP_URL", rdap.url)
    assert cli.main(["backtrace", "--json", "45.155.205.233", "10.0.0.1", "2a06:4880::1:22"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["ip"] for line in lines] == ["45.155.205.233", "10.0.0.1", "2a06:4880::1:22"]
    first, private, v6 = lines
    assert {"ip", "reportable", "reason", "ptr", "domain", "network", "contacts"} <= set(first)
    assert first["network"]["cidr"] == "45.155.205.0/24" and first["network"]["asn"] == 64501
    assert {"cidr", "name", "rir", "asn"} <= set(first["network"])
    assert first["contacts"][0] == {
        "email": "abuse@flyhost-demo.net",
        "source": "rdap",
        "confidence": 0.99,
    }
    assert private == {**private, "reportable": False, "reason": "private", "contacts": []}
    assert v6["ptr"] == "vps22.cloudlayer-demo.net" and v6["network"]["cidr"] == "2a06:4880::/32"
    assert rdap.requests["ip"] == 2  # nothing was asked about the private address


def test_cli_reports_a_failed_lookup_with_status_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with RdapServer(RdapFixtures()) as rdap, DnsServer({"records": {}}) as dns:
        rdap.fail_next(50, status=503)
        monkeypatch.setenv("PROBEWATCH_DNS_SERVERS", dns.address)
        monkeypatch.setattr("probewatch.backtrace.throttle.SystemClock.sleep", lambda self, s: None)
        status = cli.main(["backtrace", "--json", "--rdap-url", rdap.url, "81.2.69.10"])
    record = json.loads(capsys.readouterr().out)
    assert (
        status == 1
        and record["ip"] == "81.2.69.10"
        and record["contacts"] == []
        and "503" in record["error"]
    )


def test_cli_rejects_a_malformed_dns_servers_setting(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["backtrace", "--dns-servers", "127.0.0.1:notaport", "8.8.8.8"]) == 2
    assert "PROBEWATCH_DNS_SERVERS" in capsys.readouterr().err
