"""The local stack with `AWS_ENDPOINT_URL` naming a moto server it did not start (DESIGN.md):
what SES accepted is read over the server's state API, so `probewatch demo` still shows and
writes every message that went out, and only those of its own run."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import boto3
import pytest

from probewatch.local.moto_server import FAKE_CREDENTIALS, _free_port, sent_mail, sent_messages

pytestmark = pytest.mark.network


@pytest.fixture
def separate_moto(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A moto server in its own process, as `moto_server` or a container would run it."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # Importing moto's server takes seconds on a busy 2-core machine: wait generously,
        # but stop at once if the process died (its port was taken meanwhile).
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, "moto server exited"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "moto server did not start"
                time.sleep(0.1)
        for name, value in FAKE_CREDENTIALS.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()  # only the server this fixture started
        server.wait(timeout=10)


def _send(to: str, subject: str) -> str:
    ses = boto3.client("sesv2")
    raw = f"From: reports@probewatch.example\r\nTo: {to}\r\nSubject: {subject}\r\n\r\nhello\r\n"
    reply = ses.send_email(
        FromEmailAddress="reports@probewatch.example",
        Content={"Raw": {"Data": raw.encode()}},
    )
    return str(reply["MessageId"])


def test_sent_mail_is_read_from_a_separately_started_moto_server(separate_moto: str) -> None:
    boto3.client("sesv2").create_email_identity(EmailIdentity="probewatch.example")
    first = _send("Abuse <abuse@isp.example>", "Security issue - Source IP: 81.2.69.160")
    earlier = frozenset(m.id for m in sent_mail())
    assert earlier == {first}
    _send("alice@example.net", "probewatch digest")

    [mail] = [m for m in sent_mail() if m.id not in earlier]
    assert mail.destinations == ["alice@example.net"]
    assert "Subject: probewatch digest" in mail.raw
    # Only this run's messages, each recipient once.
    assert [to for to, _ in sent_messages(since=earlier)] == [["alice@example.net"]]
    assert [to for to, _ in sent_messages()] == [["abuse@isp.example"], ["alice@example.net"]]
