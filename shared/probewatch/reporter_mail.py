"""Mail to reporters through SES v2: digests, and short replies to what they sent us.

Replies follow RFC 3834: only to mail that passed SPF or DKIM (no backscatter to forged
senders), never to auto-submitted, bulk or list mail, marked `Auto-Submitted: auto-replied`,
and at most `limit` per sender per day, counted in DynamoDB so every reply kind shares it.
"""

from __future__ import annotations

from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from probewatch.observability import logger
from probewatch.ses_mail import send_raw_email
from probewatch.store.reporters import take_reply_slot

if TYPE_CHECKING:
    from probewatch.mail.inbound import InboundMail


def send_raw(message: EmailMessage) -> str:
    """Send a complete message (From/To taken from its headers); returns SES's message id."""
    recipients = [addr.strip() for addr in str(message["To"]).split(",") if addr.strip()]
    return send_raw_email(
        message.as_bytes(policy=policy.SMTP), sender=str(message["From"]), recipients=recipients
    )


def may_reply(mail: InboundMail) -> bool:
    """Whether this mail may be answered at all (the rate limit aside)."""
    return bool(mail.sender) and mail.auth.passed and not mail.auto_submitted


def build_reply(mail: InboundMail, sender: str, body: str, *, now: datetime) -> EmailMessage:
    """A plain-text reply threaded under `mail`."""
    reply = EmailMessage()
    reply["From"] = sender
    reply["To"] = mail.sender
    subject = " ".join((mail.subject or "").split())[:200]
    reply["Subject"] = (
        subject if subject.lower().startswith("re:") else f"Re: {subject or 'probewatch'}"
    )
    reply["Date"] = format_datetime(now)
    reply["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message_id = "".join((mail.message_id or "").split())  # header values: no line breaks
    if message_id:
        reply["In-Reply-To"] = message_id
        reply["References"] = " ".join([*mail.references[-10:], message_id])
    reply["Auto-Submitted"] = "auto-replied"
    reply["X-Auto-Response-Suppress"] = "All"
    reply.set_content(body)
    return reply


def send_reply(
    mail: InboundMail, body: str, *, sender: str, table_name: str, limit: int, now: datetime
) -> bool:
    """Reply to `mail` if allowed and within today's limit; True when a reply went out."""
    if not may_reply(mail):
        logger.info("no reply: unauthenticated or automated mail", extra={"sender": mail.sender})
        return False
    if not take_reply_slot(table_name, mail.sender, now.date(), limit):
        logger.info("no reply: daily reply limit reached", extra={"sender": mail.sender})
        return False
    try:
        send_raw(build_reply(mail, sender, body, now=now))
    except ClientError as exc:
        # SES refused (sandbox, suppressed address, throttled): a courtesy reply is not worth
        # failing the whole email for, and a retry would apply a command twice.
        logger.warning("reply not sent", extra={"sender": mail.sender, "error": str(exc)})
        return False
    return True
