"""Inbound mail as SES stores it, and the mail moto's SES recorded as sent."""

from __future__ import annotations

import itertools
from email import message_from_string, policy
from email.message import EmailMessage

from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from probewatch.mail.inbound import InboundMail, read_email

_ids = itertools.count(1)


def inbound(
    sender: str,
    subject: str,
    body: str = "",
    *,
    spf: str = "pass",
    dkim: str = "pass",
    dmarc: str = "pass",
    headers: dict[str, str] | None = None,
) -> InboundMail:
    """A mail from `sender` with SES's receipt and verdict headers on top."""
    raw = "\r\n".join(
        [
            "Received: from mx.example by inbound-smtp.us-east-1.amazonaws.com with SMTP id "
            "abc123; Wed, 25 Nov 2026 10:00:00 +0000 (UTC)",
            "X-SES-Spam-Verdict: PASS",
            "X-SES-Virus-Verdict: PASS",
            f"Authentication-Results: amazonses.com; spf={spf} smtp.mailfrom={sender}; "
            f"dkim={dkim} header.i=@{sender.split('@')[1]}; dmarc={dmarc} header.from=x",
            f"From: Someone <{sender}>",
            "To: report@probes.example.org",
            f"Subject: {subject}",
            f"Message-ID: <m{next(_ids)}@{sender.split('@')[1]}>",
            "Date: Wed, 25 Nov 2026 09:59:58 +0000",
            *(f"{name}: {value}" for name, value in (headers or {}).items()),
            "Content-Type: text/plain; charset=utf-8",
            "",
            body,
            "",
        ]
    )
    return read_email(raw.encode())


def sent_mail() -> list[EmailMessage]:
    """Every message SES (moto) accepted so far, oldest first."""
    backend = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    out = []
    for message in backend.sent_messages:
        raw = getattr(message, "raw_data", None)
        if raw is not None:
            out.append(message_from_string(raw, policy=policy.default))
    return out


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return body.get_content()
