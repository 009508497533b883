"""Abusix's abuse-contacts DNS zone: TXT on the reversed address (IPv6 in nibble form).

A second opinion next to RDAP, and the first one when RDAP names nobody usable.
"""

from __future__ import annotations

from probewatch.backtrace.dnsclient import DnsClient
from probewatch.backtrace.rdns import reverse_name

ZONE = "abuse-contacts.abusix.zone"


def abusix_name(ip: str) -> str:
    """`1.2.3.4` -> `4.3.2.1.abuse-contacts.abusix.zone` (the reverse labels, under the zone)."""
    reversed_labels = reverse_name(ip).rsplit(".", 2)[0]  # drop in-addr.arpa / ip6.arpa
    return f"{reversed_labels}.{ZONE}"


def abusix_contacts(client: DnsClient, ip: str) -> list[str]:
    """Addresses the zone lists for `ip` in answer order; TXT strings that are not an e-mail
    address are ignored. Raises LookupFailed when DNS is unreachable."""
    found: list[str] = []
    for text in client.query(abusix_name(ip), "TXT"):
        for candidate in text.replace(",", " ").split():
            candidate = candidate.strip().strip('"')
            if "@" in candidate and candidate not in found:
                found.append(candidate)
    return found
