"""RDAP servers that misbehave on the wire: a total deadline per request, bounded JSON depth.

A raw loopback TCP server plays the registry, so the bytes (and their timing) are exactly what
a slow or hostile server sends; the client under test is the real urllib-based one.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from probewatch import cli
from probewatch.backtrace.http_deadline import urlopen
from probewatch.backtrace.rdap import RdapClient, fetch_json
from probewatch.backtrace.throttle import Throttle, TransientError
from probewatch.errors import LookupFailed
from probewatch.local.dns_server import DnsServer

pytestmark = pytest.mark.network

NETWORK = {
    "objectClassName": "ip network",
    "handle": "NET-TEST",
    "startAddress": "81.2.69.0",
    "endAddress": "81.2.69.255",
    "ipVersion": "v4",
    "port43": "whois.ripe.net",
}


def http_response(body: bytes, status: str = "200 OK") -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: application/rdap+json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


@contextmanager
def raw_server(
    payload: bytes, drip_from: int | None = None, interval: float = 0.0
) -> Iterator[str]:
    """Serve `payload` to every connection; from byte `drip_from` on, one byte per `interval`."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                cut = len(payload) if drip_from is None else drip_from
                conn.sendall(payload[:cut])
                for offset in range(cut, len(payload)):
                    if stop.wait(interval):
                        return
                    conn.sendall(payload[offset : offset + 1])
            except OSError:
                return  # the client gave up: exactly what we want

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(2)
        listener.close()


# A body that, at one byte every 0.4 s, would take well over a minute to arrive.
SLOW_BODY = json.dumps({**NETWORK, "remarks": [{"description": ["x" * 200]}]}).encode()


@pytest.mark.parametrize("where", ["headers", "body"])
def test_a_dripping_server_cannot_hold_a_request_past_its_deadline(where: str) -> None:
    payload = http_response(SLOW_BODY)
    drip_from = 5 if where == "headers" else len(payload) - len(SLOW_BODY) + 10
    # Each byte arrives well inside the 1 s socket timeout, so only a total deadline stops it.
    with raw_server(payload, drip_from=drip_from, interval=0.4) as url:
        started = time.monotonic()
        with pytest.raises(TransientError, match="within 1s"):
            fetch_json(url + "/ip/81.2.69.1", urlopen, timeout=1.0)
        elapsed = time.monotonic() - started
    assert elapsed < 3.0, elapsed  # 1 s deadline; the drip alone would need > 80 s


def test_a_dripping_server_bounds_the_whole_lookup_with_retries() -> None:
    payload = http_response(SLOW_BODY)
    with raw_server(payload, drip_from=5, interval=0.4) as url:
        client = RdapClient(url, throttle=Throttle(limits={}, base_delay=0.01), timeout=1.0)
        started = time.monotonic()
        with pytest.raises(LookupFailed, match="after 3 attempts"):
            client.lookup("81.2.69.1")
        elapsed = time.monotonic() - started
    assert elapsed < 6.0, elapsed  # 3 attempts x 1 s, not 3 x the drip


def test_a_prompt_server_is_read_whole() -> None:
    with raw_server(http_response(json.dumps(NETWORK).encode())) as url:
        network = RdapClient(url, throttle=Throttle(limits={})).lookup("81.2.69.1")
    assert network is not None and network.cidrs == ["81.2.69.0/24"]


def deeply_nested(depth: int) -> bytes:
    entity = '{"roles": ["abuse"], "entities": [' * depth + "{}" + "]}" * depth
    return json.dumps(NETWORK)[:-1].encode() + b', "entities": [' + entity.encode() + b"]}"


def test_deeply_nested_json_fails_that_lookup_cleanly() -> None:
    with raw_server(http_response(deeply_nested(5_000))) as url:
        client = RdapClient(url, throttle=Throttle(limits={}))
        with pytest.raises(LookupFailed, match="nested deeper"):
            client.lookup("81.2.69.1")


def test_deeply_nested_json_gives_the_cli_an_error_line_not_a_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with (
        raw_server(http_response(deeply_nested(5_000))) as url,
        DnsServer({"records": {}}) as dns,
    ):
        status = cli.main(
            ["backtrace", "--json", "--dns-servers", dns.address, "--rdap-url", url, "81.2.69.1"]
        )
    record = json.loads(capsys.readouterr().out)
    assert status == 1 and record["ip"] == "81.2.69.1" and "nested deeper" in record["error"]


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    remark = {"description": ["[" * 5000 + "{" * 5000 + '\\"' + "]"]}
    body = json.dumps({**NETWORK, "remarks": [remark]}).encode()
    with raw_server(http_response(body)) as url:
        network = RdapClient(url, throttle=Throttle(limits={})).lookup("81.2.69.1")
    assert network is not None
