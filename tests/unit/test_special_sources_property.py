"""Property: a special-purpose source address is dropped by the first rule, whatever else the
event says (ports, flags, strong evidence, reporter declarations)."""

from __future__ import annotations

import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st

from probewatch.backtrace.special import special_networks
from probewatch.filters import EVENT_RULES, SourceFacts, first_reason
from probewatch.model import ProbeEvent, Reporter

# Python's own special ranges too: the two lists must agree that none of these is public.
_PY_SPECIAL = [
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "192.0.2.0/24",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "198.18.0.0/15",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "0.0.0.0/8",
        "::1/128",
        "fe80::/10",
        "fc00::/7",
        "2001:db8::/32",
        "ff00::/8",
        "::/128",
    )
]
NETWORKS = [net for net, _reason in special_networks()] + _PY_SPECIAL


def _address_in(net: ipaddress.IPv4Network | ipaddress.IPv6Network) -> st.SearchStrategy[str]:
    return st.integers(0, net.num_addresses - 1).map(lambda i: str(net.network_address + i))


special_addresses = st.sampled_from(NETWORKS).flatmap(_address_in)
# Written the way some firewalls log IPv4 on dual-stack sockets.
mapped = special_addresses.filter(lambda a: ":" not in a).map(lambda a: f"::ffff:{a}")

events = st.builds(
    ProbeEvent,
    time=st.none(),
    src_ip=st.one_of(special_addresses, mapped),
    src_port=st.one_of(st.none(), st.integers(0, 65535)),
    dst_ip=st.just("24.60.11.22"),
    dst_port=st.one_of(st.none(), st.integers(0, 65535)),
    proto=st.sampled_from(["TCP", "UDP", "ICMP", "GRE"]),
    action=st.sampled_from(["block", "unknown"]),
    format=st.just("netfilter"),
    raw=st.just("x"),
    tcp_flags=st.sampled_from([None, "SYN", "ACK", "SYN ACK"]),
    reporter=st.just("a@example.org"),
    evidence=st.sampled_from([None, "ids", "established"]),
)


@settings(max_examples=200, deadline=None)
@given(events)
def test_special_sources_never_survive_the_first_pass(probe: ProbeEvent) -> None:
    reporter = Reporter(email="a@example.org")
    assert first_reason(probe, reporter, SourceFacts(), EVENT_RULES) == "special-purpose-source"
