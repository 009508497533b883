"""Origin AS of an address from Team Cymru's DNS zone, for networks whose RDAP omits it.

Best effort: the ASN is informative (reporters may list their ISP's ASNs), so a failed or
empty answer gives None and never holds up a report.
"""

from __future__ import annotations

from probewatch.backtrace.dnsclient import DnsClient
from probewatch.backtrace.rdns import reverse_name
from probewatch.errors import LookupFailed


def origin_asn(client: DnsClient, ip: str) -> int | None:
    """First ASN of `<reversed ip>.origin[6].asn.cymru.com` TXT ("13335 | 1.1.1.0/24 | AU ...")."""
    reversed_labels = reverse_name(ip).rsplit(".", 2)[0]  # drop in-addr.arpa / ip6.arpa
    zone = "origin6.asn.cymru.com" if ":" in ip else "origin.asn.cymru.com"
    try:
        answers = client.query(f"{reversed_labels}.{zone}", "TXT")
    except LookupFailed:
        return None
    for text in answers:
        first = text.split("|", 1)[0].split()
        if first and first[0].isdigit():
            return int(first[0])
    return None
