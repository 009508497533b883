"""Who may get an immediate reply (no backscatter, no loops), and what the reply says."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from probewatch import immediate_replies
from probewatch.immediate_replies import reply_no_events, reply_not_registered, why_not_reply
from probewatch.mail.auth import AuthVerdict
from probewatch.mail.inbound import InboundMail, read_email

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mail"
NOW = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)


@dataclass
class Settings:
    table_name: str = "t"
    sender_address: str = "reports@probes.example.org"
    inbound_address: str = "report@probes.example.org"
    replies_per_day: int = 5
    self_service: bool = True


def good_mail() -> InboundMail:
    return read_email((FIXTURES / "not_firewall.eml").read_bytes())


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({}, None),
        ({"auth": AuthVerdict(spf="fail", dkim="fail")}, "not-authenticated"),
        ({"auth": AuthVerdict(spf="pass", dmarc="fail")}, "not-authenticated"),
        ({"auth": AuthVerdict(spf="pass", spam="fail")}, "spam-or-virus"),
        ({"auto_submitted": True}, "automated"),
        ({"sender": "report@probes.example.org"}, "system-address"),
        ({"sender": "mailer-daemon@example.net"}, "system-address"),
        ({"sender": "no-reply@example.net"}, "system-address"),
    ],
)
def test_why_not_reply(change: dict[str, Any], why: str | None) -> None:
    assert why_not_reply(replace(good_mail(), **change), Settings()) == why


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []

    def fake_send_reply(mail: InboundMail, body: str, **kwargs: Any) -> bool:
        calls.append({"to": mail.sender, "body": body, **kwargs})
        return True

    monkeypatch.setattr(immediate_replies, "send_reply", fake_send_reply)
    return calls


def test_no_events_reply_names_what_was_found(sent: list[dict[str, Any]]) -> None:
    assert reply_no_events(
        good_mail(),
        Settings(),
        NOW,
        lines=12,
        formats={"netfilter": 1},
        rejected={"too-old": 1},
        examples={"too-old": "Nov 20 10:00:00 gw kernel: ..."},
    )
    (call,) = sent
    body = call["body"]
    assert "lines read: 12" in body
    assert "log formats recognised: netfilter (1)" in body
    assert "1 line(s) not usable: too-old" in body and "e.g. Nov 20 10:00:00" in body
    assert "inline" in body and "as attachments" in body
    assert (call["limit"], call["table_name"], call["sender"]) == (
        5,
        "t",
        "reports@probes.example.org",
    )


def test_register_reply_depends_on_self_service(sent: list[dict[str, Any]]) -> None:
    reply_not_registered(good_mail(), Settings(), NOW)
    reply_not_registered(good_mail(), Settings(self_service=False), NOW)
    assert "SUBSCRIBE" in sent[0]["body"]
    assert "SUBSCRIBE" not in sent[1]["body"] and "operator" in sent[1]["body"]


def test_nothing_is_sent_to_forged_senders(sent: list[dict[str, Any]]) -> None:
    forged = replace(good_mail(), auth=AuthVerdict(spf="softfail"))
    assert not reply_not_registered(forged, Settings(), NOW)
    assert sent == []
