"""Bytes of a MIME part -> text, whatever the sender's mail program claimed.

Charsets: the declared one if Python knows it and the bytes fit it; otherwise (unknown,
mislabelled or undeclared 8-bit text) UTF-8, then Windows-1252, then Latin-1, which never
fails. Log lines are ASCII in practice, so the fallback only has to keep them intact.
format=flowed (RFC 3676, Thunderbird and Apple Mail) is unwrapped, so a long iptables line
the mail program folded comes back as one line. Quote markers (`> `, `>> `, `> > `) are
stripped so quoted log lines parse.
"""

from __future__ import annotations

import codecs
import re
from email.message import Message

# Labels mail programs write that Python spells differently or not at all.
_ALIASES = {
    "utf8": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
    "x-unknown": "",
    "unknown-8bit": "",
    "x-user-defined": "",
    "default": "",
    "ansi_x3.4-1968": "ascii",
}


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Text of `data`; `declared` is the part's charset parameter (may be wrong or absent)."""
    charset = _known_charset(declared)
    if charset and not (charset in {"ascii", "us-ascii"} and not data.isascii()):
        try:
            return data.decode(charset)
        except (UnicodeDecodeError, LookupError):
            pass  # mislabelled: fall through to the guesses
    for guess in ("utf-8", "cp1252"):
        try:
            return data.decode(guess)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _known_charset(declared: str | None) -> str:
    if not declared:
        return ""
    name = declared.strip().strip('"').lower()
    name = _ALIASES.get(name, name)
    if not name or not name.isascii() or not name.isprintable() or len(name) > 64:
        return ""  # a NUL or control in the label: guess, as for an unknown charset
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):
        return ""


def part_text(part: Message) -> str:
    """The decoded text of a leaf part (transfer encoding, charset and format=flowed undone)."""
    payload = part.get_payload(decode=True)
    if payload is None:
        return ""
    if not isinstance(payload, bytes):  # pragma: no cover - only multiparts give lists
        return ""
    try:
        declared = part.get_content_charset()
    except (ValueError, TypeError, LookupError):  # an unparseable parameter: guess
        declared = None
    text = decode_bytes(payload, declared)
    if str(part.get_param("format", "", header="content-type")).lower() == "flowed":
        delsp = str(part.get_param("delsp", "", header="content-type")).lower() == "yes"
        text = unflow(text, delsp=delsp)
    return text


def unflow(text: str, *, delsp: bool = False) -> str:
    """Undo RFC 3676 format=flowed: a line ending in a space continues on the next line of
    the same quote depth. Quote markers are kept (`>` per level) for strip_quotes to remove."""
    out: list[str] = []
    pending: tuple[int, str] | None = None  # (quote depth, text so far) of an unfinished line
    for line in text.replace("\r\n", "\n").split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):  # space-stuffing
            content = content[1:]
        if pending is not None and pending[0] == depth:
            content = pending[1] + content
        elif pending is not None:
            out.append(_quoted(*pending))
        pending = None
        if content != "-- " and content.endswith(" "):
            pending = (depth, content[:-1] if delsp else content)
            continue
        out.append(_quoted(depth, content))
    if pending is not None:
        out.append(_quoted(*pending))
    return "\n".join(out)


def _quoted(depth: int, content: str) -> str:
    return ">" * depth + (" " if depth else "") + content


_QUOTE = re.compile(r"^[ \t]*(?:>[ \t]?)+")


def strip_quotes(text: str) -> str:
    """Remove reply/forward quote markers at any nesting depth from every line."""
    return "\n".join(_QUOTE.sub("", line) for line in text.replace("\r\n", "\n").split("\n"))
