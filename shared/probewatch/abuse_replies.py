"""Replies from abuse desks: matched to their incident and kept for the reporters' digest.

A reply reaches the report address like any forwarded alert. It is recognised by the
incident id (`PW-YYYYMMDD-xxxxxxxx`) in its Subject, or by In-Reply-To/References quoting the
Message-ID of the report we sent. It is never parsed as a firewall log: the ingest path calls
`record_reply` first and stops when it returns True. Only a short, cleaned excerpt is stored.

A reply that is a desk command (LOOKUP, OPT-OUT, XARF ON|OFF: probewatch.desk_commands) is
acted on instead; LOOKUP may also name its incident in the command alone. Any other reply is
kept with the incident (its history), logged for each reporter (the digest), and relayed to
them at once (probewatch.desk_relay, rate limited).
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any, Protocol

from probewatch.desk_commands import handle_desk_command, parse_desk_command
from probewatch.desk_relay import relay_reply
from probewatch.model import Incident
from probewatch.observability import logger
from probewatch.report import INCIDENT_ID_RE, InvalidAddress, clean_text, validate_address
from probewatch.store import desks
from probewatch.store.incidents import get_incident
from probewatch.store.mailboxes import get_sent_message
from probewatch.store.reporters import append_log

EXCERPT_CHARS = 400
_MSGID_RE = re.compile(r"<([^<>@\s]+)@[^<>\s]+>")
# Where the quoted original starts in common mail clients and ticket systems.
_QUOTE_START_RE = re.compile(
    r"^(-{2,}\s*original message\s*-{2,}|on .{0,200} wrote:$|from: .*|_{10,}|-----)",
    re.IGNORECASE,
)


class HasTable(Protocol):
    @property
    def table_name(self) -> str: ...  # read-only, as on the frozen settings models


def record_reply(mail: Any, settings: HasTable, now: datetime) -> bool:
    """True when `mail` answers a report we sent (and was stored for its reporters).

    `mail` is an InboundMail (probewatch.mail.inbound). Bad input (no ids, unknown ids,
    incidents never reported) gives False and stores nothing.
    """
    command = parse_desk_command(
        str(getattr(mail, "subject", "") or ""), str(getattr(mail, "body_text", "") or "")
    )
    extra = [command.arg] if command and command.verb == "LOOKUP" and command.arg else []
    incident = _find_incident(mail, settings.table_name, extra)
    sender = _sender(mail)
    # A reporter writing about their own incident is not an abuse desk (commands come first).
    if incident is None or sender in {r.lower() for r in incident.reporters}:
        return False
    if command is not None:
        result = handle_desk_command(command, mail, incident, settings, now)
        logger.info("desk command", extra={"verb": command.verb, "result": result})
        return True
    when = getattr(mail, "received_at", None) or now
    contact_domains = {c.email.rpartition("@")[2].lower() for c in incident.contacts}
    excerpt = reply_excerpt(_first_text(mail))
    data = {
        "incident_id": incident.incident_id,
        "src_ip": incident.src_ip,
        "from": sender,
        # Anyone can write an id into a subject; say whether the sender is a mailbox we wrote to.
        "from_contacted_domain": sender.rpartition("@")[2] in contact_domains,
        "subject": clean_text(getattr(mail, "subject", "") or "", 120),
        "excerpt": excerpt,
        "automatic": bool(getattr(mail, "auto_submitted", False)),
    }
    hashed = _short_hash(getattr(mail, "message_id", None) or excerpt)
    ident = f"{incident.incident_id}-{hashed}"
    table = settings.table_name
    data["from_sent_mailbox"] = (
        sender in desks.incident_history(table, incident.incident_id).sent_to()
    )
    desks.put_incident_reply(table, incident.incident_id, when, hashed, dict(data))
    # Relayed first, so the digest line can say who already has it (an ingest retry finds the
    # submission claimed and never gets here twice).
    if hasattr(settings, "sender_address"):
        data["relayed_to"] = relay_reply(incident, data, settings, now)
    for email in incident.reporters:
        append_log(table, email, when, "abuse-reply", ident, data)
    logger.info("abuse desk reply recorded", extra={"incident_id": incident.incident_id})
    return True


def reply_excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The reply's own words: quoted lines and the quoted original dropped, whitespace
    collapsed, ASCII only, at most `limit` characters (an ellipsis marks a cut)."""
    kept: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(">"):
            continue
        if _QUOTE_START_RE.match(stripped):
            break
        if stripped:
            kept.append(stripped)
    excerpt = clean_text(" ".join(kept), limit + 1)
    return excerpt if len(excerpt) <= limit else excerpt[: limit - 3].rstrip() + "..."


def _find_incident(mail: Any, table_name: str, extra: list[str]) -> Incident | None:
    for incident_id in [*_candidate_ids(mail, table_name), *extra]:
        incident = get_incident(table_name, incident_id)
        # Only an incident that was actually reported can be answered.
        if incident is not None and (incident.message_id or incident.sent_at):
            return incident
    return None


def _candidate_ids(mail: Any, table_name: str) -> list[str]:
    ids: list[str] = INCIDENT_ID_RE.findall(str(getattr(mail, "subject", "") or ""))
    threading = " ".join(
        str(value)
        for value in (
            getattr(mail, "in_reply_to", None),
            _joined(getattr(mail, "references", None)),
        )
        if value
    )
    ids += INCIDENT_ID_RE.findall(threading)
    # SES replaces our Message-ID with <ses-message-id@...amazonses.com>: look that id up.
    for local_part in _MSGID_RE.findall(threading)[:10]:
        record = get_sent_message(table_name, local_part)
        if record:
            ids.append(record["incident_id"])
    return list(dict.fromkeys(ids))


def _joined(value: Any) -> str:
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    return str(value or "")


def _first_text(mail: Any) -> str:
    for part in getattr(mail, "texts", None) or []:
        text = getattr(part, "text", None)
        if isinstance(text, str) and text.strip():
            return text
    return ""


def _sender(mail: Any) -> str:
    try:
        return validate_address(str(getattr(mail, "sender", "") or "")).lower()
    except InvalidAddress:
        return "(unknown sender)"


def _short_hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()[:10]
