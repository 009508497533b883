"""Small pieces several enterprise-firewall parsers share (Parsers B's formats).

* `verdict(word)`: a vendor's action word -> "block"/"allow"/"unknown". Extends
  validate.action() with the words enterprise firewalls use (Palo Alto `reset-both`,
  FortiGate `close`/`server-rst`, Check Point `Reject`, IDS `alert`...).
* `endpoint(text)`: Cisco "iface:addr/port", "v1:outside:addr" tokens -> (address, port);
  `colon_endpoint(text)`: SonicWall/Meraki "addr:port:iface", "[v6]:port" tokens. Both
  validate the address (LineRejected("bad-address") otherwise).
* `rejoin_ipv6(addr, port)`: undoes a regex's "addr:port" split of a port-less IPv6 address.
* `zone_direction(src_zone, dst_zone)`: "in"/"out" from interface or zone names when one
  side is the outside world (`outside`, `untrust`, `wan1`, `0-External`...), else None.
* `NO_VERDICT`: the evidence of a line that describes a connection but says nothing of
  its fate (NAT mapping, URL match, SSL session): the filters never report it.
* `structured_data(text)`: the `key="value"` / `key:"value";` pairs of RFC 5424
  structured data (Juniper `[junos@... k="v"]`, Check Point `[k:"v"; ...]`).
"""

from __future__ import annotations

import ipaddress

from probewatch.model import Action
from probewatch.parsers import validate
from probewatch.parsers.base import LineRejected
from probewatch.parsers.patterns import lazy

# Evidence of events whose line only describes a connection (NAT mapping, URL-filter match,
# SSL session) without a verdict on it: action "unknown", never reported (filters.py).
NO_VERDICT = "no-verdict"

# Vendor words beyond the common ones validate.action() already knows (block, deny, drop,
# reject, accept, permit, ...): verdict() falls back to it.
_BLOCK = frozenset({
    "blocked-url", "block-url", "block-ip", "reset", "reset-both", "reset-client",
    "reset-server", "drop-icmp", "drop-all-packets", "drop-packet", "sinkhole",
    "clear_session", "dropped-packet", "ban", "banned", "quarantine",
})  # fmt: skip
# Words that mean the firewall let the traffic through (FortiGate logs an allowed
# session's end as `close`/`timeout`/`client-rst`/`server-rst`).
_ALLOW = frozenset({
    "pass_session", "close", "timeout", "client-rst", "server-rst", "established", "built",
    "teardown",
})  # fmt: skip


def verdict(word: str | None) -> Action:
    """Block, allow or unknown for a vendor's action word (case-insensitive)."""
    if not word:
        return "unknown"
    lowered = word.strip().strip('"').lower()
    if lowered in _BLOCK:
        return "block"
    if lowered in _ALLOW:
        return "allow"
    return validate.action(lowered)


# Characters an IPv6 address (before a "%scope") can hold: anything else is no address.
_NOT_IPV6 = lazy(r"[^0-9A-Fa-f:.]")


def _is_ip(text: str) -> bool:
    if validate.is_plain_ipv4(text):  # the common case, without ipaddress' cost
        return True
    # ipaddress takes IPv4 only in that canonical form, and IPv6 only with a colon: reject
    # "outside:10.1.1.1" and the like without raising and catching an exception.
    if ":" not in text or _NOT_IPV6.search(text.partition("%")[0]):
        return False
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def is_ip(text: str) -> bool:
    """True for an address ipaddress accepts (canonical IPv4, any IPv6 text)."""
    return _is_ip(text)


def split_iface_address(text: str) -> str:
    """The address in "outside:10.1.1.1", "v1:outside:fe80::1" or a bare address.

    Interfaces are prefixed with ':' and addresses (IPv6) contain ':' too, so the longest
    suffix that is a valid address wins. LineRejected("bad-address") if there is none."""
    text = text.strip().strip("()")
    if _is_ip(text):
        return text
    position = text.find(":")
    while position >= 0:
        candidate = text[position + 1 :]
        if _is_ip(candidate):
            return candidate
        position = text.find(":", position + 1)
    # Not a plain address: let validate.ip decide (zero-padded IPv4) or reject.
    tail = text.rsplit(":", 1)[-1]
    return validate.ip(tail)


def endpoint(text: str) -> tuple[str, str | None]:
    """(address, port text or None) from "iface:addr/port" or "iface:addr" (Cisco style).
    Raises LineRejected("bad-address") when no valid address is there."""
    text = text.strip().rstrip(",")
    address, _, port = text.partition("/")
    if validate.is_plain_ipv4(address):  # no interface name: nothing to split
        return address, (port or None)
    return split_iface_address(address), (port or None)


def colon_endpoint(text: str) -> tuple[str, str | None]:
    """(address, port text or None) from SonicWall/Meraki "addr:port[:iface]", "addr::iface",
    "[v6]:port" or a bare IPv4/IPv6 address. LineRejected("bad-address") if none fits."""
    text = text.strip()
    if text.startswith("["):
        address, _, rest = text[1:].partition("]")
        port = rest.lstrip(":").split(":", 1)[0]
        return validate.ip(address), (port or None)
    if _is_ip(text):
        return text, None
    parts = text.split(":")
    if len(parts) <= 3 or "." in parts[0]:  # IPv4 with port, interface, host name...
        port = parts[1] if len(parts) > 1 else ""
        return validate.ip(parts[0]), (port or None)
    # IPv6 followed by ":port:iface" or ":port"
    for cut in (2, 1):
        head = ":".join(parts[:-cut])
        if _is_ip(head):
            return head, (parts[-cut] or None)
    raise LineRejected("bad-address")


def rejoin_ipv6(address: str, port: str | None) -> tuple[str, str | None]:
    """Undo a regex's "addr:port" split of a port-less IPv6 address ("2001:db8:" + "1")."""
    if port and not _is_ip(address) and _is_ip(f"{address}:{port}"):
        return f"{address}:{port}", None
    return address, port


# Zone / interface names that mean "the Internet side" (after lower-casing and dropping a
# WatchGuard-style "0-" prefix and trailing digits: "WAN1" -> "wan", "0-External" -> "external").
_EXTERNAL_ZONES = frozenset({
    "outside", "untrust", "untrusted", "wan", "internet", "external", "ext", "public",
})  # fmt: skip
_ZONE_TRIM = lazy(r"^\d+-|[\d_.-]+$")


def _external(zone: str | None) -> bool:
    if not zone:
        return False
    return _ZONE_TRIM.sub("", zone.strip().strip('"').lower()) in _EXTERNAL_ZONES


def zone_direction(src_zone: str | None, dst_zone: str | None) -> str | None:
    """ "in" when the source side is the outside world and the destination is not, "out" for
    the reverse; None when the names do not say (both or neither external, unknown names)."""
    src_out, dst_out = _external(src_zone), _external(dst_zone)
    if src_out and dst_zone and not dst_out:
        return "in"
    if dst_out and src_zone and not src_out:
        return "out"
    return None


_SD_PAIR = lazy(r"""([\w.\-]+)\s*[=:]\s*"((?:[^"\\]|\\.)*)\"""")


def structured_data(text: str) -> dict[str, str]:
    """Every `key="value"` or `key:"value"` pair in `text` (first occurrence wins)."""
    pairs: dict[str, str] = {}
    for key, value in _SD_PAIR.findall(text):
        pairs.setdefault(key, value.replace('\\"', '"'))
    return pairs
