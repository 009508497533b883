"""From a source IP to the mailboxes that can act on it.

`Backtracer.trace(ip)`: special addresses are answered before any lookup; otherwise RDAP for
the covering network (cached by network), reverse DNS with forward confirmation and Abusix
(cached per address), then the ranked contacts. A lookup that fails raises LookupFailed:
the caller leaves the incident pending rather than mailing a guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from probewatch.backtrace.abusix import abusix_contacts
from probewatch.backtrace.asn import origin_asn
from probewatch.backtrace.cache import BacktraceCache, MemoryCache
from probewatch.backtrace.contacts import CONFIDENCE, fallback_chain, rank_contacts
from probewatch.backtrace.dnsclient import DnsClient
from probewatch.backtrace.domains import registrable_domain
from probewatch.backtrace.rdap import RdapClient, RdapNetwork
from probewatch.backtrace.rdns import confirmed_ptr
from probewatch.backtrace.special import normalise_ip, reportable_reason
from probewatch.backtrace.throttle import Throttle
from probewatch.errors import LookupFailed
from probewatch.model import Contact


@dataclass(slots=True)
class BacktraceResult:
    """Everything the backtrace learned about one address (the CLI's JSON object)."""

    ip: str
    reportable: bool
    reason: str | None = None
    ptr: str | None = None
    domain: str | None = None
    network: dict[str, Any] = field(default_factory=dict)
    contacts: list[Contact] = field(default_factory=list)
    abusix: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "ip": self.ip,
            "reportable": self.reportable,
            "reason": self.reason,
            "ptr": self.ptr,
            "domain": self.domain,
            "network": self.network,
            "contacts": [contact.to_json() for contact in self.contacts],
        }


def network_summary(network: RdapNetwork | None, ip: str) -> dict[str, Any]:
    if network is None:
        return {}
    return {
        "cidr": network.covering_cidr(ip),
        "cidrs": list(network.cidrs),
        "name": network.name,
        "handle": network.handle,
        "rir": network.rir,
        "asn": network.asn,
        "country": network.country,
    }


class Backtracer:
    """One per run: it holds the per-run cache, the throttle and the request counters.

    `dns_servers` / `rdap_url` are PROBEWATCH_DNS_SERVERS / PROBEWATCH_RDAP_URL (None: the
    system resolver and the IANA bootstrap). `cache` is a durable cache (e.g.
    probewatch.store.cache.DynamoBacktraceCache) placed behind the in-memory one.
    """

    def __init__(
        self,
        dns_servers: str | None = None,
        rdap_url: str | None = None,
        cache: BacktraceCache | None = None,
        *,
        throttle: Throttle | None = None,
        dns_timeout: float = 3.0,
        rdap_timeout: float = 5.0,
    ) -> None:
        self.dns = DnsClient(dns_servers, timeout=dns_timeout)
        self.rdap = RdapClient(rdap_url, throttle=throttle or Throttle(), timeout=rdap_timeout)
        self.cache = MemoryCache(cache)

    @classmethod
    def from_settings(cls, settings: Any) -> Backtracer:
        """For the aggregate function: its settings' DNS/RDAP overrides and the DynamoDB cache."""
        from probewatch.store.cache import DynamoBacktraceCache

        return cls(
            dns_servers=settings.dns_servers,
            rdap_url=settings.rdap_url,
            cache=DynamoBacktraceCache(settings.table_name),
        )

    @property
    def requests(self) -> dict[str, int]:
        """What this backtracer actually sent (cache hits send nothing)."""
        return {
            "rdap_network": self.rdap.requests["ip"],
            "rdap_entity": self.rdap.requests["entity"],
            "dns": self.dns.queries,
        }

    def prefetch(self, ips: list[str]) -> None:
        """Load cached network and host answers for many addresses at once (100 keys per request)."""
        addresses = [ip for ip in map(normalise_ip, ips) if ip and reportable_reason(ip) is None]
        self.cache.prefetch_networks(addresses)
        self.cache.prefetch_hosts(addresses)

    def trace_many(self, ips: list[str]) -> dict[str, BacktraceResult | LookupFailed]:
        """Trace many addresses with bulk cache reads and writes; a failed one maps to its error."""
        self.prefetch(ips)
        results: dict[str, BacktraceResult | LookupFailed] = {}
        with self.cache.deferred_host_writes():
            for ip in ips:
                if ip in results:
                    continue
                try:
                    results[ip] = self.trace(ip)
                except LookupFailed as exc:
                    results[ip] = exc
        return results

    def trace(self, ip: str) -> BacktraceResult:
        reason = reportable_reason(ip)
        normalised = normalise_ip(ip)
        if reason is not None or normalised is None:
            return BacktraceResult(ip=normalised or ip.strip(), reportable=False, reason=reason)
        network = self._network(normalised)
        host = self._host(normalised, network)
        return BacktraceResult(
            ip=normalised,
            reportable=True,
            ptr=host.get("ptr"),
            domain=host.get("domain"),
            network=network_summary(network, normalised),
            contacts=rank_contacts(network, host.get("abusix", []), host.get("domain")),
            abusix=list(host.get("abusix", [])),
        )

    def fallback_chain(self, domain: str | None) -> list[Contact]:
        """After a bounce: postmaster@, root@, webmaster@ of `domain`."""
        return fallback_chain(domain)

    def _network(self, ip: str) -> RdapNetwork | None:
        cached = self.cache.get_network(ip)
        if cached is not None:
            return cached
        network = self.rdap.lookup(ip)
        if network is None:
            return None  # the registry has no record: not cached, rare and worth re-asking
        if network.asn is None:
            network.asn = origin_asn(self.dns, ip)
        # An answer missing an abuse entity (its fetch failed) serves this run only, so the
        # durable cache does not keep an incomplete contact list for a week.
        self.cache.put_network(network, ip, durable=not network.incomplete)
        return network

    def _host(self, ip: str, network: RdapNetwork | None) -> dict[str, Any]:
        cached = self.cache.get_host(ip)
        if cached is not None:
            return cached
        try:
            ptr = confirmed_ptr(self.dns, ip)
            answer = {
                "ptr": ptr,
                "domain": registrable_domain(ptr),
                "abusix": abusix_contacts(self.dns, ip),
            }
        except LookupFailed:
            if _has_usable_rdap_contact(network):
                return {}  # DNS is down but the registry named a desk: report without it
            raise
        self.cache.put_host(ip, answer)
        return answer


def _has_usable_rdap_contact(network: RdapNetwork | None) -> bool:
    contacts = rank_contacts(network)
    return bool(contacts) and contacts[0].confidence > CONFIDENCE["helpdesk"]
