"""The opt-out registry's rules: what an opt-out covers, and what a request may opt out.

An opt-out (or a complaint) covers a network owner, not one mailbox: after abuse@ said "no
more reports", security@ and every fallback of the same network or domain must stay silent
too (the bounce fallbacks postmaster@, root@, webmaster@ are for bounces only). So:
* a report is not sent at all when the source IP lies in an opted-out network, or the
  network's domain (backtrace domain, else the PTR's registrable domain) is opted out;
* a mailbox whose registrable domain is opted out is skipped like a suppressed one.

What a request opts out: the incident's network (as the registry returned it) and its
responsible domain; the requesting mailbox's own domain only when it is that domain or a
domain nobody shares. A shared webmail domain (gmail.com...) is never opted out by a reply:
one desk using a webmail address must not silence every network that does. A network wider
than /12 (IPv4) or /24 (IPv6) is not taken from a reply or complaint either: that is the
size of a registry's covering block, not of one owner's network.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from datetime import datetime

from probewatch.backtrace.domains import registrable_domain
from probewatch.mailbox_chain import responsible_domain
from probewatch.model import Incident, iso_z
from probewatch.store.desks import OptOut

SHARED_MAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
        "yahoo.com", "aol.com", "icloud.com", "me.com", "gmx.net", "gmx.de", "web.de",
        "mail.ru", "yandex.ru", "proton.me", "protonmail.com", "qq.com", "163.com",
    }
)  # fmt: skip
# Narrowest prefix a reply or complaint may opt out; the operator may go wider, down to these.
MIN_PREFIX_BY_REQUEST = {4: 12, 6: 24}
MIN_PREFIX_BY_OPERATOR = {4: 8, 6: 16}
# One line (under 72 columns) in every report.
HOW_TO_OPT_OUT = "Reply OPT-OUT to receive no more reports about your network."


def mailbox_domain(email: str) -> str | None:
    return registrable_domain(email.rpartition("@")[2])


def covering(optouts: Iterable[OptOut], incident: Incident) -> OptOut | None:
    """The opt-out that covers the incident's source (its network or its domain), if any."""
    domain = responsible_domain(incident, from_contacts=False)
    for optout in optouts:
        if optout.covers_ip(incident.src_ip):
            return optout
        if optout.kind == "domain" and domain and optout.value == domain:
            return optout
    return None


def covering_mailbox(optouts: Iterable[OptOut], email: str) -> OptOut | None:
    domain = mailbox_domain(email)
    if not domain:
        return None
    return next((o for o in optouts if o.kind == "domain" and o.value == domain), None)


def requested_optouts(
    incident: Incident, mailbox: str, reason: str, by: str, now: datetime
) -> list[OptOut]:
    """What a reply's OPT-OUT or a complaint from `mailbox` about `incident` opts out."""
    since = iso_z(now) or ""
    out: list[OptOut] = []
    network = usable_network((incident.network or {}).get("cidr"), incident.src_ip)
    if network:
        out.append(OptOut("network", network, reason, by, since, incident.incident_id, mailbox))
    domains = [responsible_domain(incident, from_contacts=False), mailbox_domain(mailbox)]
    for domain in dict.fromkeys(d for d in domains if d):
        if domain not in SHARED_MAIL_DOMAINS:
            out.append(OptOut("domain", domain, reason, by, since, incident.incident_id, mailbox))
    return out


def usable_network(
    value: object, src_ip: str | None, minimum: dict[int, int] = MIN_PREFIX_BY_REQUEST
) -> str | None:
    """`value` as a CIDR when it is a network at least as narrow as `minimum` allows (and
    holds `src_ip`, when given); None otherwise."""
    try:
        network = ipaddress.ip_network(str(value), strict=False)
        if network.prefixlen < minimum[network.version]:
            return None
        if src_ip is not None and ipaddress.ip_address(src_ip) not in network:
            return None
    except ValueError:
        return None
    return network.with_prefixlen


def operator_target(text: str) -> tuple[str, str]:
    """("network", cidr) or ("domain", registrable domain) for what the operator typed;
    ValueError saying why it cannot be opted out."""
    value = text.strip().lower()
    if "/" in value or _is_ip(value):
        network = usable_network(value, None, MIN_PREFIX_BY_OPERATOR)
        if network is None:
            raise ValueError(f"{text!r} is not a network narrower than /8 (IPv4) or /16 (IPv6)")
        return "network", network
    domain = registrable_domain(value.rpartition("@")[2])
    if not domain:
        raise ValueError(f"{text!r} is neither a network (CIDR) nor a domain name")
    return "domain", domain


def describe(optouts: Sequence[OptOut]) -> str:
    return ", ".join(o.value for o in optouts) or "nothing"


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
