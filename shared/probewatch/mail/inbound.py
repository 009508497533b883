"""Raw RFC 5322 bytes -> the texts that may hold log lines, plus who sent them and when.

`read_email` is pure (no AWS). It walks the MIME tree itself so that nesting depth and part
count are bounded before any part is decoded, and collects every candidate text:
  * text/plain bodies (format=flowed unwrapped, quote markers stripped) and, when a message
    has no plain alternative, its text/html rendered with line structure kept (the other
    versions of a multipart/alternative are kept apart in `alternates`);
  * text/* attachments and .log/.txt/.csv attachments of any declared type;
  * gzip/zip/tar attachments (bounded decompression, see archives.py);
  * message/rfc822 attachments (and .eml files), recursively, remembering the attached
    alert's own Date and when it reached the reporter, for the clock check.
The reporter is the From of the OUTER message only, with SES's verdicts from the headers SES
prepended (auth.py). Nothing inside the body (forwarded headers included) is ever used for
the reporter's identity.

Bad input: limits and unusable messages raise MailRejected(reason) with a reason code
(limits.py codes, "empty", "no-sender"); a part that cannot be read is skipped and noted in
`notes`, so one broken attachment does not lose the rest of the email.
"""

from __future__ import annotations

import base64
import binascii
import quopri
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import Message
from email.parser import BytesParser

from probewatch.errors import MailRejected
from probewatch.mail.archives import ArchiveUnreadable, archive_kind, extract, is_text_name
from probewatch.mail.auth import AuthVerdict, automated_reason, read_auth
from probewatch.mail.decode import decode_bytes, part_text, strip_quotes
from probewatch.mail.forwards import find_forward
from probewatch.mail.headers import (
    Envelope,
    addresses,
    date,
    header,
    peek_sender,
    raw_value,
    sender_of,
    ses_receipt_time,
    top_received_time,
)
from probewatch.mail.html_text import html_to_text
from probewatch.mail.limits import DECOMPRESSED_TOO_LARGE, Budget, MailLimits
from probewatch.mail.lines import normalize_line_ends
from probewatch.mail.loops import carries_own_reply, is_own_reply_headers
from probewatch.mail.outgoing import header_text
from probewatch.mail.prescan import long_line_spans, prescan

__all__ = ["Envelope", "InboundMail", "MailText", "peek_sender", "read_email"]

EMPTY = "empty"
NO_SENDER = "no-sender"

_SNIFF_BYTES = 8192


@dataclass(slots=True)
class MailText:
    """One candidate text: a body, an attachment, or a text inside an attached message."""

    name: str  # "body", "body (html)", "attachment fw.log", "attached message 'x' / body"...
    text: str
    forward_style: str | None = None  # "gmail", "outlook"... when an inline forward is seen
    original_date: datetime | None = None  # the forwarded alert mail's own Date, if known
    original_received: datetime | None = None  # when that alert reached the reporter's MX
    # Versions of one multipart/alternative share this number: the sender's preferred one
    # (plain text) is in InboundMail.texts, the others in InboundMail.alternates.
    alternative: int | None = None


@dataclass(slots=True)
class InboundMail:
    sender: str  # outer From address, lower case
    auth: AuthVerdict
    received_at: datetime | None  # SES receipt time (or the caller's fallback)
    date: datetime | None  # outer Date header
    message_id: str | None
    subject: str
    in_reply_to: str | None
    references: list[str]
    to: list[str]
    auto_submitted: bool  # never auto-reply (Auto-Submitted, bulk/list/junk, List-Id...)
    texts: list[MailText] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    automated_reason: str | None = None
    alternates: list[MailText] = field(default_factory=list)  # see MailText.alternative
    size: int = 0
    own_reply: bool = False  # carries one of our automatic replies (mail.loops)

    @property
    def is_forward(self) -> bool:
        """True when the log came to us second-hand (inline forward or attached message)."""
        return any(t.forward_style or t.original_date or t.original_received for t in self.texts)

    @property
    def body_text(self) -> str:
        """The outer message's own body text (where commands and replies are written)."""
        return "\n".join(t.text for t in self.texts if t.name.startswith("body"))

    def versions(self, text: MailText) -> list[MailText]:
        """`text` and its other renderings (e.g. the HTML of a plain body), preferred first.
        A program that hard-wrapped its plain version keeps the log lines intact in the HTML
        one, so a reader should use the version that yields the most."""
        if text.alternative is None:
            return [text]
        return [text, *(t for t in self.alternates if t.alternative == text.alternative)]


def read_email(
    raw: bytes, limits: MailLimits | None = None, *, received_at: datetime | None = None
) -> InboundMail:
    """Read one inbound email. `received_at` is the fallback receipt time (the S3 object's
    LastModified) used when the topmost Received header is not SES's. Raises MailRejected."""
    budget = Budget(limits or MailLimits())
    budget.check_size(len(raw))
    if not raw.strip():
        raise MailRejected(EMPTY, "the message has no content")
    raw, cut = prescan(raw, budget.limits)
    message = BytesParser(policy=policy.default).parsebytes(raw)
    _check_structure(message, budget)
    sender, source = sender_of(message)
    if not sender:
        raise MailRejected(NO_SENDER, "no usable From address")
    automated = automated_reason(message)
    mail = InboundMail(
        sender=sender,
        auth=read_auth(message),
        received_at=ses_receipt_time(message) or _as_utc(received_at),
        date=date(message),
        message_id=raw_value(message, "Message-ID") or None,
        subject=header(message, "Subject"),
        in_reply_to=raw_value(message, "In-Reply-To") or None,
        references=(raw_value(message, "References") or "").split(),
        to=addresses(message, "To") + addresses(message, "Cc"),
        auto_submitted=automated is not None,
        automated_reason=automated,
        size=len(raw),
        own_reply=is_own_reply_headers(message),
    )
    if cut:
        mail.notes.append(
            f"long-line: {cut} line(s) over {budget.limits.max_raw_line_bytes} bytes skipped"
        )
    if source != "from":
        mail.notes.append(f"sender: taken from the {source} (the From header is unusable)")
    _Walker(budget, mail).walk(message, prefix="", attached=None)
    return mail


# --- structure --------------------------------------------------------------------------


def _children(part: Message) -> list[Message]:
    if not part.is_multipart():  # get_payload() of a leaf decodes it (and can raise)
        return []
    payload = part.get_payload()
    if isinstance(payload, list):
        return [child for child in payload if isinstance(child, Message)]
    return []


def _check_structure(message: Message, budget: Budget, depth: int = 0) -> None:
    """Count parts and depth of the whole tree before decoding anything (iteratively: a
    hostile message must not be able to exhaust the interpreter's stack). `depth` is where
    the tree sits: an attached .eml continues its parent's count."""
    stack: list[tuple[Message, int]] = [(message, depth)]
    while stack:
        part, depth = stack.pop()
        budget.enter(depth)
        stack.extend((child, depth + 1) for child in _children(part))


# --- walking ----------------------------------------------------------------------------


@dataclass(slots=True)
class _Attached:
    """What we know about the attached message a part belongs to."""

    date: datetime | None
    received: datetime | None


class _Walker:
    def __init__(self, budget: Budget, mail: InboundMail) -> None:
        self.budget = budget
        self.mail = mail
        self.seen: set[str] = set()
        self.group: int | None = None  # the multipart/alternative being read, if any
        self.next_group = 1
        self.depth = -1  # of the part being read (0 = the outer message)

    def walk(self, part: Message, prefix: str, attached: _Attached | None) -> None:
        self.depth += 1
        try:
            self._walk(part, prefix, attached)
        finally:
            self.depth -= 1

    def _walk(self, part: Message, prefix: str, attached: _Attached | None) -> None:
        ctype = part.get_content_type()
        if ctype == "multipart/alternative":
            self._alternative(part, prefix, attached)
        elif part.get_content_maintype() == "multipart":
            for child in _children(part):
                self.walk(child, prefix, attached)
        elif ctype in {"message/rfc822", "message/global"}:
            try:
                inner_messages = self._encoded_message(part) or _children(part)
            except (ValueError, binascii.Error, LookupError) as exc:
                # Bad base64 in an attached message costs that message, not the email.
                self.mail.notes.append(f"unreadable-part: attached message: {exc}"[:300])
                return
            for inner in inner_messages:
                self._attached_message(inner, prefix)
        else:
            self._leaf(part, prefix, attached)

    def _alternative(self, part: Message, prefix: str, attached: _Attached | None) -> None:
        """Every version of the same content, marked as one group: the first readable one
        (plain text first: the sender's own words) goes to `texts`, the rest to `alternates`."""
        children = _children(part)
        plain = [c for c in children if c.get_content_type() == "text/plain"]
        ordered = plain + [c for c in reversed(children) if c not in plain]
        outer_group, self.group = self.group, self.next_group
        self.next_group += 1
        try:
            for child in ordered:
                self.walk(child, prefix, attached)
        finally:
            self.group = outer_group

    def _encoded_message(self, part: Message) -> list[Message]:
        """Some programs base64- or QP-encode a message/rfc822 part (RFC 2046 forbids it);
        the parser then reads the encoded text as a broken message. Decode and reparse."""
        encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
        if encoding not in {"base64", "quoted-printable"}:
            return []
        encoded = b"".join(child.as_bytes() for child in _children(part))
        if encoding == "base64":
            blob = b"".join(encoded.split())
            data = base64.b64decode(blob + b"=" * (-len(blob) % 4), validate=False)
        else:
            data = quopri.decodestring(encoded)
        return [self._parse_inner(data)]

    def _attached_message(self, inner: Message, prefix: str) -> None:
        if is_own_reply_headers(inner):
            self.mail.own_reply = True
        subject = header_text(header(inner, "Subject"), 80)
        label = f"{prefix}attached message '{subject}' / "
        received = top_received_time(inner)
        self.walk(inner, label, _Attached(date=date(inner), received=received))

    def _leaf(self, part: Message, prefix: str, attached: _Attached | None) -> None:
        ctype = part.get_content_type()
        filename = header_text(_filename(part), 200)  # shown in replies: one clean line
        is_attachment = part.get_content_disposition() == "attachment" or bool(filename)
        kind = archive_kind(filename, ctype)
        try:
            if kind:
                self._archive(part, kind, filename, prefix, attached)
            elif filename.lower().endswith(".eml"):
                self._eml_file(part, prefix)
            elif ctype == "text/html":
                name = f"attachment {filename}" if is_attachment else "body (html)"
                self._add(prefix + name, html_to_text(part_text(part)), attached)
            elif part.get_content_maintype() == "text":
                name = f"attachment {filename}" if is_attachment else "body"
                self._add(prefix + name, part_text(part), attached)
            elif filename and is_text_name(filename) and _looks_like_text(part):
                self._add(prefix + f"attachment {filename}", part_text(part), attached)
            else:
                self.mail.notes.append(
                    f"skipped: {filename or ctype} ({_why_unreadable(ctype, filename)})"
                )
        except ArchiveUnreadable as exc:
            self.mail.notes.append(f"unreadable-archive: {exc}")
        except MailRejected as exc:
            if exc.reason != DECOMPRESSED_TOO_LARGE:
                raise
            # A bomb (or just a huge log) costs its own attachment, not the whole email.
            self.mail.notes.append(f"{exc.reason}: {exc.detail}")
        except (LookupError, ValueError, zlib.error, binascii.Error) as exc:
            # A broken part (bad base64, impossible charset...) must not lose the others.
            self.mail.notes.append(f"unreadable-part: {filename or ctype}: {exc}"[:300])
        except Exception as exc:  # noqa: BLE001 - hostile MIME: lose this part only, say so
            self.mail.notes.append(f"unreadable-part: {filename or ctype}: {type(exc).__name__}")

    def _archive(
        self, part: Message, kind: str, filename: str, prefix: str, attached: _Attached | None
    ) -> None:
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):
            return
        for member, content in extract(kind, filename or "attachment", data, self.budget):
            if b"\0" in content[:_SNIFF_BYTES]:
                self.mail.notes.append(f"skipped: {filename}:{member} (binary)")
                continue
            self._add(f"{prefix}attachment {filename}:{member}", decode_bytes(content), attached)

    def _eml_file(self, part: Message, prefix: str) -> None:
        data = part.get_payload(decode=True)
        if isinstance(data, bytes):
            self._attached_message(self._parse_inner(data), prefix)

    def _parse_inner(self, data: bytes) -> Message:
        """An attached message that arrived as bytes: counted against the same limits."""
        inner = BytesParser(policy=policy.default).parsebytes(data)
        _check_structure(inner, self.budget, self.depth + 1)
        return inner

    def _without_long_lines(self, text: str) -> str:
        limit = self.budget.limits.max_line_chars
        spans = long_line_spans(text, 0, limit)
        if not spans:
            return text
        self.mail.notes.append(f"long-line: {len(spans)} line(s) over {limit} characters skipped")
        pieces, last = [], 0
        for begin, end in spans:
            pieces.append(text[last:begin])
            last = end
        pieces.append(text[last:])
        return "".join(pieces)

    def _add(self, name: str, text: str, attached: _Attached | None) -> None:
        text = normalize_line_ends(text)
        if len(text) > self.budget.limits.max_line_chars:
            text = self._without_long_lines(text)
        if carries_own_reply(text) and _unquoted_mark(text):
            self.mail.own_reply = True  # our reply forwarded back inline
        text = strip_quotes(text)
        if not text.strip():
            return
        # Same lines, whatever the spacing; a re-wrapped version is a different text.
        fingerprint = "\n".join(" ".join(line.split()) for line in text.split("\n") if line.strip())
        if fingerprint in self.seen:  # the same log as body and as attachment: read it once
            return
        self.seen.add(fingerprint)
        forward = find_forward(text)
        primaries = {t.alternative for t in self.mail.texts if t.alternative is not None}
        target = self.mail.alternates if self.group in primaries else self.mail.texts
        target.append(
            MailText(
                name=name,
                text=text,
                forward_style=forward.style if forward else None,
                original_date=(attached.date if attached else None)
                or (forward.original_date if forward else None),
                original_received=attached.received if attached else None,
                alternative=self.group,
            )
        )


# --- helpers ----------------------------------------------------------------------------


def _filename(part: Message) -> str:
    try:
        return (part.get_filename() or "").strip()
    except (ValueError, TypeError, LookupError):
        return ""


def _as_utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _unquoted_mark(text: str) -> bool:
    """Our signature on a line of its own, not quoted (a reply quoting us is not a loop)."""
    return any(
        carries_own_reply(line) and not line.lstrip().startswith(">") for line in text.split("\n")
    )


def _why_unreadable(ctype: str, filename: str) -> str:
    """What the reporter should know about an attachment we cannot read (shown in replies)."""
    if filename.lower().endswith(".msg") or ctype == "application/vnd.ms-outlook":
        return "an Outlook item: forward the alert inline or as .eml instead"
    if ctype.startswith("image/"):
        return "a picture: please send the log text, not a screenshot"
    if ctype == "application/pdf":
        return "a PDF: please send the log text"
    return ctype


def _looks_like_text(part: Message) -> bool:
    data = part.get_payload(decode=True)
    return isinstance(data, bytes) and b"\0" not in data[:_SNIFF_BYTES]
