"""Replies sent right away to someone who mailed the ingest address.

Two kinds: "your email gave no events" (what we saw, what we read, how to forward) and "you
are not registered" (how to register). Neither ever goes to mail that could be forged or
automated, so probewatch cannot be used to send backscatter or start mail loops:
  * SES's SPF/DKIM/DMARC verdicts must pass (mail.auth.passed) and the spam/virus verdicts
    must not be FAIL;
  * no Auto-Submitted, Precedence bulk/list/junk/auto_reply, X-Autoreply/X-Autorespond or
    mailing-list mail (mail.auto_submitted, see mail.loops), and never to mail that carries
    one of our own replies forwarded back (mail.own_reply);
  * never to our own addresses or to MAILER-DAEMON/postmaster/no-reply style senders;
  * at most `replies_per_day` replies per sender per day (store.reporters.take_reply_slot,
    counted under keys.reply_limit_pk, shared with every other automatic reply).
Sending, threading and the Auto-Submitted: auto-replied mark are probewatch.reporter_mail's.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from probewatch.mail.inbound import InboundMail
from probewatch.mail.loops import SIGNATURE_MARK
from probewatch.mail.outgoing import header_text
from probewatch.observability import logger
from probewatch.reporter_mail import send_reply

_NEVER_REPLY_LOCALPARTS = {
    "mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply", "do-not-reply",
    "bounce", "bounces", "root", "daemon", "nobody",
}  # fmt: skip


class ReplySettings(Protocol):
    # Properties: read-only, as on the frozen settings models (IngestSettings).
    @property
    def table_name(self) -> str: ...
    @property
    def sender_address(self) -> str: ...
    @property
    def inbound_address(self) -> str: ...
    @property
    def replies_per_day(self) -> int: ...
    @property
    def self_service(self) -> bool: ...


def why_not_reply(mail: InboundMail, settings: ReplySettings) -> str | None:
    """The reason no automatic reply may go to this sender, or None when one may."""
    if not mail.auth.passed:
        return "not-authenticated"
    if "fail" in (mail.auth.spam, mail.auth.virus):
        return "spam-or-virus"
    if mail.auto_submitted:
        return "automated"
    own = {settings.sender_address.lower(), settings.inbound_address.lower()}
    local = mail.sender.split("@", 1)[0]
    if mail.sender in own or local in _NEVER_REPLY_LOCALPARTS:
        return "system-address"
    return None


def reply_no_events(
    mail: InboundMail,
    settings: ReplySettings,
    now: datetime,
    *,
    lines: int,
    formats: Mapping[str, int],
    rejected: Mapping[str, int],
    examples: Mapping[str, str],
) -> bool:
    """Tell a reporter their email gave no usable events. True when a reply was sent."""
    body = [
        "Thank you for forwarding this. probewatch could not take any firewall events",
        "from it, so nothing will be reported from this email.",
        "",
        "What we found:",
        # Names and notes hold the sender's file names: one line each, never a fake header.
        f"  - readable texts: {len(mail.texts)}"
        + (
            f" ({', '.join(header_text(t.name, 80) for t in mail.texts[:6])})" if mail.texts else ""
        ),
        f"  - lines read: {lines}",
    ]
    if formats:
        found = ", ".join(f"{name} ({count})" for name, count in sorted(formats.items()))
        body.append(f"  - log formats recognised: {found}")
    else:
        body.append("  - log formats recognised: none")
    for reason, count in sorted(rejected.items()):
        body.append(f"  - {count} line(s) not usable: {header_text(reason, 80)}")
        if reason in examples:
            body.append(f"      e.g. {header_text(examples[reason], 200)}")
    body += [f"  - {header_text(note, 300)}" for note in mail.notes[:10]]
    body += ["", *_supported_formats(), "", *_how_to_forward(settings)]
    return _send(mail, settings, now, "no events found", "\n".join(body))


def reply_not_registered(mail: InboundMail, settings: ReplySettings, now: datetime) -> bool:
    """Tell an unknown (but authenticated) sender how to register. True when sent."""
    if settings.self_service:
        how = [
            "To register, send an email with the word SUBSCRIBE as its subject to",
            f"{settings.inbound_address}. You will get a confirmation code; reply with it",
            "and your forwarded alerts will be accepted from then on.",
        ]
    else:
        how = ["Registration is done by the operator of this service: please ask them to add you."]
    body = [
        f"probewatch received your email, but {mail.sender} is not a registered reporter,",
        "so nothing in it was read or stored.",
        "",
        *how,
        "",
        *_how_to_forward(settings),
    ]
    return _send(mail, settings, now, "not registered", "\n".join(body))


def _supported_formats() -> list[str]:
    try:
        from probewatch.parsers.registry import PARSERS
    except ImportError:  # pragma: no cover - the parsers package is part of every build
        return []
    names = sorted({parser.name for parser in PARSERS})
    wrapped = textwrap.wrap(
        ", ".join(names), 76, initial_indent="  ", subsequent_indent="  ", break_on_hyphens=False
    )
    return ["Log formats probewatch reads:", *wrapped]


def _how_to_forward(settings: ReplySettings) -> list[str]:
    return [
        f"How to send alerts: forward them to {settings.inbound_address}, either inline (your",
        "mail program's Forward button) or as attachments: the original email (.eml), or",
        "log files (.log, .txt, .csv, also .gz or .zip). Please do not send screenshots or",
        "edit the log lines: times, addresses and ports must stay exactly as logged.",
    ]


def send_immediate(
    mail: InboundMail, settings: ReplySettings, now: datetime, topic: str, text: str
) -> bool:
    """Another kind of immediate reply (probewatch.held_replies), under the same rules."""
    return _send(mail, settings, now, topic, text)


def _send(mail: InboundMail, settings: ReplySettings, now: datetime, topic: str, text: str) -> bool:
    # Our own reply coming back (forwarded, inline or attached): answering it starts a loop.
    # Only these replies check it: a command may quote our reply and still deserves one.
    refusal = why_not_reply(mail, settings) or ("own-reply" if mail.own_reply else None)
    if refusal:
        logger.info("no immediate reply", extra={"topic": topic, "why": refusal})
        return False
    body = text + f"\n\n-- \n{SIGNATURE_MARK}; no need to answer)\n"
    sent = send_reply(
        mail,
        body,
        sender=settings.sender_address,
        table_name=settings.table_name,
        limit=settings.replies_per_day,
        now=now,
    )
    logger.info("immediate reply", extra={"topic": topic, "sent": sent})
    return sent
