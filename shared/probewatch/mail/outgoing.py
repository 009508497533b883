"""The one place where text someone else wrote becomes part of a header we send.

Reporter-controlled text (a Subject, a Message-ID, an address) must never become a header
line of its own, a recipient, or an encoded word that a mail program decodes a second time:
  * `header_text` makes one line of plain text: CR, LF, NUL and every other control or line
    separator become spaces, and the encoded-word opener "=?" is broken ("= ?"), because the
    `email` package (and every mail reader) decodes encoded words when a header is set or
    read. A Subject whose decoded text is itself an encoded word carrying CRLF would
    otherwise be decoded again, and on Python 3.11 folded out as real header lines;
  * `message_ids` keeps only well-formed `<left@right>` ids (no spaces, no "=?", no quotes);
  * `mailbox` accepts only a plain dot-atom addr-spec (`"a@x,victim@y"@x` is refused: one
    valid address, never a list in disguise), and `recipients` reads them back from the
    parsed header objects, never by splitting on commas;
  * `serialize` checks the finished message: every header line in the bytes we send is one
    we set, with no NUL and no encoded word that decodes to a line break.
Standard library only, so the same checks run under the tested and the deployed Python.
"""

from __future__ import annotations

import re
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesHeaderParser

_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff]")
_DOT_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_DOMAIN = r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
_MAILBOX = re.compile(rf"^{_DOT_ATOM}@{_DOMAIN}$")
_MSG_ID = re.compile(r"<[!-;=?-~]{1,250}@[!-;=?-~]{1,250}>")
MAX_IDS = 10


class UnsafeHeader(ValueError):
    """A message we built would carry a header nobody set (never sent)."""


def header_text(value: object, limit: int = 200) -> str:
    """One line of text that stays exactly what it says in a header (see module doc)."""
    text = _CONTROLS.sub(" ", str(value or ""))
    text = text.replace("=?", "= ?")
    return " ".join(text.split())[:limit].rstrip()


def message_ids(value: object) -> list[str]:
    """The well-formed message ids in `value` (at most MAX_IDS, the last ones)."""
    found = [m for m in _MSG_ID.findall(str(value or "")) if "=?" not in m and "?=" not in m]
    return found[-MAX_IDS:]


def mailbox(value: object) -> str | None:
    """`value` as a plain addr-spec we may send to, or None (quoted local parts, lists,
    display names, controls, over 254 characters)."""
    text = str(value or "").strip()
    if len(text) > 254 or not _MAILBOX.match(text):
        return None
    local, _, domain = text.rpartition("@")
    if len(local) > 64:
        return None
    return f"{local}@{domain.lower()}"


def set_address(message: EmailMessage, name: str, address: str, display: str = "") -> None:
    """Set From/To/Reply-To to one validated mailbox (UnsafeHeader if it is not one)."""
    spec = mailbox(address)
    if spec is None:
        raise UnsafeHeader(f"{name}: not a plain mailbox")
    local, _, domain = spec.rpartition("@")
    message[name] = Address(display_name=header_text(display, 60), username=local, domain=domain)


def set_text(message: EmailMessage, name: str, value: object, limit: int = 200) -> None:
    """Set an unstructured header (Subject...) from untrusted text."""
    message[name] = header_text(value, limit)


def set_threading(message: EmailMessage, in_reply_to: object, references: object) -> None:
    """In-Reply-To and References from the inbound ids, well-formed ones only."""
    parent = message_ids(in_reply_to)
    if not parent:
        return
    message["In-Reply-To"] = parent[-1]
    chain = [i for i in message_ids(references) if i != parent[-1]][-(MAX_IDS - 1) :]
    message["References"] = " ".join([*chain, parent[-1]])


def recipients(message: EmailMessage, *names: str) -> list[str]:
    """Every recipient of `message`, from the parsed address objects, each a valid mailbox."""
    out: list[str] = []
    for name in names or ("To", "Cc", "Bcc"):
        header = message.get(name)
        for address in getattr(header, "addresses", ()):
            spec = mailbox(address.addr_spec)
            if spec is None:
                raise UnsafeHeader(f"{name}: not a plain mailbox")
            out.append(spec)
    return out


def serialize(message: EmailMessage) -> bytes:
    """The bytes to send, after checking no header appeared that we did not set."""
    data = message.as_bytes(policy=policy.SMTP)
    head = data.split(b"\r\n\r\n", 1)[0]
    if b"\0" in head:
        raise UnsafeHeader("NUL in a header")
    parsed = BytesHeaderParser(policy=policy.default).parsebytes(head + b"\r\n\r\n")
    if sorted(k.lower() for k in parsed) != sorted(k.lower() for k in message):
        raise UnsafeHeader("the serialised message has headers nobody set")
    for key, value in parsed.items():
        if _CONTROLS.search(str(value)) or "=?" in str(value):
            raise UnsafeHeader(f"{key}: decodes to control characters or an encoded word")
    return data
