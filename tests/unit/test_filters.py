"""Every false-positive rule: a case it must drop, and a near miss it must keep."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from probewatch.filters import (
    BACKTRACE_RULES,
    EVENT_RULES,
    REASONS,
    SourceFacts,
    apply_rules,
    first_reason,
    source_facts,
)
from probewatch.model import ProbeEvent, Reporter

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # hours after the declared self-scan
ALICE = Reporter(
    email="alice@example.org",
    public_ips=["24.60.11.22"],
    resolvers=["75.75.75.75"],
    isp_networks=["68.80.0.0/13"],
    isp_asns=[7922],
    irc_servers=["94.125.182.252", "irc.libera.chat"],
    self_scans=["2026-11-25T09:00:00Z", "not a time"],
)
# Bob declared nothing; his alerts showed probes addressed to 89.160.20.0/24 and 2a02:c7c:1::/48.
BOB = Reporter(email="bob@example.net", observed_sites=["89.160.20.0/24", "2a02:c7c:1::/48"])
PAULA = Reporter(email="paula@example.org", status="paused")
REPORTERS = {r.email: r for r in (ALICE, BOB, PAULA)}
SCANNER = "81.2.69.142"  # an ordinary public address


def event(**overrides: Any) -> ProbeEvent:
    base = ProbeEvent(
        time=T0,
        src_ip=SCANNER,
        src_port=40000,
        dst_ip="24.60.11.22",
        dst_port=22,
        proto="TCP",
        action="block",
        format="netfilter",
        raw="raw line",
        tcp_flags="SYN",
        reporter="alice@example.org",
    )
    return replace(base, **overrides)


# (rule code expected or None, event overrides, source facts overrides, why)
EVENT_CASES: list[tuple[str | None, dict[str, Any], dict[str, Any], str]] = [
    ("special-purpose-source", {"src_ip": "10.1.2.3"}, {}, "RFC 1918"),
    ("special-purpose-source", {"src_ip": "100.64.7.1"}, {}, "CGNAT"),
    ("special-purpose-source", {"src_ip": "192.0.2.5"}, {}, "documentation"),
    ("special-purpose-source", {"src_ip": "198.18.0.1"}, {}, "benchmark"),
    ("special-purpose-source", {"src_ip": "224.0.0.251"}, {}, "multicast"),
    ("special-purpose-source", {"src_ip": "169.254.1.1"}, {}, "link-local"),
    ("special-purpose-source", {"src_ip": "2001:db8::1"}, {}, "IPv6 documentation"),
    ("special-purpose-source", {"src_ip": "fe80::1"}, {}, "IPv6 link-local"),
    ("special-purpose-source", {"src_ip": "not-an-ip"}, {}, "garbage"),
    (None, {"src_ip": "11.1.2.3"}, {}, "near miss: public, next to 10/8"),
    (None, {"src_ip": "100.128.0.1"}, {}, "near miss: just past 100.64/10"),
    ("reporter-inactive", {"reporter": "paula@example.org"}, {}, "a paused reporter"),
    ("reporter-inactive", {"reporter": "nobody@example.org"}, {}, "no such reporter (removed)"),
    ("reporter-inactive", {"reporter": None}, {}, "no reporter at all"),
    ("allowed-connection", {"action": "allow"}, {}, "the firewall let it in"),
    ("no-verdict", {"action": "unknown", "evidence": "no-verdict"}, {}, "a NAT mapping line"),
    (None, {"action": "unknown", "evidence": "ids"}, {}, "near miss: IDS alert, not stopped"),
    ("outbound", {"direction": "out"}, {}, "the reporter's own host sent it"),
    (None, {"direction": "in"}, {}, "near miss: inbound"),
    (None, {"direction": "forward"}, {}, "near miss: routed through, from outside"),
    (None, {"action": "block"}, {}, "near miss: blocked"),
    ("own-network", {"src_ip": "24.60.11.99"}, {}, "the reporter's own /24"),
    (None, {"src_ip": "24.60.12.99"}, {}, "near miss: next /24"),
    (
        "own-network",
        {"src_ip": "89.160.20.160", "reporter": "bob@example.net"},
        {},
        "learned from where the reporter's alerts were addressed",
    ),
    (
        "own-network",
        {"src_ip": "2a02:c7c:1:9::5", "reporter": "bob@example.net", "dst_ip": "2a02:c7c:1::1"},
        {},
        "learned IPv6 /48",
    ),
    (
        None,
        {"src_ip": "89.160.21.160", "reporter": "bob@example.net"},
        {},
        "near miss: next to a learned /24",
    ),
    (
        "isp-resolver",
        {
            "src_ip": "75.75.75.75",
            "proto": "UDP",
            "src_port": 53,
            "dst_port": 33000,
            "tcp_flags": None,
        },
        {},
        "declared resolver",
    ),
    (None, {"src_ip": "75.75.75.76"}, {}, "near miss: neighbour of the resolver, a SYN"),
    ("isp-network", {"src_ip": "68.81.1.1"}, {}, "declared ISP network"),
    (None, {"src_ip": "68.88.1.1"}, {}, "near miss: just outside 68.80.0.0/13"),
    ("isp-dhcp", {"proto": "UDP", "src_port": 67, "dst_port": 68, "tcp_flags": None}, {}, "DHCP"),
    (
        None,
        {"proto": "UDP", "src_port": 5000, "dst_port": 69, "tcp_flags": None},
        {},
        "near miss: TFTP is not DHCP",
    ),
    ("irc-proxy-check", {"src_ip": "94.125.182.252", "dst_port": 1080}, {}, "declared IRC server"),
    (None, {"src_ip": "94.125.182.253", "dst_port": 1080}, {}, "near miss: not the server"),
    (
        "lb-proximity-probe",
        {
            "src_ip": "104.16.1.1",
            "proto": "ICMP",
            "src_port": None,
            "dst_port": None,
            "tcp_flags": None,
        },
        {},
        "CDN ping",
    ),
    (
        "lb-proximity-probe",
        {"src_ip": "151.101.1.1", "proto": "UDP", "dst_port": 53, "tcp_flags": None},
        {},
        "CDN DNS probe",
    ),
    (
        "lb-proximity-probe",
        {"src_ip": "23.192.1.1", "tcp_flags": "ACK", "dst_port": 80},
        {},
        "GSLB bare ACK",
    ),
    (None, {"src_ip": "104.16.1.1", "dst_port": 22}, {}, "near miss: a SYN to ssh from a CDN"),
    ("requested-scan", {"src_ip": "4.79.142.200", "dst_port": 139}, {}, "ShieldsUP"),
    (None, {"src_ip": "4.79.142.208", "dst_port": 139}, {}, "near miss: past the /28"),
    ("self-scan", {"time": datetime(2026, 11, 25, 9, 59, tzinfo=UTC)}, {}, "declared self-scan"),
    (None, {"time": datetime(2026, 11, 25, 10, 0, 1, tzinfo=UTC)}, {}, "near miss: 1h01 later"),
    (
        None,
        {"reporter": "bob@example.net", "time": datetime(2026, 11, 25, 9, 30, tzinfo=UTC)},
        {},
        "near miss: another reporter's events during alice's self-scan",
    ),
    ("p2p", {"dst_port": 6881}, {}, "BitTorrent"),
    ("p2p", {"src_port": 51413, "dst_port": 2222}, {}, "Transmission, from the peer's port"),
    ("p2p", {"proto": "UDP", "dst_port": 4672, "tcp_flags": None}, {}, "eDonkey"),
    ("p2p", {"dst_port": 6346}, {}, "Gnutella"),
    ("p2p", {"dst_port": 1214}, {}, "Kazaa"),
    (None, {"dst_port": 6890}, {}, "near miss: past the BitTorrent range"),
    ("game", {"proto": "UDP", "dst_port": 27015, "tcp_flags": None}, {}, "Steam"),
    (
        "game",
        {"proto": "UDP", "src_port": 3074, "dst_port": 1500, "tcp_flags": None},
        {},
        "Xbox Live, from the game's port",
    ),
    ("game", {"proto": "UDP", "dst_port": 3479, "tcp_flags": None}, {}, "PlayStation"),
    ("game", {"dst_port": 25565}, {}, "Minecraft"),
    ("game", {"dst_port": 666}, {}, "Doom"),
    (None, {"dst_port": 27051}, {}, "near miss: past the Steam range"),
    ("wrong-number", {"tcp_flags": "ACK RST"}, {}, "stray RST"),
    ("wrong-number", {"tcp_flags": "FIN ACK"}, {}, "stray FIN"),
    ("wrong-number", {"tcp_flags": "SYN ACK"}, {}, "SYN-ACK answers someone else's SYN"),
    (None, {"tcp_flags": "SYN"}, {}, "near miss: a lone SYN opens a connection"),
    (
        "wrong-number",
        {"proto": "UDP", "src_port": 53, "dst_port": 3000, "tcp_flags": None},
        {},
        "late DNS answer",
    ),
    (
        "wrong-number",
        {"src_port": 443, "dst_port": 3000, "tcp_flags": None},
        {},
        "late HTTPS answer",
    ),
    (
        None,
        {"src_port": 53, "dst_port": 22, "tcp_flags": "SYN"},
        {},
        "near miss: SYN from port 53 is a firewall-evasion scan",
    ),
    (
        "wrong-number",
        {"dst_port": 51234},
        {"dst_ports": frozenset({51234})},
        "isolated packet to an ephemeral port",
    ),
    (
        None,
        {"dst_port": 51234},
        {"dst_ports": frozenset({22, 23, 80, 51234})},
        "near miss: part of a port sweep",
    ),
    (None, {"dst_port": 32767}, {"dst_ports": frozenset({32767})}, "near miss: below ephemeral"),
]

BACKTRACE_CASES: list[tuple[str | None, dict[str, Any], dict[str, Any], str]] = [
    (
        "web-crawler",
        {"dst_port": 80},
        {"ptr": "crawl-66-249-66-1.googlebot.com", "ptr_confirmed": True},
        "Googlebot",
    ),
    (
        "web-crawler",
        {"dst_port": 443},
        {"ptr": "msnbot-157-55-39-1.search.msn.com", "ptr_confirmed": True},
        "Bingbot",
    ),
    (
        "web-crawler",
        {"dst_port": 443},
        {"ptr": "5-255-250-1.spider.yandex.com", "ptr_confirmed": True},
        "Yandex",
    ),
    (
        None,
        {"dst_port": 80},
        {"ptr": "crawl-66-249-66-1.googlebot.com", "ptr_confirmed": False},
        "near miss: PTR not forward-confirmed",
    ),
    (
        None,
        {"dst_port": 80},
        {"ptr": "googlebot.com.evil.example", "ptr_confirmed": True},
        "near miss: look-alike name",
    ),
    (
        "irc-proxy-check",
        {"dst_port": 3128},
        {"ptr": "irc.example.net", "ptr_confirmed": True},
        "ircd checking a squid port",
    ),
    ("irc-proxy-check", {"dst_port": 1080}, {"ptr": "proxy-check.irc.example.org"}, "SOCKS"),
    (
        None,
        {"dst_port": 22},
        {"ptr": "irc.example.net", "ptr_confirmed": True},
        "near miss: an ircd host probing ssh is not a proxy check",
    ),
    (
        None,
        {"dst_port": 3128},
        {"ptr": "circus.example.net", "ptr_confirmed": True},
        "near miss: 'irc' inside another word",
    ),
    (
        "irc-proxy-check",
        {"dst_port": 22},
        {"ptr": "irc.libera.chat"},
        "a server the reporter declared by name",
    ),
    ("isp-network", {}, {"network": {"asn": 7922, "cidr": "81.2.0.0/16"}}, "declared ASN"),
    ("isp-network", {}, {"network": {"asn": "AS7922"}}, "declared ASN, written AS7922"),
    (
        "isp-network",
        {},
        {"network": {"asn": 1, "cidr": "24.60.0.0/16"}},
        "the reporter's own address is in the source's network",
    ),
    (None, {}, {"network": {"asn": 7923, "cidr": "81.2.0.0/16"}}, "near miss: another ASN"),
]


def _ids(cases: list[tuple[Any, ...]]) -> list[str]:
    return [f"{c[0] or 'kept'}: {c[3]}" for c in cases]


@pytest.mark.parametrize(
    ("expected", "overrides", "facts", "why"), EVENT_CASES, ids=_ids(EVENT_CASES)
)
def test_event_rules(
    expected: str | None, overrides: dict[str, Any], facts: dict[str, Any], why: str
) -> None:
    probe = event(**overrides)
    reporter = REPORTERS.get(probe.reporter or "")
    known = {"dst_ports": frozenset({22, 23, 80})} | facts
    assert first_reason(probe, reporter, SourceFacts(**known), EVENT_RULES) == expected, why


@pytest.mark.parametrize(
    ("expected", "overrides", "facts", "why"), BACKTRACE_CASES, ids=_ids(BACKTRACE_CASES)
)
def test_backtrace_rules(
    expected: str | None, overrides: dict[str, Any], facts: dict[str, Any], why: str
) -> None:
    probe = event(**overrides)
    assert first_reason(probe, ALICE, SourceFacts(**facts), BACKTRACE_RULES) == expected, why


def test_every_rule_has_a_case_that_drops() -> None:
    # A rule nobody tests could be dead or wrong: each one must appear with a drop case.
    tested = {c[0] for c in EVENT_CASES + BACKTRACE_CASES if c[0]}
    assert {r.code for r in (*EVENT_RULES, *BACKTRACE_RULES)} <= tested
    assert set(REASONS) == tested
    assert all(len(text) > 10 for text in REASONS.values())


def test_apply_rules_splits_kept_and_dropped_and_uses_each_events_reporter() -> None:
    events = [
        event(),  # kept
        event(dst_port=6881),  # p2p
        event(src_ip="24.60.11.99"),  # alice's own network
        event(src_ip="24.60.11.99", reporter="bob@example.net"),  # not bob's network: kept
        event(reporter="stranger@example.com", dst_port=23),  # unknown reporter: never used
    ]
    outcome = apply_rules(events, REPORTERS, source_facts(events))
    assert len(outcome.kept) == 2
    assert outcome.counts() == {"own-network": 1, "p2p": 1, "reporter-inactive": 1}


def test_source_facts_collects_destination_ports() -> None:
    facts = source_facts([event(dst_port=22), event(dst_port=23), event(dst_port=None)])
    assert facts.dst_ports == frozenset({22, 23})
