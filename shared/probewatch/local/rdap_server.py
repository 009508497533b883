"""A loopback RDAP server serving recorded responses (stdlib ThreadingHTTPServer).

`GET /ip/{ip}` (or `/ip/{prefix}/{len}`) answers with the recorded ip-network object whose
range holds the address, the most specific one when several do; `GET /entity/{handle}`
answers with a recorded entity; anything else is 404. Files are JSON: an object with
`objectClassName: "entity"` (or named `entity_*.json`) is an entity, anything else a network.

`with RdapServer(folder) as server:` gives `server.url` (the base for PROBEWATCH_RDAP_URL)
and `server.requests` (a Counter: "ip", "entity", "other", and "not-found"/"failed" among them); `server.fail_next(n, status)`
makes the next n requests fail, for tests. `with serve_rdap(folder) as url:` for the demo.
"""

from __future__ import annotations

import ipaddress
import json
import threading
import urllib.parse
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ipwhois.utils import ipv4_lstrip_zeros

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _address(text: Any) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    cleaned = str(text).split("/", 1)[0].strip()
    if "." in cleaned and ":" not in cleaned:
        cleaned = ipv4_lstrip_zeros(cleaned)  # ARIN once wrote 074.125.000.000
    return ipaddress.ip_address(cleaned)


def network_ranges(doc: dict[str, Any]) -> list[Network]:
    """The prefixes an ip-network object covers: cidr0_cidrs, else start..end decomposed."""
    cidrs = []
    for item in doc.get("cidr0_cidrs") or []:
        prefix = item.get("v4prefix") or item.get("v6prefix")
        if prefix and item.get("length") is not None:
            cidrs.append(ipaddress.ip_network(f"{prefix}/{item['length']}", strict=False))
    if cidrs:
        return cidrs
    start, end = _address(doc["startAddress"]), _address(doc["endAddress"])
    return list(ipaddress.summarize_address_range(start, end))


class RdapFixtures:
    """Recorded answers: networks (with their ranges) and entities by handle."""

    def __init__(self, sources: Iterable[Path | dict[str, Any]] = ()) -> None:
        self.networks: list[tuple[Network, dict[str, Any]]] = []
        self.entities: dict[str, dict[str, Any]] = {}
        for source in sources:
            self.add(source)

    @classmethod
    def from_folder(cls, folder: Path) -> RdapFixtures:
        return cls(sorted(Path(folder).glob("*.json")))

    def add(self, source: Path | dict[str, Any]) -> None:
        if isinstance(source, dict):
            doc, is_entity = source, source.get("objectClassName") == "entity"
        else:
            doc = json.loads(Path(source).read_text("utf-8"))
            is_entity = doc.get("objectClassName") == "entity" or source.name.startswith("entity_")
        if is_entity:
            self.entities[str(doc["handle"]).upper()] = doc
            return
        for network in network_ranges(doc):
            self.networks.append((network, doc))

    def network_for(self, query: str) -> dict[str, Any] | None:
        try:
            address = _address(query)
        except ValueError:
            return None
        best: tuple[int, dict[str, Any]] | None = None
        for network, doc in self.networks:
            holds = network.version == address.version and address in network
            if holds and (best is None or network.prefixlen > best[0]):
                best = (network.prefixlen, doc)
        return best[1] if best else None


class RdapServer:
    """The fixture RDAP server on 127.0.0.1 and a random port (a context manager)."""

    def __init__(self, fixtures: RdapFixtures | Path | Iterable[Path]) -> None:
        if isinstance(fixtures, RdapFixtures):
            self.fixtures = fixtures
        elif isinstance(fixtures, Path) and fixtures.is_dir():
            self.fixtures = RdapFixtures.from_folder(fixtures)
        else:
            self.fixtures = RdapFixtures([fixtures] if isinstance(fixtures, Path) else fixtures)
        self.requests: Counter[str] = Counter()
        self.paths: list[str] = []
        self._failures: list[int] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread: threading.Thread | None = None

    def fail_next(self, count: int, status: int = 503) -> None:
        with self._lock:
            self._failures.extend([status] * count)

    def reset_counts(self) -> None:
        with self._lock:
            self.requests.clear()
            self.paths.clear()

    def answer(self, path: str) -> tuple[int, dict[str, Any] | None]:
        """(status, body) for a request path; counts it."""
        parts = [urllib.parse.unquote(p) for p in path.split("?", 1)[0].split("/") if p]
        with self._lock:
            self.paths.append(path)
            if self._failures:
                self.requests["failed"] += 1
                return self._failures.pop(0), None
        if len(parts) >= 2 and parts[0] == "ip":
            kind, doc = "ip", self.fixtures.network_for(parts[1])
        elif len(parts) == 2 and parts[0] == "entity":
            kind, doc = "entity", self.fixtures.entities.get(parts[1].upper())
        else:
            kind, doc = "other", None
        with self._lock:
            self.requests[kind] += 1
            if doc is None:
                self.requests["not-found"] += 1
        return (200, doc) if doc is not None else (404, None)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                status, doc = server.answer(self.path)
                body = json.dumps(doc if doc is not None else {"errorCode": status}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/rdap+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return  # tests and the demo print their own summaries

        return Handler

    def __enter__(self) -> RdapServer:
        # A short poll interval keeps shutdown (and so every test using the server) quick.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@contextmanager
def serve_rdap(fixtures: RdapFixtures | Path | Iterable[Path]) -> Iterator[str]:
    """Run the server for the block; yields its base URL for PROBEWATCH_RDAP_URL."""
    with RdapServer(fixtures) as server:
        yield server.url
