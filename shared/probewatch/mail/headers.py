"""Reading inbound headers without trusting them: bounded, never raising, never guessing.

The `email` package decodes a header (encoded words, address lists) when it is first read;
a hostile value can make that slow, huge, or raise. So every read here:
  * looks at the raw value first and does not decode one that is over MAX_DECODED_CHARS or
    holds more than MAX_ENCODED_WORDS encoded words (the raw text, cleaned, is used instead);
  * catches whatever the parser raises on malformed input (a display name that decodes to
    CRLF, `From::;q`, groups) and falls back to a lenient scan of the raw text.
The sender is the outer From's one mailbox; when From has none we can use (unreadable, a
list, a quoted local part), the envelope sender SES recorded (Return-Path, or the
`smtp.mailfrom` / `envelope-from` of its own verdict headers) is used, so the reporter still
hears what happened to the email.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email import policy
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import getaddresses
from typing import NamedTuple

from probewatch.mail.auth import AuthVerdict, read_auth
from probewatch.mail.forwards import parse_mail_date
from probewatch.mail.outgoing import header_text, mailbox

MAX_DECODED_CHARS = 8192
MAX_ENCODED_WORDS = 50
# Markers of the SES hop in the topmost Received header (the only one SES vouches for).
_SES_HOPS = ("amazonaws.com", "amazonses.com")
_ANGLE = re.compile(r"<([^<>\s]{3,254})>")
_BARE = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,63}")
_ENVELOPE = re.compile(r"(?:smtp\.mailfrom|envelope-from)=<?([^\s;<>]+@[^\s;<>]+)", re.I)
# Only these fields are kept when the header block of an unreadable email is re-read.
_PEEK_FIELDS = {
    "from", "return-path", "message-id", "subject", "received", "received-spf",
    "authentication-results", "x-ses-spam-verdict", "x-ses-virus-verdict",
}  # fmt: skip
_PEEK_BYTES = 1024 * 1024


def raw_value(message: Message, name: str) -> str | None:
    """The first `name` header exactly as written (unfolded), or None."""
    wanted = name.lower()
    for key, value in message.raw_items():
        if key.lower() == wanted:
            return " ".join(str(value).split())
    return None


def _too_costly(raw: str) -> bool:
    return len(raw) > MAX_DECODED_CHARS or raw.count("=?") > MAX_ENCODED_WORDS


def header(message: Message, name: str) -> str:
    """A header's decoded value as one line, or "" (bounded, never raises)."""
    raw = raw_value(message, name)
    if raw is None:
        return ""
    if _too_costly(raw):
        return header_text(raw[:MAX_DECODED_CHARS], MAX_DECODED_CHARS)
    try:
        value = message.get(name)
    except Exception:  # noqa: BLE001 - hostile headers raise anything; the raw text will do
        value = raw
    return " ".join(str(value).split()) if value is not None else ""


def addresses(message: Message, name: str) -> list[str]:
    """The mailboxes of an address header, lower case; malformed ones are skipped."""
    raw = raw_value(message, name)
    if raw is None or _too_costly(raw):
        return lenient_addresses(raw or "")
    try:
        found = [addr for _, addr in getaddresses([header(message, name)]) if "@" in addr]
    except Exception:  # noqa: BLE001 - see header()
        return lenient_addresses(raw)
    return [addr.lower() for addr in found]


_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"?|\((?:[^()\\]|\\.)*\)?')


def lenient_addresses(raw: str) -> list[str]:
    """Addresses in raw header text: the <...> ones, else bare addr-specs (validated).
    Quoted strings and comments are removed first: `"victim@x"@y` names no victim@x."""
    bare = _QUOTED.sub(" ", raw[: 1024 * 1024])
    candidates = _ANGLE.findall(bare) or _BARE.findall(bare)
    out: list[str] = []
    for candidate in candidates:
        spec = mailbox(candidate)
        if spec and spec.lower() not in out:
            out.append(spec.lower())
    return out


def envelope_sender(message: Message) -> str:
    """The envelope sender: Return-Path, else what SES's verdict headers name."""
    for name in ("Return-Path", "Authentication-Results", "Received-SPF"):
        raw = raw_value(message, name) or ""
        found = lenient_addresses(raw) if name == "Return-Path" else _ENVELOPE.findall(raw[:4096])
        for candidate in found:
            spec = mailbox(candidate)
            if spec:
                return spec.lower()
    return ""


class Sender(NamedTuple):
    address: str  # "" when nobody can be known
    source: str  # "from", "from (lenient)", "envelope" or ""


def sender_of(message: Message) -> Sender:
    """Who sent `message` (see the module docstring)."""
    parsed = [a for a in addresses(message, "From") if mailbox(a)]
    if len(set(parsed)) == 1:
        return Sender(parsed[0], "from")
    if not parsed:
        lenient = lenient_addresses(raw_value(message, "From") or "")
        if len(lenient) == 1:
            return Sender(lenient[0], "from (lenient)")
    envelope = envelope_sender(message)
    return Sender(envelope, "envelope" if envelope else "")


def date(message: Message, name: str = "Date") -> datetime | None:
    value = header(message, name)
    moment = parse_mail_date(value) if value else None
    return moment.astimezone(UTC) if moment else None


def _received_date(value: str) -> datetime | None:
    """The date after the last ';' of a Received header."""
    if ";" not in value:
        return None
    moment = parse_mail_date(value.rsplit(";", 1)[1][:200])
    return moment.astimezone(UTC) if moment else None


def top_received_time(message: Message) -> datetime | None:
    top = raw_value(message, "Received")
    return _received_date(top) if top else None


def ses_receipt_time(message: Message) -> datetime | None:
    top = raw_value(message, "Received")
    if not top or not any(hop in top.lower()[:2000] for hop in _SES_HOPS):
        return None
    return _received_date(top)


class Envelope(NamedTuple):
    sender: str
    auth: AuthVerdict
    message_id: str | None
    received_at: datetime | None
    subject: str = ""


def peek_sender(raw: bytes) -> Envelope:
    """Who sent an email that cannot be read whole (too large, too deep, a header bomb...),
    from a bounded re-read of its header block: only the fields that say who sent it, each
    cut to MAX_DECODED_CHARS. Never raises; "" / None for what is unknown."""
    try:
        head = _peek_block(raw)
        message = BytesHeaderParser(policy=policy.default).parsebytes(head)
        subject = header(message, "Subject")
        return Envelope(
            sender_of(message).address,
            read_auth(message),
            message_ids_raw(message),
            ses_receipt_time(message),
            header_text(subject, 200),
        )
    except Exception:  # noqa: BLE001 - this is the last resort: it must answer something
        return Envelope("", AuthVerdict(), None, None)


def message_ids_raw(message: Message) -> str | None:
    value = raw_value(message, "Message-ID")
    return value[:500] if value else None


def _peek_block(raw: bytes) -> bytes:
    """The header block's wanted fields, each at most MAX_DECODED_CHARS (folded lines kept)."""
    end = min((i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0), default=-1)
    block = raw[: end if 0 <= end < _PEEK_BYTES else _PEEK_BYTES]
    kept: list[bytes] = []
    keep, room = False, 0
    for line in block.splitlines():
        if line[:1] in (b" ", b"\t"):  # a folded continuation of the field before
            if keep and room > 0:
                kept.append(line[:room].replace(b"\0", b" "))
                room -= len(line)
            continue
        name = line.split(b":", 1)[0].strip().lower().decode("ascii", "replace")
        keep = name in _PEEK_FIELDS and b":" in line
        if keep:
            # From and Return-Path whole (read leniently, never decoded): the address of a
            # From bomb is at its end.
            room = _PEEK_BYTES if name in {"from", "return-path"} else MAX_DECODED_CHARS
            kept.append(line[:room].replace(b"\0", b" "))
            room -= len(line)
    return b"\r\n".join(kept) + b"\r\n\r\n"
