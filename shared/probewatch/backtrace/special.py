"""Is an address worth reporting at all? Private, reserved and bogon sources never are.

`reportable_reason(ip)` answers before any lookup, from data shipped in the package
(`data/ipv4-bogons.txt`, `data/ipv6-bogons.txt`, `data/ipv6-allocated.txt`), so the
aggregate filters and the backtrace agree on one list. Review the data files when IANA
updates its special-purpose or IPv6 unicast registries.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from importlib import resources

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
# IANA keeps 2001::/23 for protocol assignments (Teredo, ORCHID, AS112, AMT...), not users.
_IETF_PROTOCOL_V6 = ipaddress.IPv6Network("2001::/23")


def _read_table(name: str) -> list[tuple[Network, str]]:
    text = resources.files("probewatch.backtrace").joinpath("data", name).read_text("utf-8")
    rows: list[tuple[Network, str]] = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        prefix, label = line.split(None, 1)
        rows.append((ipaddress.ip_network(prefix), label.strip()))
    # Most specific first, so 2001:db8::/32 wins over a broader row that would also match.
    rows.sort(key=lambda row: -row[0].prefixlen)
    return rows


@lru_cache(maxsize=1)
def _tables() -> tuple[list[tuple[Network, str]], list[tuple[Network, str]], list[Network]]:
    allocated = [net for net, _rir in _read_table("ipv6-allocated.txt")]
    return _read_table("ipv4-bogons.txt"), _read_table("ipv6-bogons.txt"), allocated


def parse_ip(text: str) -> IPAddress | None:
    """The address in `text` (surrounding spaces and IPv6 brackets/zone ignored), or None."""
    cleaned = text.strip().strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(cleaned)
    except ValueError:
        return None


def unmapped_ip(text: str | None) -> IPAddress | None:
    """parse_ip, with IPv4-mapped IPv6 (::ffff:a.b.c.d) turned into the IPv4 address it
    carries; None for None, empty text or text that is not an address."""
    address = parse_ip(text) if text else None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def normalise_ip(text: str) -> str | None:
    """Canonical text form; IPv4-mapped IPv6 (::ffff:a.b.c.d) becomes the IPv4 address."""
    address = unmapped_ip(text)
    return None if address is None else str(address)


def reportable_reason(ip: str) -> str | None:
    """None when `ip` is a public, allocated unicast address; otherwise why it is not reportable.

    Reasons: invalid-address, this-network, private, cgnat, loopback, link-local, ietf-protocol,
    documentation, benchmark, 6to4-relay, 6to4, teredo, nat64, orchid, multicast, broadcast,
    reserved, discard-only, ipv4-compatible, site-local, segment-routing, unallocated.
    Anything that does not parse as an address is "invalid-address" (never reportable).
    """
    normalised = normalise_ip(ip)
    if normalised is None:
        return "invalid-address"
    address = ipaddress.ip_address(normalised)
    v4_rows, v6_rows, v6_allocated = _tables()
    if isinstance(address, ipaddress.IPv4Address):
        return _first_match(address, v4_rows)
    reason = _first_match(address, v6_rows)
    if reason is not None:
        return reason
    if address in _IETF_PROTOCOL_V6:
        return "ietf-protocol"
    if address not in _GLOBAL_UNICAST:
        return "reserved"
    if not any(address in net for net in v6_allocated):
        return "unallocated"
    return None


def is_reportable(ip: str) -> bool:
    return reportable_reason(ip) is None


def special_networks() -> list[tuple[Network, str]]:
    """Every prefix the tables above refuse, with its reason (for tests and documentation)."""
    v4_rows, v6_rows, _allocated = _tables()
    return [*v4_rows, *v6_rows]


def _first_match(address: IPAddress, rows: list[tuple[Network, str]]) -> str | None:
    for network, reason in rows:
        if address in network:
            return reason
    return None


__all__ = ["is_reportable", "normalise_ip", "parse_ip", "reportable_reason", "special_networks"]
