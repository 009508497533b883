"""Mail to reporters through SES v2: digests, and short replies to what they sent us.

Replies follow RFC 3834: only to mail that passed SPF or DKIM (no backscatter to forged
senders), never to auto-submitted, bulk or list mail, marked `Auto-Submitted: auto-replied`,
and at most `limit` per sender per day, counted in DynamoDB so every reply kind shares it.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from probewatch.mail.loops import OWN_ID_MARK, OWN_REPLY_HEADER
from probewatch.mail.outgoing import (
    UnsafeHeader,
    header_text,
    mailbox,
    recipients,
    serialize,
    set_address,
    set_threading,
)
from probewatch.observability import logger
from probewatch.ses_mail import send_raw_email
from probewatch.store.reporters import take_reply_slot

if TYPE_CHECKING:
    from probewatch.mail.inbound import InboundMail


def send_raw(message: EmailMessage) -> str:
    """Send a complete message to its To addresses; returns SES's message id. Recipients come
    from the parsed address objects and the bytes are checked (mail.outgoing.serialize)."""
    to = recipients(message, "To")
    sender = recipients(message, "From")
    if not to or len(sender) != 1:
        raise UnsafeHeader("a message needs one From and at least one To mailbox")
    return send_raw_email(serialize(message), sender=sender[0], recipients=to)


def may_reply(mail: InboundMail) -> bool:
    """Whether this mail may be answered at all (the rate limit aside)."""
    return mailbox(mail.sender) is not None and mail.auth.passed and not mail.auto_submitted


def build_reply(mail: InboundMail, sender: str, body: str, *, now: datetime) -> EmailMessage:
    """A plain-text reply threaded under `mail`, marked as ours (see mail.loops). Every header
    that carries the inbound mail's text goes through mail.outgoing."""
    reply = EmailMessage()
    set_address(reply, "From", sender)
    set_address(reply, "To", mail.sender)
    subject = header_text(mail.subject, 200)
    reply["Subject"] = header_text(
        subject if subject.lower().startswith("re:") else f"Re: {subject or 'probewatch'}"
    )
    reply["Date"] = format_datetime(now)
    reply["Message-ID"] = make_msgid(idstring=OWN_ID_MARK, domain=sender.rpartition("@")[2] or None)
    set_threading(reply, mail.message_id, " ".join(mail.references))
    reply["Auto-Submitted"] = "auto-replied"
    reply["X-Auto-Response-Suppress"] = "All"
    reply[OWN_REPLY_HEADER] = "auto-replied"
    reply.set_content(body)
    return reply


def send_reply(
    mail: InboundMail, body: str, *, sender: str, table_name: str, limit: int, now: datetime
) -> bool:
    """Reply to `mail` if allowed and within today's limit; True when a reply went out."""
    if not may_reply(mail):
        logger.info("no reply: unauthenticated or automated mail", extra={"sender": mail.sender})
        return False
    try:
        message = build_reply(mail, sender, body, now=now)
    except UnsafeHeader as exc:  # an address we will not write into a header
        logger.warning("reply not sent: unsafe header", extra={"error": str(exc)})
        return False
    if not take_reply_slot(table_name, mail.sender, now.date(), limit):
        logger.info("no reply: daily reply limit reached", extra={"sender": mail.sender})
        return False
    try:
        send_raw(message)
    except UnsafeHeader as exc:
        logger.warning("reply not sent: unsafe header", extra={"error": str(exc)})
        return False
    except ClientError as exc:
        # SES refused (sandbox, suppressed address, throttled): a courtesy reply is not worth
        # failing the whole email for, and a retry would apply a command twice.
        logger.warning("reply not sent", extra={"sender": mail.sender, "error": str(exc)})
        return False
    return True
