"""False-positive rules: events that must never reach an abuse desk, each with a reason code.

The guidelines' list ("What events SHOULDN'T I report?") as a table of small rules. Each rule
looks at one event plus what is known about its source and answers yes (drop it) or no. The
first rule that says yes names the event's reason code; the reporter sees that code, its
description and one example line in their digest.

Two passes, because some facts are only known after the backtrace:
  * EVENT_RULES run at aggregation on every event (addresses, ports, flags, declarations);
  * BACKTRACE_RULES run once the source's PTR name and RDAP network are known, just before a
    report would be queued (verified crawlers, ircd names, the reporter's ISP by ASN/network).

Rules only ever remove events. A bug that drops too much costs a report; one that drops too
little harms an innocent party, so when in doubt a rule drops.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from importlib import resources
from typing import Any

from probewatch.backtrace.special import reportable_reason, unmapped_ip
from probewatch.model import ProbeEvent, Reporter, parse_iso
from probewatch.sites import site_of

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# --- port tables (either direction: a P2P or game peer answers from the same ports) --------

P2P_PORTS: frozenset[int] = frozenset(
    [*range(6881, 6890), 51413]  # BitTorrent (classic range, Transmission default)
    + [4662, 4672]  # eDonkey / eMule
    + [6346, 6347]  # Gnutella
    + [1214]  # Kazaa / FastTrack
    + [6699, 6257]  # Napster / WinMX
    + [411, 412]  # Direct Connect
)
GAME_PORTS: frozenset[int] = frozenset(
    [*range(27000, 27051)]  # Steam / Source engine (Half-Life, Counter-Strike)
    + [3074]  # Xbox Live
    + [3478, 3479, 3480]  # PlayStation Network (STUN)
    + [25565]  # Minecraft
    + [666]  # Doom
    + [27960]  # Quake III
    + [7777, 7778]  # Unreal Tournament
    + [28960]  # Call of Duty
)
# Ports open-proxy checkers of IRC networks try (SOCKS, squid, HTTP alt, WinGate, telnet).
IRC_PROXY_CHECK_PORTS: frozenset[int] = frozenset([1080, 3128, 8080, 6588, 23])
# Server ports whose replies reach a new holder of an address (DNS, HTTP, HTTPS).
REPLY_SOURCE_PORTS: frozenset[int] = frozenset([53, 80, 443])
# Lower bound of the ephemeral ranges in use (Linux 32768-60999, Windows/BSD 49152-65535).
EPHEMERAL_LOW = 32768
# A source that touched fewer distinct destination ports than this is not sweeping ports.
ISOLATED_MAX_PORTS = 2
SELF_SCAN_SLACK = timedelta(hours=1)

# Forward-confirmed PTR names under these domains are the big search engines' crawlers
# (each documents this verification: reverse lookup, then forward lookup back to the IP).
CRAWLER_DOMAINS: tuple[str, ...] = (
    "googlebot.com",
    "google.com",
    "googleusercontent.com",
    "search.msn.com",
    "crawl.yahoo.net",
    "applebot.apple.com",
    "yandex.ru",
    "yandex.net",
    "yandex.com",
    "baidu.com",
    "baidu.jp",
    "duckduckgo.com",
    "crawl.amazonbot.amazon",
    "petalsearch.com",
)
# ircd hosts: "irc.example.net", "irc2.example.net", "ircd-1.example", "proxycheck.irc...".
_IRCD_PTR = re.compile(r"(^|[.-])(irc\d*|ircd\d*|proxy-?check|bopm|hopm)([.-]|$)")


@dataclass(frozen=True)
class SourceFacts:
    """What is known about the source beyond one event.

    `dst_ports`: distinct destination ports of all its events in the window (a port sweep is
    not stray traffic). `ptr` / `ptr_confirmed` / `network` exist only after the backtrace.
    """

    dst_ports: frozenset[int] = frozenset()
    ptr: str | None = None
    ptr_confirmed: bool = False
    network: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    code: str
    description: str  # what the reporter reads in the digest
    applies: Callable[[ProbeEvent, Reporter | None, SourceFacts], bool]


@dataclass
class FilterOutcome:
    kept: list[ProbeEvent] = field(default_factory=list)
    dropped: dict[str, list[ProbeEvent]] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {code: len(events) for code, events in sorted(self.dropped.items())}


# --- helpers ---------------------------------------------------------------------------


def _network(text: str) -> Network | None:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def _in_any(address: Address | None, networks: Iterable[Network]) -> bool:
    return address is not None and any(
        address.version == net.version and address in net for net in networks
    )


def _flags(event: ProbeEvent) -> frozenset[str]:
    text = (event.tcp_flags or "").upper().replace(",", " ").replace("|", " ")
    return frozenset(text.split())


def _ports(event: ProbeEvent) -> set[int]:
    return {port for port in (event.src_port, event.dst_port) if port is not None}


@lru_cache(maxsize=4)
def _data_networks(name: str) -> tuple[tuple[Network, str], ...]:
    text = resources.files("probewatch").joinpath("data", name).read_text("utf-8")
    rows: list[tuple[Network, str]] = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            cidr, label = line.split(None, 1)
            rows.append((ipaddress.ip_network(cidr), label.strip()))
    return tuple(rows)


def cdn_networks() -> list[Network]:
    return [net for net, _ in _data_networks("cdn_gslb_networks.txt")]


def scan_service_networks() -> list[Network]:
    return [net for net, _ in _data_networks("scan_services.txt")]


def _ptr_under(ptr: str | None, domains: Iterable[str]) -> bool:
    if not ptr:
        return False
    name = ptr.lower().rstrip(".")
    return any(name == d or name.endswith("." + d) for d in domains)


# --- pass 1: per event -------------------------------------------------------------------


def _special_source(event: ProbeEvent, _r: Reporter | None, _f: SourceFacts) -> bool:
    # Belt and braces: the shared bogon tables, and Python's own notion of "global".
    address = unmapped_ip(event.src_ip)
    return reportable_reason(event.src_ip) is not None or address is None or not address.is_global


def _reporter_inactive(event: ProbeEvent, reporter: Reporter | None, _f: SourceFacts) -> bool:
    # Without an active profile there are no declarations (own ISP, IRC servers, self-scans)
    # to protect against, and PAUSE / STOP mean "do not report from my alerts".
    return reporter is None or reporter.status != "active"


def _outbound(event: ProbeEvent, _r: Reporter | None, _f: SourceFacts) -> bool:
    # Parsers set `direction` when the log line says which way the packet went.
    return getattr(event, "direction", None) == "out"


def _allowed(event: ProbeEvent, _r: Reporter | None, _f: SourceFacts) -> bool:
    return event.action == "allow"


def _no_verdict(event: ProbeEvent, _r: Reporter | None, _f: SourceFacts) -> bool:
    # Parsers mark lines that only describe a connection (a NAT mapping, a URL-filter match,
    # an SSL session) with evidence "no-verdict": nothing there says a probe was refused.
    return event.action == "unknown" and event.evidence == "no-verdict"


def _own_address(event: ProbeEvent, reporter: Reporter | None, _f: SourceFacts) -> bool:
    if reporter is None:
        return False
    sites = [site_of(a) for a in map(unmapped_ip, reporter.public_ips) if a is not None]
    sites += [n for n in map(_network, reporter.observed_sites) if n is not None]
    return _in_any(unmapped_ip(event.src_ip), sites)



def _isp_resolver(event: ProbeEvent, reporter: Reporter | None, _f: SourceFacts) -> bool:
    if reporter is None:
        return False
    source = unmapped_ip(event.src_ip)
    return source is not None and source in {unmapped_ip(r) for r in reporter.resolvers}


def _isp_network(event: ProbeEvent, reporter: Reporter | None, _f: SourceFacts) -> bool:
    if reporter is None:
        return False
    networks = [n for n in map(_network, reporter.isp_networks) if n is not None]
    return _in_any(unmapped_ip(event.src_ip), networks)


def _dhcp(event: ProbeEvent, _r: Reporter | None, _f: SourceFacts) -> bool:
    # DHCPv4 server 67 -> client 68; DHCPv6 server 547 -> client 546.
    return event.proto == "UDP" and bool(_ports(event) & {67, 68, 546, 547})


def _irc_server_declared(event: ProbeEvent, reporter: Reporter | None, _f: SourceFacts) -> bool:
    if reporter is None:
        return False
    source = unmapped_ip(event.src_ip)
    return source is not None and source in {unmapped_ip(s) for s in reporter.irc_servers}


def _lb_proximity(event: ProbeEvent, _r: Reporter | None, _f: SourceFacts) -> bool:
    if not _in_any(unmapped_ip(event.src_ip), cdn_networks()):
        return False
    dns = event.proto in ("UDP", "TCP") and 53 in _ports(event)
    icmp = event.proto in ("ICMP", "ICMPV6", "IPV6-ICMP")
    bare_ack = event.proto == "TCP" and _flags(event) == frozenset({"ACK"})
    return dns or icmp or bare_ack


def _scan_service(event: ProbeEvent, _r: Reporter | None, _f: SourceFacts) -> bool:
    return _in_any(unmapped_ip(event.src_ip), scan_service_networks())


def _self_scan(event: ProbeEvent, reporter: Reporter | None, _f: SourceFacts) -> bool:
    if reporter is None or event.time is None:
        return False
    moment = event.time
    return any(abs(moment - t) <= SELF_SCAN_SLACK for t in declared_self_scan_times(reporter))


def _p2p(event: ProbeEvent, _r: Reporter | None, _f: SourceFacts) -> bool:
    return event.proto in ("TCP", "UDP") and bool(_ports(event) & P2P_PORTS)


def _game(event: ProbeEvent, _r: Reporter | None, _f: SourceFacts) -> bool:
    return event.proto in ("TCP", "UDP") and bool(_ports(event) & GAME_PORTS)


def _stray_tcp(event: ProbeEvent, _r: Reporter | None, _f: SourceFacts) -> bool:
    """ACK/RST/FIN without a lone SYN: the tail of a conversation someone else started."""
    flags = _flags(event)
    if event.proto != "TCP" or not flags:
        return False
    return "SYN" not in flags or "ACK" in flags  # SYN-ACK answers a SYN, it opens nothing


def _reply_from_server_port(event: ProbeEvent, _r: Reporter | None, _f: SourceFacts) -> bool:
    """DNS/HTTP/HTTPS answers arriving late; a SYN *from* port 53/80/443 is a probe trick."""
    if event.src_port not in REPLY_SOURCE_PORTS:
        return False
    if event.proto == "UDP":
        return True
    return event.proto == "TCP" and _flags(event) != frozenset({"SYN"})


def _isolated_ephemeral(event: ProbeEvent, _r: Reporter | None, facts: SourceFacts) -> bool:
    if event.dst_port is None or event.dst_port < EPHEMERAL_LOW:
        return False
    return len(facts.dst_ports) <= ISOLATED_MAX_PORTS


EVENT_RULES: tuple[Rule, ...] = (
    Rule(
        "special-purpose-source",
        "private, reserved, CGNAT, documentation, multicast or bogon source address",
        _special_source,
    ),
    Rule(
        "reporter-inactive",
        "reported while your reporting was paused, stopped or removed",
        _reporter_inactive,
    ),
    Rule(
        "allowed-connection",
        "the firewall allowed it: allowed connections are not probes",
        _allowed,
    ),
    Rule(
        "no-verdict",
        "the log only describes the connection (NAT mapping, URL match, SSL session): not a probe",
        _no_verdict,
    ),
    Rule("outbound", "sent by your own network, not to it: never a probe of it", _outbound),
    Rule("own-network", "from your own public address's network", _own_address),
    Rule("isp-resolver", "your ISP's DNS resolver (declared by you)", _isp_resolver),
    Rule("isp-network", "your ISP's network (declared by you)", _isp_network),
    Rule("isp-dhcp", "DHCP traffic from your ISP", _dhcp),
    Rule("irc-proxy-check", "open-proxy check by an IRC server you use", _irc_server_declared),
    Rule("lb-proximity-probe", "proximity probe from a CDN or web load balancer", _lb_proximity),
    Rule(
        "requested-scan",
        "a port-scan test service (e.g. ShieldsUP) someone asked for",
        _scan_service,
    ),
    Rule("self-scan", "within an hour of a scan you said you ran yourself", _self_scan),
    Rule("p2p", "peer-to-peer file sharing port (BitTorrent, eDonkey, Gnutella, Kazaa...)", _p2p),
    Rule("game", "online game port (Steam, Xbox Live, PlayStation, Minecraft...)", _game),
    Rule(
        "wrong-number", "stray reply to a previous holder of your address (ACK/RST/FIN)", _stray_tcp
    ),
    Rule(
        "wrong-number",
        "stray reply from a DNS/web server port to a previous holder",
        _reply_from_server_port,
    ),
    Rule(
        "wrong-number",
        "isolated packet to an ephemeral port (a late reply, not a probe)",
        _isolated_ephemeral,
    ),
)


# --- pass 2: after the backtrace (PTR, RDAP network) ---------------------------------------


def _verified_crawler(event: ProbeEvent, _r: Reporter | None, facts: SourceFacts) -> bool:
    return facts.ptr_confirmed and _ptr_under(facts.ptr, CRAWLER_DOMAINS)


def _irc_by_name(event: ProbeEvent, reporter: Reporter | None, facts: SourceFacts) -> bool:
    if not facts.ptr:
        return False
    declared = [s.lower().rstrip(".") for s in (reporter.irc_servers if reporter else [])]
    if _ptr_under(facts.ptr, [name for name in declared if unmapped_ip(name) is None]):
        return True  # a server the reporter named, by host name
    looks_ircd = bool(_IRCD_PTR.search(facts.ptr.lower().rstrip(".")))
    return looks_ircd and event.dst_port in IRC_PROXY_CHECK_PORTS


def _isp_by_registry(event: ProbeEvent, reporter: Reporter | None, facts: SourceFacts) -> bool:
    if reporter is None or not facts.network:
        return False
    asn = facts.network.get("asn")
    try:
        if asn is not None and int(str(asn).upper().removeprefix("AS")) in reporter.isp_asns:
            return True
    except ValueError:
        pass  # an ASN we cannot read matches nothing
    cidr = _network(str(facts.network.get("cidr") or ""))
    if cidr is None:
        return False
    return any(
        a is not None and a.version == cidr.version and a in cidr
        for a in map(unmapped_ip, reporter.public_ips)
    )


BACKTRACE_RULES: tuple[Rule, ...] = (
    Rule("web-crawler", "a search engine's web crawler (reverse DNS confirmed)", _verified_crawler),
    Rule("irc-proxy-check", "open-proxy check by an IRC server", _irc_by_name),
    Rule("isp-network", "your ISP's or your own network (by registry data)", _isp_by_registry),
)

# Reason code -> what the reporter reads; the three wrong-number rules share one entry.
REASONS: dict[str, str] = {rule.code: rule.description for rule in (*BACKTRACE_RULES, *EVENT_RULES)}
REASONS["wrong-number"] = (
    "stray traffic meant for a previous holder of your address (ACK/RST/FIN-only packets, "
    "late DNS/web replies, isolated packets to ephemeral ports)"
)
REASONS["isp-network"] = "your ISP's network (declared by you, or matched by registry data)"

# Reason code -> (short title, one sentence) for a reader who knows nothing of networking: the
# digest shows these, never the code. Every code in REASONS has one (a unit test checks).
READER_TEXT: dict[str, tuple[str, str]] = {
    "special-purpose-source": (
        "Private or reserved address",
        "The sender's address is a private, local or reserved one that belongs to nobody on "
        "the internet, so there is no one to report it to.",
    ),
    "reporter-inactive": (
        "Reporting was paused",
        "It arrived while your reporting was paused or stopped, so nothing was reported.",
    ),
    "allowed-connection": (
        "Your firewall let it in",
        "Your firewall allowed this connection, so it was wanted traffic, not an attack.",
    ),
    "no-verdict": (
        "Only a note about a connection",
        "Your firewall only noted this connection (an address translation, a web address or "
        "an encrypted session); it did not say it stopped an attack.",
    ),
    "outbound": (
        "Sent by your own devices",
        "It went out from your own network, so it was not someone probing you.",
    ),
    "own-network": (
        "From your own network",
        "It came from your own internet address or the addresses next to it.",
    ),
    "isp-resolver": (
        "Your provider's name server",
        "It came from your internet provider's name server, which you told us about.",
    ),
    "isp-network": (
        "Your internet provider",
        "It came from your own internet provider, which often checks its customers' lines.",
    ),
    "isp-dhcp": (
        "Your provider handing out addresses",
        "It was your internet provider giving your router its address, which is normal.",
    ),
    "irc-proxy-check": (
        "A chat server checking you",
        "A chat (IRC) server you use checked your connection, which such servers do.",
    ),
    "lb-proximity-probe": (
        "A big website measuring distance",
        "A large website's network measured how far away you are to serve you faster.",
    ),
    "requested-scan": (
        "A security test someone asked for",
        "It came from a security-test service that people use to check their own firewall.",
    ),
    "self-scan": (
        "Your own test",
        "It happened within an hour of a test of your own firewall that you told us about.",
    ),
    "p2p": (
        "File sharing",
        "It used the connections of file-sharing programs, whose users contact each other "
        "without meaning harm.",
    ),
    "game": (
        "Online games",
        "It used the connections of online games, whose players contact each other without "
        "meaning harm.",
    ),
    "wrong-number": (
        "Meant for someone else",
        "It looked like a late answer meant for whoever had your internet address before "
        "you, not an attack.",
    ),
    "web-crawler": (
        "A search engine",
        "It came from a search engine's crawler, which visits addresses to index the web.",
    ),
}


def source_facts(events: Iterable[ProbeEvent], **known: Any) -> SourceFacts:
    ports = frozenset(e.dst_port for e in events if e.dst_port is not None)
    return SourceFacts(dst_ports=ports, **known)


def apply_rules(
    events: Iterable[ProbeEvent],
    reporters: Mapping[str, Reporter],
    facts: SourceFacts,
    rules: tuple[Rule, ...] = EVENT_RULES,
) -> FilterOutcome:
    """Split events into kept and dropped-by-reason. `reporters` is keyed by lower-case email;
    an event whose reporter is unknown or not active is dropped (reporter-inactive)."""
    outcome = FilterOutcome()
    for event in events:
        reporter = reporters.get((event.reporter or "").lower())
        code = first_reason(event, reporter, facts, rules)
        if code is None:
            outcome.kept.append(event)
        else:
            outcome.dropped.setdefault(code, []).append(event)
    return outcome


def first_reason(
    event: ProbeEvent, reporter: Reporter | None, facts: SourceFacts, rules: tuple[Rule, ...]
) -> str | None:
    for rule in rules:
        if rule.applies(event, reporter, facts):
            return rule.code
    return None


def declared_self_scan_times(reporter: Reporter) -> list[datetime]:
    """The reporter's "I scanned myself at T" declarations that parse (others are ignored)."""
    times: list[datetime] = []
    for text in reporter.self_scans:
        try:
            moment = parse_iso(text)
        except ValueError:
            continue  # a malformed declaration protects nothing, and breaks nothing
        if moment is not None:
            times.append(moment)
    return times
