"""No automatic reply to machines (RFC 3834 and vendor marks) or to our own replies; log lines
split only where a line really ends."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email import message_from_bytes, policy
from typing import Any

import pytest
from mime_samples import fixture, ufw_line

from probewatch import immediate_replies
from probewatch.mail.inbound import InboundMail, read_email
from probewatch.mail.lines import normalize_line_ends
from probewatch.mail.loops import automated_reason
from probewatch.reporter_mail import build_reply

NOW = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)


def _headers(extra: str) -> Any:
    return message_from_bytes(
        f"From: a@example.net\r\n{extra}\r\n\r\nbody\r\n".encode(), policy=policy.default
    )


@pytest.mark.parametrize(
    ("header", "automated"),
    [
        ("X-Autoreply: yes", True),
        ("X-Autorespond: Out of office", True),
        ("X-Autoreply: no", False),
        ("Precedence: auto_reply", True),
        ("Precedence: bulk", True),
        ("Precedence: junk", True),
        ("Precedence: list", True),
        ("Precedence: first-class", False),
        ("Auto-Submitted: auto-replied", True),
        ("Auto-Submitted: auto-generated; owner-email=x@example.net", True),
        ("Auto-Submitted: no", False),
        ("X-Probewatch-Reply: auto-replied", True),
        ("Message-ID: <1.2.pw-reply@probes.example.org>", True),
        ("List-Id: <alerts.example.net>", True),
        ("X-Mailer: Thunderbird", False),
    ],
)
def test_automated_marks(header: str, automated: bool) -> None:
    assert (automated_reason(_headers(header)) is not None) is automated


def _our_reply() -> bytes:
    mail = read_email(fixture("not_firewall.eml"))
    reply = build_reply(mail, "reports@probes.example.org", "Nothing found.\n\n-- \n"
                        "probewatch (automatic reply; no need to answer)\n", now=NOW)  # fmt: skip
    return reply.as_bytes(policy=policy.SMTP)


def test_our_reply_coming_back_is_recognised_as_ours() -> None:
    assert read_email(b"X-Test: 1\r\n" + _our_reply().replace(
        b"To: ", b"Return-Path: <reports@probes.example.org>\r\nTo: ", 1)).auto_submitted  # fmt: skip


def test_our_reply_forwarded_inline_or_attached_is_never_answered() -> None:
    ours = _our_reply()
    inline = (
        b"From: alice@example.net\r\nTo: report@probes.example.org\r\nSubject: Fwd: Re: x\r\n\r\n"
        b"---------- Forwarded message ---------\r\nFrom: reports@probes.example.org\r\n\r\n"
        + ours.split(b"\r\n\r\n", 1)[1]
    )
    attached = (
        b"From: alice@example.net\r\nTo: report@probes.example.org\r\nSubject: Fwd: Re: x\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
        b"Content-Type: text/plain\r\n\r\nsee\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n"
        + ours + b"\r\n--b--\r\n"
    )  # fmt: skip
    for raw in (inline, attached):
        assert read_email(raw).own_reply


def test_a_reply_quoting_our_reply_is_not_a_loop() -> None:
    quoted = (
        b"From: alice@example.net\r\nTo: report@probes.example.org\r\nSubject: Re: x\r\n\r\n"
        b"CONFIRM ABCD-EFGH\r\n\r\nOn Tue, probewatch wrote:\r\n> Nothing found.\r\n> -- \r\n"
        b"> probewatch (automatic reply; no need to answer)\r\n"
    )
    assert not read_email(quoted).own_reply


@dataclass
class Settings:
    table_name: str = "t"
    sender_address: str = "reports@probes.example.org"
    inbound_address: str = "report@probes.example.org"
    replies_per_day: int = 5
    self_service: bool = True


def test_no_immediate_reply_to_our_own_reply(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[str] = []
    monkeypatch.setattr(
        immediate_replies, "send_reply", lambda mail, body, **_: sent.append(body) or True
    )
    mail: InboundMail = read_email(fixture("not_firewall.eml"))
    assert immediate_replies.reply_not_registered(mail, Settings(), NOW)
    assert not immediate_replies.reply_not_registered(
        replace(mail, own_reply=True), Settings(), NOW
    )
    assert len(sent) == 1


@pytest.mark.parametrize("separator", ["\r", "\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1e"])
def test_a_separator_inside_a_line_becomes_a_space(separator: str) -> None:
    line = ufw_line(1)
    text = f"{ufw_line(0)}\n{line.replace(' SRC=', separator + 'SRC=')}\r\n{ufw_line(2)}\n"
    lines = normalize_line_ends(text).splitlines()
    assert len(lines) == 3
    assert lines[1] == line.replace(" SRC=", " SRC=")


def test_bare_cr_is_the_line_end_only_in_a_text_without_lf() -> None:
    assert normalize_line_ends("a\rb\rc\r").splitlines() == ["a", "b", "c"]
    assert normalize_line_ends("a\rb\nc\r\n").splitlines() == ["a b", "c"]
