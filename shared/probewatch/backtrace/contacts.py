"""Ranking the mailboxes that may act on a report, best first, each with source and confidence.

Order: the RDAP abuse mailbox (marked abuse mailboxes first, document order otherwise), then
Abusix, then RFC 2142 abuse@ and security@ of the responsible domain, then registry help
desks. Placeholders (REDACTED, "not disclosed", removed@lacnic.net...) are never listed.
On bounce the chain continues with `fallback_chain`: postmaster@, root@, webmaster@.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from probewatch.backtrace.rdap import AbuseCandidate, RdapNetwork
from probewatch.model import Contact

CONFIDENCE = {
    "rdap-marked": 0.95,
    "rdap": 0.9,
    "rdap+abusix": 0.99,
    "abusix": 0.8,
    "abuse@": 0.5,
    "security@": 0.4,
    "helpdesk": 0.2,
    "postmaster@": 0.2,
    "root@": 0.15,
    "webmaster@": 0.1,
}
RFC2142_LOCALS = ("abuse", "security")
BOUNCE_LOCALS = ("postmaster", "root", "webmaster")

_EMAIL = re.compile(r"^[^@\s]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")
# Words registries put in place of a withheld address; matched against the local part only,
# so a real domain that happens to contain one (redacted-news.fr) is not thrown away.
_PLACEHOLDER_LOCAL = re.compile(
    r"redacted|not[._-]*disclosed|please[._-]*query|query[._-]*the|withheld|gdpr|privacy|"
    r"data[._-]*protect|not[._-]*available|^(?:removed|no|none|null|nobody|noreply|no-reply|"
    r"noemail|nomail|unknown|invalid|na|n-a|test|example)$",
    re.IGNORECASE,
)
_PLACEHOLDER_DOMAIN = re.compile(
    r"(?:^|\.)(?:example\.(?:com|net|org)|localhost|redacted|example|invalid|test)$", re.IGNORECASE
)

# Registries answer for networks they run, but their desks cannot act on their members' hosts.
_REGISTRY_DOMAINS: dict[str, re.Pattern[str] | None] = {
    "ripe.net": re.compile(r"^RIPE-NCC|^RIPE NCC|RIPE Network Coordination", re.I),
    "apnic.net": re.compile(r"^APNIC\b|Asia Pacific Network Information Cent", re.I),
    "arin.net": re.compile(r"^ARIN\b|American Registry for Internet Numbers", re.I),
    "lacnic.net": re.compile(r"^LACNIC\b|Latin American and Caribbean IP address", re.I),
    "afrinic.net": re.compile(r"^AFRINIC\b|African Network Information Cent", re.I),
    # National registries' IRTs are generic desks whatever the network (None: always a desk).
    "nic.ad.jp": None,
    "jpnic.ad.jp": None,
    "nic.or.kr": None,
    "kisa.or.kr": None,
    "twnic.net.tw": None,
    "twnic.tw": None,
    "cnnic.cn": None,
    "cnnic.net.cn": None,
    "idnic.net": None,
    "vnnic.vn": None,
    "vnnic.net.vn": None,
    "irinn.in": None,
    "nic.br": None,
    "registro.br": None,
}
_NIR_IRT = re.compile(r"^IRT-(?:JPNIC|KRNIC|TWNIC|CNNIC|IDNIC|VNNIC|IRINN)\b", re.I)


def is_placeholder(email: str) -> bool:
    """True for anything that is not a deliverable, real mailbox (see module docstring)."""
    email = email.strip()
    if not _EMAIL.match(email):
        return True
    local, _at, domain = email.rpartition("@")
    return bool(_PLACEHOLDER_LOCAL.search(local) or _PLACEHOLDER_DOMAIN.search(domain))


def _domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].lower()


def is_registry_helpdesk(candidate: AbuseCandidate, network: RdapNetwork) -> bool:
    """A registry's or NIR's own desk named for a network the registry does not run itself."""
    if _NIR_IRT.match(candidate.handle):
        return True
    domain = _domain(candidate.email)
    for registry, own_network in _REGISTRY_DOMAINS.items():
        if domain == registry or domain.endswith("." + registry):
            if own_network is None:
                return True
            names = [network.name or "", *network.registrant_names]
            return not any(own_network.search(name) for name in names)
    return False


def rank_contacts(
    network: RdapNetwork | None,
    abusix: Iterable[str] = (),
    domain: str | None = None,
) -> list[Contact]:
    """The ranked contact list for one address (see module docstring for the order)."""
    ranked: list[Contact] = []
    seen: set[str] = set()

    def add(email: str, source: str, confidence: float) -> None:
        if is_placeholder(email) or email.lower() in seen:
            return
        seen.add(email.lower())
        ranked.append(Contact(email=email, source=source, confidence=confidence))

    abusix_list = [a for a in abusix if not is_placeholder(a)]
    abusix_lower = {a.lower() for a in abusix_list}
    candidates = network.abuse if network else []
    desks = [c for c in candidates if network and is_registry_helpdesk(c, network)]
    for candidate in candidates:
        if candidate in desks:
            continue
        if candidate.email.lower() in abusix_lower:
            key = "rdap+abusix"  # two independent sources agree
        else:
            key = "rdap-marked" if candidate.marked else "rdap"
        add(candidate.email, "rdap", CONFIDENCE[key])
    for email in abusix_list:
        add(email, "abusix", CONFIDENCE["abusix"])
    if domain:
        for local in RFC2142_LOCALS:
            add(f"{local}@{domain}", "rfc2142", CONFIDENCE[f"{local}@"])
    # Desks come last but stay: with nothing better, a desk at least forwards (JPNIC does).
    for desk in desks:
        add(desk.email, "rdap", CONFIDENCE["helpdesk"])
    return ranked


def fallback_chain(domain: str | None) -> list[Contact]:
    """Where to go after the ranked contacts bounced: postmaster@, root@, webmaster@ (RFC 2142)."""
    if not domain:
        return []
    return [
        Contact(email=f"{local}@{domain}", source="fallback", confidence=CONFIDENCE[f"{local}@"])
        for local in BOUNCE_LOCALS
    ]
