"""The demo's simulated SES stamps a plain saved email as SES would; ingest then reads it as
it reads one SES really stamped. Also: the demo keeps DNS/RDAP servers set in the environment."""

from __future__ import annotations

import os
from contextlib import ExitStack
from datetime import UTC, datetime

import pytest
from mime_samples import fixture, ufw_line

from probewatch.local import demo
from probewatch.local.ses_inbound import has_ses_stamp, stamp
from probewatch.mail.inbound import read_email

RECEIVED = datetime(2026, 11, 24, 20, 0, 5, tzinfo=UTC)
PLAIN = (
    "From: Alice <alice@example.net>\r\nTo: report@probes.example.org\r\n"
    "Subject: Fwd: log\r\nDate: Tue, 24 Nov 2026 19:59:00 +0000\r\n"
    f"Message-ID: <saved@mail.example.net>\r\n\r\n{ufw_line(0)}\r\n"
).encode()


def _stamp(raw: bytes, verdicts: dict[str, dict[str, str]] | None = None) -> bytes:
    return stamp(
        raw,
        RECEIVED,
        region="us-east-1",
        inbound_address="report@probes.example.org",
        verdicts=verdicts,
    )


def test_a_plain_saved_email_is_read_as_a_stamped_one() -> None:
    assert not read_email(PLAIN).auth.passed  # what the demo did before: not-authenticated
    stamped = _stamp(PLAIN)
    assert has_ses_stamp(stamped) and not has_ses_stamp(PLAIN)
    mail = read_email(stamped)
    assert mail.auth.passed and mail.auth.spam == "pass" and mail.auth.virus == "pass"
    assert mail.received_at == RECEIVED
    assert mail.sender == "alice@example.net"
    assert stamped.startswith(b"Return-Path: <alice@example.net>\r\nReceived: ")


def test_reporters_json_can_make_one_sender_fail() -> None:
    verdicts = {"alice@example.net": {"spf": "fail", "dkim": "fail"}}
    mail = read_email(_stamp(PLAIN, verdicts))
    assert not mail.auth.passed
    assert (mail.auth.spf, mail.auth.dkim) == ("fail", "fail")
    other = PLAIN.replace(b"alice@example.net", b"bob@example.org")
    assert read_email(_stamp(other, verdicts)).auth.passed


@pytest.mark.parametrize("name", ["auth_failed.eml", "auth_dmarc_fail.eml", "gmail_inline.eml"])
def test_an_email_with_its_own_ses_stamp_keeps_its_verdicts(name: str) -> None:
    raw = fixture(name)
    own = read_email(raw).auth
    stamped = _stamp(raw)
    assert stamped.endswith(raw)
    mail = read_email(stamped)
    assert mail.auth == own
    assert mail.received_at == RECEIVED  # the simulated receipt time is on top


def test_a_saved_return_path_is_replaced_by_the_envelope_one() -> None:
    raw = b"Return-Path: <alice@example.net>\r\n" + PLAIN.replace(
        b"From: Alice <alice@example.net>", b"From::;q"
    )
    stamped = _stamp(raw)
    assert stamped.count(b"Return-Path:") == 1
    mail = read_email(stamped)
    assert mail.sender == "alice@example.net" and mail.auth.passed


def test_demo_keeps_dns_and_rdap_servers_set_in_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PROBEWATCH_DNS_SERVERS", "127.0.0.9:5353")
    monkeypatch.setenv("PROBEWATCH_RDAP_URL", "http://127.0.0.9:8080/rdap")
    with ExitStack() as stack:
        demo._start_fixture_servers(stack, live=False)
        assert os.environ["PROBEWATCH_DNS_SERVERS"] == "127.0.0.9:5353"
        assert os.environ["PROBEWATCH_RDAP_URL"] == "http://127.0.0.9:8080/rdap"


def test_demo_starts_fixture_servers_only_for_what_is_unset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PROBEWATCH_DNS_SERVERS", "127.0.0.9:5353")
    monkeypatch.delenv("PROBEWATCH_RDAP_URL", raising=False)
    with ExitStack() as stack:
        demo._start_fixture_servers(stack, live=False)
        assert os.environ["PROBEWATCH_DNS_SERVERS"] == "127.0.0.9:5353"
        assert os.environ["PROBEWATCH_RDAP_URL"].startswith("http://127.0.0.1")


def test_live_with_nothing_set_starts_no_fixture_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROBEWATCH_DNS_SERVERS", raising=False)
    monkeypatch.delenv("PROBEWATCH_RDAP_URL", raising=False)
    with ExitStack() as stack:
        demo._start_fixture_servers(stack, live=True)
        assert "PROBEWATCH_DNS_SERVERS" not in os.environ
        assert "PROBEWATCH_RDAP_URL" not in os.environ
