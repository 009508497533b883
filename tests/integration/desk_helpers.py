"""Abuse-desk mail delivered through SES -> S3 -> SQS -> the real ingest handler."""

from __future__ import annotations

import itertools
from email import message_from_string, policy
from email.message import EmailMessage
from typing import Any

from ingest_helpers import deliver, ingest_app, run_ingest
from send_helpers import sent_messages

INCIDENT = "PW-20261125-0a1b2c3d"
SUBJECT = f"Re: Security issue - Source IP: 45.155.205.12 [{INCIDENT}]"
_ids = itertools.count(1)


def desk_mail(
    sender: str,
    body: str,
    *,
    subject: str = SUBJECT,
    authenticated: bool = True,
    headers: dict[str, str] | None = None,
) -> bytes:
    verdict = "pass" if authenticated else "fail"
    domain = sender.split("@")[1]
    number = next(_ids)
    lines = [
        "Received: from mx.isp.example by inbound-smtp.us-east-1.amazonaws.com with SMTP id "
        f"d{number}; Wed, 25 Nov 2026 11:00:00 +0000 (UTC)",
        "X-SES-Spam-Verdict: PASS",
        "X-SES-Virus-Verdict: PASS",
        f"Authentication-Results: amazonses.com; spf={verdict} smtp.mailfrom={sender}; "
        f"dkim={verdict} header.i=@{domain}; dmarc={verdict} header.from={domain}",
        f"From: Abuse Desk <{sender}>",
        "To: report@probes.example.org",
        f"Subject: {subject}",
        f"Message-ID: <desk{number}@{domain}>",
        "Date: Wed, 25 Nov 2026 10:59:58 +0000",
        *(f"{name}: {value}" for name, value in (headers or {}).items()),
        "Content-Type: text/plain; charset=utf-8",
        "",
        body,
        "",
        "On Wed, 25 Nov 2026 probewatch wrote:",
        "> 2026-11-25 03:14:07 UTC  TCP  45.155.205.12:51000  -> 203.0.0.0/16 (masked)",
        "",
    ]
    return "\r\n".join(lines).encode()


def send_desk_mail(stack: Any, raw: bytes) -> list[EmailMessage]:
    """Deliver one desk mail through the ingest handler; returns the mail SES sent because
    of it (answers to the desk, notes to reporters)."""
    before = len(sent_messages())
    records = deliver(stack, f"raw/desk-{next(_ids)}", raw)
    run_ingest(ingest_app(), records)
    return [
        message_from_string(m.raw_data, policy=policy.default) for m in sent_messages()[before:]
    ]


def to_of(message: EmailMessage) -> str:
    return str(message["To"]).strip().lower()


def plain(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def flat(message: EmailMessage) -> str:
    """The text with line breaks as spaces (prose is wrapped at 72 columns)."""
    return " ".join(plain(message).split())
