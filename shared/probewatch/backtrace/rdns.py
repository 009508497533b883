"""Reverse DNS with forward confirmation: a PTR name counts only if it resolves back to the IP.

Anyone can publish any PTR for their own address space, so an unconfirmed name says nothing
about who is responsible; a confirmed one ties the address to a domain its owner controls.
"""

from __future__ import annotations

import ipaddress

import dns.reversename

from probewatch.backtrace.dnsclient import DnsClient


def reverse_name(ip: str) -> str:
    """`1.2.3.4` -> `4.3.2.1.in-addr.arpa`; IPv6 in nibble form under ip6.arpa."""
    return dns.reversename.from_address(ip).to_text().rstrip(".")


def confirmed_ptr(client: DnsClient, ip: str) -> str | None:
    """The first PTR name of `ip` whose A/AAAA records include `ip`, lower case; else None.

    Raises LookupFailed when the DNS servers cannot be reached (see DnsClient.query).
    """
    address = ipaddress.ip_address(ip)
    rdtype = "A" if address.version == 4 else "AAAA"
    for name in client.query(reverse_name(ip), "PTR"):
        name = name.lower()
        forward = client.query(name, rdtype)
        if any(_same_address(text, address) for text in forward):
            return name
    return None


def _same_address(text: str, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    try:
        return ipaddress.ip_address(text) == address
    except ValueError:
        return False
