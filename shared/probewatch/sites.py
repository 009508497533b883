"""Where a reporter lives: the network around an address, and what their alerts reveal.

Shared by ingest (which learns the reporter's networks) and the filters (which never report
traffic from them). Kept tiny so ingest's cold start does not pay for the filters.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from probewatch.model import ProbeEvent


def site_of(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """The network a home address most likely sits in: its /24 (IPv4) or /48 (IPv6)."""
    prefix = 24 if address.version == 4 else 48
    return ipaddress.ip_network(f"{address}/{prefix}", strict=False)


def observed_sites(events: Iterable[ProbeEvent]) -> set[str]:
    """The reporter's own networks as their alerts show them: where inbound traffic went.

    Allowed and outbound events say nothing about where the reporter is; masked or
    non-global destinations are skipped."""
    sites: set[str] = set()
    for event in events:
        if event.action == "allow" or event.direction == "out" or not event.dst_ip:
            continue
        try:
            destination = ipaddress.ip_address(event.dst_ip)
        except ValueError:
            continue
        if destination.is_global:
            sites.add(site_of(destination).with_prefixlen)
    return sites
