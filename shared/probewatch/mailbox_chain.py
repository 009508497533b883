"""The order of mailboxes a report tries: the incident's ranked contacts, then RFC 2142.

After the RDAP/Abusix contacts come abuse@ and security@ of the responsible domain (RFC 2142),
then, as the guidelines advise when those bounce, postmaster@, root@ and webmaster@. Pure code.
"""

from __future__ import annotations

from probewatch.backtrace.domains import registrable_domain
from probewatch.model import Contact, Incident
from probewatch.registry_desks import registry_desks

FALLBACK_LOCAL_PARTS = ("abuse", "security", "postmaster", "root", "webmaster")
# The guidelines name these for when abuse@/security@ BOUNCE; a suppression, an opt-out or a
# complaint is the owner saying no, and must never send the report on to them instead.
BOUNCE_ONLY_LOCAL_PARTS = frozenset({"postmaster", "root", "webmaster"})


def bounce_only(contact: Contact) -> bool:
    """A fallback mailbox that may be used only after an earlier mailbox bounced."""
    local = contact.email.partition("@")[0].lower()
    return contact.source == "fallback" and local in BOUNCE_ONLY_LOCAL_PARTS


def fallback_chain(domain: str) -> list[Contact]:
    """abuse@ -> security@ -> postmaster@ -> root@ -> webmaster@ of `domain`, falling confidence."""
    name = domain.strip().rstrip(".").lower()
    if not name or "@" in name:
        return []
    return [
        Contact(email=f"{local}@{name}", source="fallback", confidence=round(0.5 - 0.1 * n, 2))
        for n, local in enumerate(FALLBACK_LOCAL_PARTS)
    ]


def responsible_domain(incident: Incident, *, from_contacts: bool = True) -> str | None:
    """The backtrace's domain, else the registrable domain of the PTR name, else (when
    `from_contacts`) of the first contact's mailbox that is not a registry's."""
    network = incident.network or {}
    for candidate in (network.get("domain"), incident.ptr):
        domain = registrable_domain(candidate) if isinstance(candidate, str) else None
        if domain:
            return domain
    if not from_contacts:
        return None
    registries = {desk.rpartition("@")[2] for desk in registry_desks()}
    for contact in incident.contacts:
        domain = registrable_domain(contact.email.rpartition("@")[2])
        if domain and domain not in registries:
            return domain
    return None


def extend_with_fallbacks(incident: Incident) -> bool:
    """Append the fallback mailboxes the incident has not tried yet; True when any were added."""
    domain = responsible_domain(incident)
    if not domain:
        return False
    known = {contact.email.lower() for contact in incident.contacts}
    added = [contact for contact in fallback_chain(domain) if contact.email not in known]
    incident.contacts.extend(added)
    return bool(added)
