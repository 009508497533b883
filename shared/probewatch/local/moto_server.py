"""moto in server mode on loopback: the AWS the local stack talks to.

Everything goes through real boto3 calls to this endpoint, exactly as it would to AWS.
"""

from __future__ import annotations

import json
import os
import socket
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parseaddr

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def local_aws() -> Iterator[str]:
    """Yield the endpoint URL to use: AWS_ENDPOINT_URL if already set, else a fresh moto
    server on a random loopback port (stopped on exit). Sets fake credentials when none exist,
    so the local stack can never touch a real account by accident."""
    for name, value in FAKE_CREDENTIALS.items():
        os.environ.setdefault(name, value)
    existing = os.environ.get("AWS_ENDPOINT_URL")
    if existing:
        yield existing
        return
    from moto.server import ThreadedMotoServer

    # Port 0: the OS picks a free port as the server binds (asking first, then binding, races
    # with anything else starting a server at the same moment, e.g. a second test run).
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    _IN_PROCESS.add(endpoint)
    try:
        yield endpoint
    finally:
        _IN_PROCESS.discard(endpoint)
        del os.environ["AWS_ENDPOINT_URL"]
        server.stop()


# Endpoints of moto servers running in this process (their SES backend is readable directly).
_IN_PROCESS: set[str] = set()


@dataclass(frozen=True)
class SentMail:
    """One message moto's SES accepted."""

    id: str
    source: str
    destinations: list[str]
    raw: str


def sent_mail() -> list[SentMail]:
    """Every message moto's SES accepted, oldest first: read from the backend when moto runs
    in this process, else from the moto server's own state API (`/moto-api/data.json`), so an
    `AWS_ENDPOINT_URL` naming a separately started moto server works too."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if endpoint and endpoint not in _IN_PROCESS:
        with urllib.request.urlopen(f"{endpoint.rstrip('/')}/moto-api/data.json") as response:
            ses = json.load(response).get("ses", {})
        return [
            SentMail(
                id=str(m.get("id")),
                source=str(m.get("source", "")),
                destinations=_unique(m.get("destinations") or []),
                raw=str(m.get("raw_data") or f"Subject: {m.get('subject')}\n\n{m.get('body')}"),
            )
            for m in [*ses.get("RawMessage", []), *ses.get("Message", [])]
        ]
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    backend = ses_backends[DEFAULT_ACCOUNT_ID][os.environ.get("AWS_DEFAULT_REGION", "us-east-1")]
    out = []
    for message in backend.sent_messages:
        raw = getattr(message, "raw_data", None)
        if raw is None:  # a Simple-content send; rebuild a minimal text form
            raw = f"Subject: {message.subject}\n\n{message.body}"
        out.append(SentMail(message.id, message.source, message_destinations(message), raw))
    return out


def sent_messages(since: frozenset[str] = frozenset()) -> list[tuple[list[str], str]]:
    """(destinations, raw RFC 5322 text) of every message SES accepted, except the ids in
    `since` (what a long-running moto server held before this run). moto delivers nothing
    anywhere; this is how the demo shows what went out."""
    return [(m.destinations, m.raw) for m in sent_mail() if m.id not in since]


def message_destinations(message: object) -> list[str]:
    """Each recipient once: moto lists a raw message's To: both from the call and the header."""
    destinations = getattr(message, "destinations", [])
    if isinstance(destinations, dict):
        destinations = [a for addresses in destinations.values() for a in addresses]
    return list(dict.fromkeys(parseaddr(d)[1].lower() for d in destinations if d))


def _unique(addresses: list[str]) -> list[str]:
    return list(dict.fromkeys(parseaddr(a)[1].lower() for a in addresses if a))
