"""RDAP: the registry's record for the network holding an address, and its abuse mailboxes.

Network fields are parsed with ipwhois's RDAP network parser (after cleaning the quirks real
registries emit: "/32" suffixes, zero-padded octets, missing handles). ipwhois chooses the
registry through Team Cymru whois/DNS and does not read nested entities' vCards, so fetching
(`RdapClient`) and the abuse-entity walk (`abuse_candidates`) are our own.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from ipwhois.exceptions import InvalidNetworkObject
from ipwhois.rdap import _RDAPNetwork

from probewatch.backtrace.http_deadline import BodyTooLarge
from probewatch.backtrace.http_deadline import urlopen as deadline_urlopen
from probewatch.backtrace.rdap_entities import (
    AbuseCandidate,
    EntityFetcher,
    abuse_candidates,
    registrant_names,
)
from probewatch.backtrace.throttle import Throttle, TransientError
from probewatch.errors import LookupFailed
from probewatch.observability import logger

IANA_BOOTSTRAP = {
    4: "https://data.iana.org/rdap/ipv4.json",
    6: "https://data.iana.org/rdap/ipv6.json",
}
_RIR_BY_HOST = {
    "arin": "ARIN",
    "ripe": "RIPE",
    "apnic": "APNIC",
    "lacnic": "LACNIC",
    "afrinic": "AFRINIC",
    "nic.br": "LACNIC",  # registro.br, the NIR under LACNIC
    "registro.br": "LACNIC",
    "nic.ad.jp": "APNIC",  # JPNIC
    "jpnic": "APNIC",
    "krnic": "APNIC",
    "kisa.or.kr": "APNIC",
    "idnic": "APNIC",
    "twnic": "APNIC",
    "cnnic": "APNIC",
}
_RIR_BY_HANDLE_SUFFIX = {
    "-ARIN": "ARIN",
    "-RIPE": "RIPE",
    "-AP": "APNIC",
    "-JP": "APNIC",
    "-AU": "APNIC",
    "-LACNIC": "LACNIC",
    "-AFRINIC": "AFRINIC",
}


@dataclass(slots=True)
class RdapNetwork:
    """What one RDAP ip-network answer tells us; JSON-safe for the caches."""

    cidrs: list[str]
    handle: str | None = None
    name: str | None = None
    country: str | None = None
    rir: str | None = None
    asn: int | None = None
    registrant_names: list[str] = field(default_factory=list)
    abuse: list[AbuseCandidate] = field(default_factory=list)
    # An abuse entity could not be fetched: the answer is usable now, but not worth caching.
    incomplete: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RdapNetwork:
        abuse = [AbuseCandidate(**item) for item in data.get("abuse", [])]
        fields = {k: v for k, v in data.items() if k != "abuse" and k in cls.__slots__}
        return cls(abuse=abuse, **fields)

    def networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_network(cidr, strict=False) for cidr in self.cidrs]

    def covering_cidr(self, ip: str) -> str | None:
        address = ipaddress.ip_address(ip)
        for network in self.networks():
            if address.version == network.version and address in network:
                return str(network)
        return self.cidrs[0] if self.cidrs else None


# ---------------------------------------------------------------- parsing (pure)


def parse_network(doc: dict[str, Any], fetch_entity: EntityFetcher | None = None) -> RdapNetwork:
    """Parse an RDAP ip-network object. Raises LookupFailed when it is not one (no addresses).

    Abuse-role entities that come without a vCard are fetched with `fetch_entity(handle)`
    (None from it means "not available": the entity simply contributes no address).
    """
    cleaned = _cleaned(doc)
    parser = _RDAPNetwork(cleaned)
    try:
        parser.parse()
    except InvalidNetworkObject as exc:
        raise LookupFailed(f"RDAP answer is not an ip network: {exc}") from exc
    found = parser.vars
    cidrs = _cidr0(doc) or [c.strip() for c in (found.get("cidr") or "").split(",") if c.strip()]
    return RdapNetwork(
        cidrs=cidrs,
        handle=found.get("handle"),
        name=found.get("name") or None,
        country=found.get("country") or None,
        rir=rir_of(doc),
        asn=_origin_asn(doc),
        registrant_names=registrant_names(doc),
        abuse=abuse_candidates(doc, fetch_entity),
    )


def _strip_address(text: Any) -> Any:
    # RIPE (2018) and RIPE IPv6 (2015) answers carry "/32" or "/128" after the address.
    return text.split("/", 1)[0].strip() if isinstance(text, str) else text


def _cleaned(doc: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(doc)
    cleaned["startAddress"] = _strip_address(doc.get("startAddress"))
    cleaned["endAddress"] = _strip_address(doc.get("endAddress"))
    if not cleaned.get("ipVersion") and isinstance(cleaned["startAddress"], str):
        cleaned["ipVersion"] = "v6" if ":" in cleaned["startAddress"] else "v4"
    if not isinstance(cleaned.get("handle"), str) or not cleaned["handle"].strip():
        cleaned["handle"] = f"{cleaned['startAddress']} - {cleaned['endAddress']}"
    return cleaned


def _cidr0(doc: dict[str, Any]) -> list[str]:
    """The `cidr0_cidrs` extension (ARIN, RIPE...) when present: exact, no decomposition."""
    cidrs: list[str] = []
    for item in doc.get("cidr0_cidrs") or []:
        prefix = item.get("v4prefix") or item.get("v6prefix")
        length = item.get("length")
        if prefix and length is not None:
            try:
                cidrs.append(str(ipaddress.ip_network(f"{prefix}/{length}", strict=False)))
            except ValueError:
                continue
    return cidrs


def _origin_asn(doc: dict[str, Any]) -> int | None:
    for key in ("arin_originas0_originautnums", "originautnums"):
        values = doc.get(key)
        if isinstance(values, list) and values and str(values[0]).isdigit():
            return int(values[0])
    return None


def rir_of(doc: dict[str, Any]) -> str | None:
    """Which RIR answered, from port43, then links, then the handle's suffix."""
    hosts = [str(doc.get("port43") or "").lower()]
    for link in doc.get("links") or []:
        if isinstance(link, dict):
            url = str(link.get("href") or link.get("value") or "")
            hosts.append(urllib.parse.urlsplit(url).hostname or "")
    for host in hosts:
        for needle, rir in _RIR_BY_HOST.items():
            if needle in host:
                return rir
    handle = str(doc.get("handle") or "").upper()
    for suffix, rir in _RIR_BY_HANDLE_SUFFIX.items():
        if handle.endswith(suffix):
            return rir
    return None


# ---------------------------------------------------------------- fetching


@dataclass(frozen=True, slots=True)
class Endpoint:
    base: str
    rir: str | None  # None: an operator-chosen URL (PROBEWATCH_RDAP_URL)


class RdapClient:
    """GET {base}/ip/{ip} and {base}/entity/{handle}, politely (see throttle.py).

    With `base_url` every request goes there (PROBEWATCH_RDAP_URL); without it the IANA
    bootstrap files pick the RIR. `requests` counts what was actually sent, by kind.
    """

    def __init__(
        self,
        base_url: str | None = None,
        throttle: Throttle | None = None,
        timeout: float = 5.0,
        opener: Callable[..., Any] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/") if base_url else None
        self.throttle = throttle or Throttle()
        self.timeout = timeout
        self._open = opener or deadline_urlopen
        self.requests: Counter[str] = Counter()
        self._entities: dict[str, dict[str, Any] | None] = {}
        self._failed_entities: set[str] = set()  # not asked again this run

    def lookup(self, ip: str) -> RdapNetwork | None:
        """The network record for `ip`; None when the registry has none (404).

        Raises LookupFailed for timeouts, throttling and server errors (after retries).
        """
        endpoint = self._endpoint(ip)
        doc = self._get(endpoint, f"/ip/{ip}", "ip")
        if doc is None:
            return None
        failed: list[str] = []

        def fetch_entity(handle: str) -> dict[str, Any] | None:
            try:
                return self._entity(endpoint, handle)
            except LookupFailed as exc:
                # The network answer is good; losing one entity must not lose the address.
                failed.append(handle)
                logger.warning(
                    "RDAP entity fetch failed", extra={"handle": handle, "error": str(exc)}
                )
                return None

        network = parse_network(doc, fetch_entity)
        network.rir = network.rir or endpoint.rir
        network.incomplete = bool(failed)
        return network

    def _entity(self, endpoint: Endpoint, handle: str) -> dict[str, Any] | None:
        if handle in self._failed_entities:
            raise LookupFailed(f"entity {handle} failed earlier in this run")
        if handle not in self._entities:
            path = "/entity/" + urllib.parse.quote(handle, safe="")
            try:
                self._entities[handle] = self._get(endpoint, path, "entity")
            except LookupFailed:
                self._failed_entities.add(handle)
                raise
        return self._entities[handle]

    def _endpoint(self, ip: str) -> Endpoint:
        if self.base_url:
            return Endpoint(self.base_url, None)
        return bootstrap_endpoint(ip, self._open, self.timeout)

    def _get(self, endpoint: Endpoint, path: str, kind: str) -> dict[str, Any] | None:
        url = endpoint.base + path
        key = endpoint.rir or "custom"

        def request() -> dict[str, Any] | None:
            self.requests[kind] += 1
            return fetch_json(url, self._open, self.timeout)

        return self.throttle.call(key, request)


def fetch_json(url: str, opener: Callable[..., Any], timeout: float) -> dict[str, Any] | None:
    """GET an RDAP JSON document. 404 -> None; 429/5xx/network errors -> TransientError.

    `timeout` bounds the whole request with the default opener (http_deadline). An answer too
    large or nested too deep is a LookupFailed for that address, not worth retrying.
    """
    req = urllib.request.Request(url, headers={"Accept": "application/rdap+json, application/json"})
    try:
        with opener(req, timeout=timeout) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        if exc.code == 429 or exc.code >= 500:
            raise TransientError(f"HTTP {exc.code} from {url}", _retry_after(exc)) from exc
        raise LookupFailed(f"HTTP {exc.code} from {url}") from exc
    except BodyTooLarge as exc:
        raise LookupFailed(f"{url}: {exc}") from exc
    except (OSError, http.client.HTTPException) as exc:  # URLError, timeouts, resets, short reads
        raise TransientError(f"{url}: {exc}") from exc
    if _nesting_depth(body) > MAX_JSON_DEPTH:
        raise LookupFailed(f"{url}: JSON nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        doc = json.loads(body)
    except RecursionError as exc:  # belt and braces: the depth scan above should catch it
        raise LookupFailed(f"{url}: JSON nested too deep") from exc
    except ValueError as exc:
        raise TransientError(f"{url}: not JSON") from exc
    if not isinstance(doc, dict):
        raise TransientError(f"{url}: not a JSON object")
    return doc


# Real RDAP answers nest about 8 levels (network > entity > entity > vcardArray > item > value);
# json.loads recurses per level and fails with RecursionError near 1000.
MAX_JSON_DEPTH = 64
_BRACKETS = re.compile(rb'[\[\]{}]|"(?:[^"\\]|\\.)*"')


def _nesting_depth(body: bytes) -> int:
    """The deepest [ / { nesting in a JSON text, ignoring brackets inside strings (one regex pass)."""
    depth = deepest = 0
    for match in _BRACKETS.finditer(body):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif token in (b"]", b"}"):
            depth -= 1
    return deepest


def _retry_after(exc: urllib.error.HTTPError) -> float | None:
    value = exc.headers.get("Retry-After") if exc.headers else None
    return float(value) if value and re.fullmatch(r"\d+(\.\d+)?", value.strip()) else None


@lru_cache(maxsize=2)
def _bootstrap(version: int, opener: Callable[..., Any], timeout: float) -> list[tuple[Any, str]]:
    doc = fetch_json(IANA_BOOTSTRAP[version], opener, timeout) or {}
    table: list[tuple[Any, str]] = []
    for prefixes, urls in doc.get("services", []):
        https = [u for u in urls if u.startswith("https://")] or urls
        for prefix in prefixes:
            table.append((ipaddress.ip_network(prefix), https[0].rstrip("/")))
    table.sort(key=lambda row: -row[0].prefixlen)
    return table


def bootstrap_endpoint(ip: str, opener: Callable[..., Any], timeout: float) -> Endpoint:
    """The RIR RDAP base for `ip` from the IANA bootstrap registry (fetched once per process)."""
    address = ipaddress.ip_address(ip)
    try:
        table = _bootstrap(address.version, opener, timeout)
    except TransientError as exc:
        raise LookupFailed(f"IANA RDAP bootstrap unavailable: {exc}") from exc
    for network, base in table:
        if address in network:
            host = urllib.parse.urlsplit(base).hostname or ""
            rir = next((r for needle, r in _RIR_BY_HOST.items() if needle in host), None)
            return Endpoint(base, rir)
    raise LookupFailed(f"no RDAP service for {ip} in the IANA bootstrap")
