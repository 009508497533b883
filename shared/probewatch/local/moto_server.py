"""moto in server mode on loopback: the AWS the local stack talks to.

Everything goes through real boto3 calls to this endpoint, exactly as it would to AWS.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
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

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=_free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    try:
        yield endpoint
    finally:
        del os.environ["AWS_ENDPOINT_URL"]
        server.stop()


def sent_messages() -> list[tuple[list[str], str]]:
    """Every message SES accepted in this process's moto: (destinations, raw RFC 5322 text).

    The local stack runs moto in-process, so its SES backend is readable directly; this is how
    the demo shows what went out (moto does not deliver mail anywhere)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    backend = ses_backends[DEFAULT_ACCOUNT_ID][os.environ.get("AWS_DEFAULT_REGION", "us-east-1")]
    out: list[tuple[list[str], str]] = []
    for message in backend.sent_messages:
        raw = getattr(message, "raw_data", None)
        if raw is None:  # a Simple-content send; rebuild a minimal text form
            raw = f"Subject: {message.subject}\n\n{message.body}"
        out.append((message_destinations(message), raw))
    return out


def message_destinations(message: object) -> list[str]:
    """Each recipient once: moto lists a raw message's To: both from the call and the header."""
    destinations = getattr(message, "destinations", [])
    if isinstance(destinations, dict):
        destinations = [a for addresses in destinations.values() for a in addresses]
    return list(dict.fromkeys(parseaddr(d)[1].lower() for d in destinations if d))
