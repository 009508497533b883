"""Replies to reporters: threading, loop protection headers, and who may be answered."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from probewatch.mail.auth import AuthVerdict
from probewatch.mail.inbound import InboundMail
from probewatch.reporter_mail import build_reply, may_reply

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def mail(subject: str, *, auth: AuthVerdict | None = None, automated: bool = False) -> InboundMail:
    return InboundMail(
        sender="alice@example.net",
        auth=auth or AuthVerdict(spf="pass", dkim="pass", dmarc="pass"),
        received_at=NOW,
        date=NOW,
        message_id="<abc@example.net>",
        subject=subject,
        in_reply_to=None,
        references=["<older@example.net>"],
        to=["report@probes.example.org"],
        auto_submitted=automated,
    )


def test_reply_is_threaded_and_marked_automatic() -> None:
    reply = build_reply(mail("PAUSE"), "probewatch@probes.example.org", "Paused.", now=NOW)
    assert reply["To"] == "alice@example.net"
    assert reply["From"] == "probewatch@probes.example.org"
    assert reply["Subject"] == "Re: PAUSE"
    assert reply["In-Reply-To"] == "<abc@example.net>"
    assert reply["References"] == "<older@example.net> <abc@example.net>"
    assert reply["Auto-Submitted"] == "auto-replied"  # RFC 3834: autoresponders stay quiet
    assert reply.get_content_type() == "text/plain"
    assert reply.get_content().strip() == "Paused."


def test_reply_subject_is_one_line_and_not_doubled() -> None:
    sender = "p@probes.example.org"
    assert build_reply(mail("Re: digest"), sender, "x", now=NOW)["Subject"] == "Re: digest"
    assert build_reply(mail(""), sender, "x", now=NOW)["Subject"] == "Re: probewatch"
    folded = build_reply(mail("a\r\n b"), sender, "x", now=NOW)
    assert folded["Subject"] == "Re: a b"


def test_only_authenticated_human_mail_may_be_answered() -> None:
    assert may_reply(mail("HELP"))
    assert not may_reply(mail("HELP", auth=AuthVerdict(spf="fail", dkim="none")))
    assert not may_reply(mail("HELP", auth=AuthVerdict(spf="pass", dmarc="fail")))
    assert not may_reply(mail("HELP", automated=True))


def test_an_ses_refusal_of_a_reply_is_logged_not_raised(monkeypatch: Any) -> None:
    """A refused courtesy reply must not fail the email: SQS would retry it and apply a
    command (PAUSE, SETTINGS, CANCEL...) a second time."""
    from botocore.exceptions import ClientError

    from probewatch import reporter_mail

    def refuse(*_args: Any, **_kwargs: Any) -> str:
        raise ClientError({"Error": {"Code": "MessageRejected", "Message": "sandbox"}}, "SendEmail")

    monkeypatch.setattr(reporter_mail, "take_reply_slot", lambda *a, **k: True)
    monkeypatch.setattr(reporter_mail, "send_raw", refuse)
    sent = reporter_mail.send_reply(
        mail("Re: probewatch"), "ok", sender="reports@probewatch.example", table_name="t", limit=5,
        now=datetime(2026, 11, 25, tzinfo=UTC),
    )
    assert sent is False
