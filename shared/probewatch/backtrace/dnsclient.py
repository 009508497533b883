"""One DNS client for every backtrace query (PTR, A/AAAA, TXT), honouring PROBEWATCH_DNS_SERVERS.

`dns_servers` is `host[:port]` comma-separated (IPv6 as `[addr]:port`); None means the system
resolver. A name that does not exist is an answer (an empty list); a timeout or an unreachable
server raises LookupFailed so the caller can leave its work pending.
"""

from __future__ import annotations

import socket

import dns.exception
import dns.nameserver
import dns.resolver

from probewatch.errors import ConfigError, LookupFailed


def parse_servers(dns_servers: str) -> list[tuple[str, int]]:
    """`"127.0.0.1:5353, [::1]:53, ns.example.net"` -> [(address, port), ...]; ConfigError if bad."""
    servers: list[tuple[str, int]] = []
    for item in (part.strip() for part in dns_servers.split(",")):
        if not item:
            continue
        host, port = item, 53
        if item.startswith("["):
            host, _, rest = item[1:].partition("]")
            if rest.startswith(":"):
                port = _port(rest[1:], item)
        elif item.count(":") == 1:
            host, port_text = item.split(":")
            port = _port(port_text, item)
        servers.append((_address_of(host, item), port))
    if not servers:
        raise ConfigError("PROBEWATCH_DNS_SERVERS names no server")
    return servers


def _port(text: str, item: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ConfigError(f"PROBEWATCH_DNS_SERVERS: bad port in {item!r}")
    return int(text)


def _address_of(host: str, item: str) -> str:
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
        return host
    except OSError:
        pass
    try:
        return str(socket.getaddrinfo(host, None)[0][4][0])
    except OSError as exc:
        raise ConfigError(f"PROBEWATCH_DNS_SERVERS: cannot resolve {item!r}") from exc


class DnsClient:
    """Thin wrapper over dnspython's Resolver that counts queries (for tests and the bench)."""

    def __init__(self, dns_servers: str | None = None, timeout: float = 3.0) -> None:
        if dns_servers:
            self.resolver = dns.resolver.Resolver(configure=False)
            self.resolver.nameservers = [
                dns.nameserver.Do53Nameserver(address, port)
                for address, port in parse_servers(dns_servers)
            ]
        else:
            self.resolver = dns.resolver.Resolver()
        self.resolver.lifetime = timeout
        self.resolver.timeout = timeout
        self.queries = 0

    def query(self, name: str, rdtype: str) -> list[str]:
        """The answer's records as text (TXT strings joined, names without trailing dot).

        NXDOMAIN, no data, and SERVFAIL (a lame or broken zone, which retrying won't fix)
        give []; a timeout or no reachable server raises LookupFailed.
        """
        self.queries += 1
        try:
            answer = self.resolver.resolve(name, rdtype, raise_on_no_answer=False)
        except dns.resolver.NXDOMAIN:
            return []
        except dns.resolver.NoNameservers as exc:
            if _servers_answered(exc):
                return []
            raise LookupFailed(f"DNS {rdtype} {name}: no server reachable") from exc
        except dns.exception.Timeout as exc:
            raise LookupFailed(f"DNS {rdtype} {name}: timed out") from exc
        except dns.exception.DNSException as exc:
            raise LookupFailed(f"DNS {rdtype} {name}: {exc}") from exc
        if answer.rrset is None:
            return []
        return [_as_text(rdata, rdtype) for rdata in answer.rrset]


def _servers_answered(exc: dns.resolver.NoNameservers) -> bool:
    """True when every server replied (e.g. SERVFAIL), False when one could not be reached."""
    errors = exc.kwargs.get("errors") or []
    return bool(errors) and all(len(err) > 4 and err[4] is not None for err in errors)


def _as_text(rdata: object, rdtype: str) -> str:
    if rdtype == "TXT":
        return b"".join(rdata.strings).decode("utf-8", "replace")  # type: ignore[attr-defined]
    return rdata.to_text().rstrip(".")  # type: ignore[attr-defined]
