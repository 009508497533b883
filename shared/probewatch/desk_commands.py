"""Commands an abuse desk sends by replying to a report: LOOKUP, OPT-OUT, XARF ON|OFF.

A command is the first own (non-quoted) line of the reply, or a fresh (not "Re:") subject:
  LOOKUP [<incident>]   the incident's evidence, status and history, as a reply
  OPT-OUT               no report of any kind to this network/domain again (probewatch.optouts)
  XARF ON | XARF OFF    future reports to this mailbox with (or without) the XARF attachment
Like reporter commands, they count only from mail that passed SPF or DKIM, was written by a
person and is not from a system address (immediate_replies.why_not_reply); anything else is
dropped without an answer. And only the desk the report went to may ask: LOOKUP and XARF
from the very mailbox SES accepted a report for (store.desks.IncidentHistory.sent_to);
OPT-OUT also from another mailbox of that mailbox's own domain (a ticket system's address),
since it opts out nothing wider than that domain and the report's network.
"""

from __future__ import annotations

import hashlib
import re
import textwrap
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from probewatch.immediate_replies import why_not_reply
from probewatch.incident_record import incident_record_text
from probewatch.model import Incident
from probewatch.observability import logger
from probewatch.optouts import SHARED_MAIL_DOMAINS, describe, mailbox_domain, requested_optouts
from probewatch.reporter_mail import send_reply
from probewatch.store import desks, mailboxes

_INCIDENT_ARG = re.compile(r"^PW-\d{8}-[0-9a-f]{8}$")
_REPLY_PREFIX = re.compile(r"^\s*((re|aw|sv|antw)\s*:\s*)+", re.IGNORECASE)
_SIGNATURE = "-- \nprobewatch (automatic reply)"


@dataclass(frozen=True, slots=True)
class DeskCommand:
    verb: str  # "LOOKUP", "OPT-OUT", "XARF"
    arg: str | None = None  # the incident id of LOOKUP, "ON"/"OFF" of XARF


def parse_desk_command(subject: str, body: str) -> DeskCommand | None:
    for line in (body or "").splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith(">"):
            found = desk_command_in_line(stripped)
            if found:
                return found
            break
    if _REPLY_PREFIX.match(subject or ""):
        return None
    return desk_command_in_line(subject or "")


def desk_command_in_line(line: str) -> DeskCommand | None:
    """Strict: the line is exactly a command, nothing around it."""
    words = line.strip().rstrip(".!").split()
    upper = [w.upper() for w in words]
    if upper in (["OPT-OUT"], ["OPTOUT"], ["OPT", "OUT"]):
        return DeskCommand("OPT-OUT")
    if len(upper) == 2 and upper[0] == "XARF" and upper[1] in ("ON", "OFF"):
        return DeskCommand("XARF", upper[1])
    if upper[:1] == ["LOOKUP"] and len(words) <= 2:
        arg = words[1] if len(words) == 2 else None
        if arg is None or _INCIDENT_ARG.match(arg):
            return DeskCommand("LOOKUP", arg)
    return None


def handle_desk_command(
    command: DeskCommand, mail: Any, incident: Incident, settings: Any, now: datetime
) -> str:
    """Act on an authenticated desk's command; returns what was done (for logs and tests)."""
    refused = why_not_reply(mail, settings)
    sender = str(getattr(mail, "sender", "") or "").lower()
    if refused:
        logger.warning("ignored desk command", extra={"verb": command.verb, "why": refused})
        return f"ignored-{refused}"
    table = settings.table_name
    history = desks.incident_history(table, incident.incident_id)
    sent_to = history.sent_to()
    if not _may_ask(command, sender, sent_to):
        # Same words whether the incident exists or not: ids are no key to others' records.
        _answer(mail, settings, now, f"No report about incident {command.arg or incident.incident_id} "
                f"was sent to {sender}, so nothing was done.")  # fmt: skip
        return "not-yours"
    _remember(table, incident, mail, command, now)
    if command.verb == "LOOKUP":
        history = desks.incident_history(table, incident.incident_id)
        _answer(mail, settings, now, incident_record_text(incident, history, for_operator=False))
        return "looked-up"
    if command.verb == "XARF":
        on = command.arg == "ON"
        desks.set_xarf(table, sender, on, now, by="reply")
        _answer(
            mail, settings, now,
            f"Done: future reports to {sender} come "
            + ("with a XARF v4 (JSON) attachment next to the plain text." if on
               else "as plain text only."),
        )  # fmt: skip
        return f"xarf-{command.arg.lower() if command.arg else 'on'}"
    return _opt_out(mail, incident, settings, sender, now)


def _opt_out(mail: Any, incident: Incident, settings: Any, sender: str, now: datetime) -> str:
    table = settings.table_name
    optouts = requested_optouts(incident, sender, "asked by reply to a report", "reply", now)
    for optout in optouts:
        desks.put_optout(table, optout)
    # The mailbox itself in any case (a shared webmail domain is never opted out whole).
    mailboxes.suppress(table, sender, now, "asked by reply: OPT-OUT", by="reply")
    from probewatch.desk_relay import relay_opt_out

    relay_opt_out(incident, optouts, settings, now)
    _answer(
        mail, settings, now,
        f"Done: probewatch will send no more reports about {describe(optouts)} "
        f"(nor to {sender}). Nothing else is needed from you. To receive reports again, "
        "write to this address and say so.",
    )  # fmt: skip
    return "opted-out"


def _may_ask(command: DeskCommand, sender: str, sent_to: set[str]) -> bool:
    if sender in sent_to:
        return True
    if command.verb != "OPT-OUT":
        return False
    domain = mailbox_domain(sender)
    return (
        bool(domain)
        and domain not in SHARED_MAIL_DOMAINS
        and any(mailbox_domain(mailbox) == domain for mailbox in sent_to)
    )


def _remember(
    table: str, incident: Incident, mail: Any, command: DeskCommand, now: datetime
) -> None:
    shown = " ".join(p for p in (command.verb, command.arg) if p)
    basis = f"{getattr(mail, 'message_id', None)}\0{shown}"
    ident = hashlib.sha256(basis.encode("utf-8", "replace")).hexdigest()[:10]
    data = {"from": str(getattr(mail, "sender", "")).lower(), "command": shown}
    desks.put_incident_reply(table, incident.incident_id, now, ident, data)


def _answer(mail: Any, settings: Any, now: datetime, text: str) -> bool:
    # Prose paragraphs are wrapped; indented lines (the record's evidence) never are.
    paragraphs = [
        p if p.startswith(" ") or "\n" in p else textwrap.fill(p, 72, break_long_words=False)
        for p in text.rstrip().split("\n\n")
    ]
    return send_reply(
        mail,
        "\n\n".join(paragraphs) + "\n\n" + _SIGNATURE,
        sender=settings.sender_address,
        table_name=settings.table_name,
        limit=settings.replies_per_day,
        now=now,
    )
