"""Inline forwards: recognise the header block mail programs put above a forwarded message.

The log lines below such a block need nothing special (the parsers skip the header lines),
but the block tells us two things worth keeping: that this text is a forward (so the outer
Date is the reporter's mail program, not the alert's clock) and, when the block carries a
full RFC 5322 date, the alert mail's own Date for the clock check.

Styles recognised (after quote markers are stripped), in English and the common European
translations of each program:
  Gmail        ---------- Forwarded message ---------
  Thunderbird  -------- Forwarded Message --------
  Outlook      -----Original Message-----   or a "From: ... / Sent: ..." block
  Apple Mail   Begin forwarded message:
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

_FORWARDED = (
    r"(Forwarded message|Weitergeleitete Nachricht|Message transf\u00e9r\u00e9|"
    r"Mensaje reenviado|Messaggio inoltrato|Doorgestuurd bericht)"
)
_MARKERS = [
    # Gmail writes ten dashes, Thunderbird eight, Yahoo five: the count tells them apart.
    ("gmail", re.compile(rf"^-{{9,}}\s*{_FORWARDED}\s*-{{5,}}\s*$", re.IGNORECASE)),
    ("thunderbird", re.compile(rf"^-{{4,8}}\s*{_FORWARDED}\s*-{{4,8}}\s*$", re.IGNORECASE)),
    ("outlook", re.compile(
        r"^-{3,}\s*(Original Message|Urspr\u00fcngliche Nachricht|Message d'origine|"
        r"Mensaje original|Messaggio originale|Oorspronkelijk bericht)\s*-{3,}\s*$",
        re.IGNORECASE,
    )),
    ("apple-mail", re.compile(
        r"^(Begin forwarded message|Anfang der weitergeleiteten Nachricht|"
        r"D\u00e9but du message r\u00e9exp\u00e9di\u00e9|Inicio del mensaje reenviado|"
        r"Inizio messaggio inoltrato)\s*:\s*$",
        re.IGNORECASE,
    )),
]  # fmt: skip
# Newer Outlook writes no marker line, only a "From:" line directly followed by "Sent:".
_OUTLOOK_FROM = re.compile(r"^(From|Von|De|Da|Van|Fr\u00e5n|Fra|Od)\s?:\s*\S")
_OUTLOOK_SENT = re.compile(
    r"^(Sent|Gesendet|Envoy\u00e9|Enviado|Inviato|Verzonden|Skickat|Sendt|Wys\u0142ano)\s?:\s*\S"
)
_DATE_LINE = re.compile(
    r"^(?:Date|Sent|Datum|Gesendet|Envoy\u00e9|Enviado|Inviato|Verzonden)\s?:\s*(.+?)\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class ForwardInfo:
    style: str  # "gmail", "thunderbird", "outlook", "apple-mail"
    original_date: datetime | None  # only when the block's date has a zone and seconds


def find_forward(text: str) -> ForwardInfo | None:
    """The first inline-forward header block in `text` (quote markers already stripped)."""
    lines = text.split("\n")
    for index, line in enumerate(lines):
        stripped = line.strip()
        for style, marker in _MARKERS:
            if marker.match(stripped):
                return ForwardInfo(style, _block_date(lines[index + 1 : index + 12]))
        if (
            _OUTLOOK_FROM.match(stripped)
            and index + 1 < len(lines)
            and _OUTLOOK_SENT.match(lines[index + 1].strip())
        ):
            return ForwardInfo("outlook", _block_date(lines[index + 1 : index + 8]))
    return None


def _block_date(block: list[str]) -> datetime | None:
    for line in block:
        match = _DATE_LINE.match(line.strip())
        if match:
            return parse_mail_date(match.group(1))
    return None


def parse_mail_date(value: str) -> datetime | None:
    """An RFC 5322 date with a zone, or None (Gmail's "Tue, Nov 24, 2026 at 9:15 AM" has
    neither zone nor seconds: useless for a ±5 s clock check, so it is not guessed)."""
    try:
        moment = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None or moment.tzinfo is None:
        return None
    return moment.astimezone(UTC)
