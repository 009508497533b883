"""The abuse report: one plain-text, US-ASCII message per source IP.

Follows the port-probe reporting guidelines (polite, factual, UTC to the second, destination
masked, no HTML, no attachments). Only parsed fields of the incident reach the text; every
value is stripped of control characters and folded to ASCII, and every address is validated
before it becomes a header, so nothing a stranger wrote can inject a header or a MIME part.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import textwrap
import unicodedata
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr

from probewatch.clock import utcnow
from probewatch.config import SendSettings
from probewatch.errors import ProbewatchError
from probewatch.model import Contact, EvidenceLine, Incident, Reporter, parse_iso

WIDTH = 72
# A report that lists thousands of lines helps nobody; first/last seen and the count remain.
MAX_EVIDENCE_LINES = 100
INCIDENT_ID_RE = re.compile(r"PW-\d{8}-[0-9a-f]{8}")

_ADDRESS_RE = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
_HOSTNAME_RE = re.compile(r"^([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.?)+$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]+")
# Registry network names are handles (EXAMPLE-NET-1); anything else is dropped.
_NETNAME_RE = re.compile(r"[^A-Za-z0-9._ -]")


class InvalidAddress(ProbewatchError):
    """An address is not a plain, ASCII mailbox (or could smuggle a header)."""


_PUNCTUATION = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u00a0": " ",
    }
)


def clean_text(value: object, limit: int = 200) -> str:
    """One line of printable ASCII: control characters (CR, LF, NUL...) become spaces,
    typographic punctuation and accents are folded, anything else non-ASCII becomes '?', and
    the result is cut to `limit`."""
    text = unicodedata.normalize("NFKD", str(value).translate(_PUNCTUATION))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.encode("ascii", "replace").decode("ascii")
    text = _CONTROL_RE.sub(" ", text)
    return " ".join(text.split())[:limit]


def validate_address(value: str) -> str:
    """Return `value` when it is a plain ASCII addr-spec (no name, no brackets, no spaces,
    no control characters, at most 254 characters); raise InvalidAddress otherwise."""
    if not isinstance(value, str) or len(value) > 254 or not _ADDRESS_RE.match(value):
        raise InvalidAddress(f"not a usable mailbox: {clean_text(value, 80)!r}")
    return value


def clean_hostname(value: str | None) -> str | None:
    """A reverse-DNS name as DNS allows it, or None (a name with anything else is withheld)."""
    if not value:
        return None
    name = value.strip().rstrip(".")
    if len(name) > 253 or not _HOSTNAME_RE.match(name):
        return None
    return name.lower()


def subject_for(incident: Incident) -> str:
    return (
        f"Security issue - Source IP: {clean_text(incident.src_ip, 45)} "
        f"[{clean_text(incident.incident_id, 40)}]"
    )


def render_report(
    incident: Incident, contact: Contact, settings: SendSettings, reporters: list[Reporter]
) -> EmailMessage:
    """The message for `contact` about `incident`; raises InvalidAddress for a bad mailbox."""
    to_addr = validate_address(contact.email)
    sender = validate_address(settings.sender_address)
    reply_to = validate_address(settings.reply_to_address)
    msg = EmailMessage(policy=SMTP)
    msg["From"] = formataddr((clean_text(settings.sender_name, 60), sender))
    msg["To"] = to_addr
    msg["Reply-To"] = reply_to
    msg["Subject"] = subject_for(incident)
    msg["Date"] = format_datetime(utcnow())
    # SES replaces Message-ID with its own (kept under MSG#<id>); if one ever survives, the
    # incident id in it still lets a reply find its incident. One per mailbox tried.
    mailbox_tag = hashlib.sha256(to_addr.lower().encode()).hexdigest()[:8]
    msg["Message-ID"] = (
        f"<{clean_text(incident.incident_id, 40)}.{mailbox_tag}@{sender.split('@')[1]}>"
    )
    msg["X-Probewatch-Incident"] = clean_text(incident.incident_id, 40)
    msg.set_content(report_text(incident, reporters), charset="us-ascii", cte="7bit")
    return msg


def report_text(incident: Incident, reporters: list[Reporter]) -> str:
    """The body: prose wrapped at 72 columns, evidence lines never wrapped."""
    src = clean_text(incident.src_ip, 45)
    count = max(incident.event_count, len(incident.evidence_lines))
    n_reporters = max(len(incident.reporters), 1)
    ptr = clean_hostname(incident.ptr)
    who = "A firewall" if n_reporters == 1 else f"Firewalls of {n_reporters} independent reporters"
    parts: list[str] = [
        "To whom it may concern,",
        _wrap(
            "The purpose of this e-mail is to make you aware of a potential security issue "
            f"that appears to be originating from your network. {who} recently logged the "
            f"following {'event' if count == 1 else 'events'} from {src}:"
        ),
        _evidence_block(incident, count),
        _summary_block(incident, count, n_reporters, ptr),
        _wrap(
            "This traffic was unsolicited and therefore may indicate that the host is "
            "compromised or is being used for unauthorized purposes."
        ),
    ]
    note = _evidence_note(incident)
    if note:
        parts.append(_wrap(note))
    parts.append(
        _wrap(
            "All times are UTC. Destination addresses are masked to protect the privacy of "
            "the people who reported this activity."
        )
    )
    parts.append(
        _wrap(
            "If you have any questions or need further information, please do not hesitate "
            "to reply to this e-mail; please keep the incident number "
            f"{clean_text(incident.incident_id, 40)} in the subject."
        )
    )
    parts.append(_closing(n_reporters, reporters))
    parts.append(
        _wrap(
            "This report was prepared automatically from firewall logs that probewatch users "
            "forwarded; it lists only the parsed log fields."
        )
    )
    return "\n\n".join(parts) + "\n"


def _closing(n_reporters: int, reporters: list[Reporter]) -> str:
    """Reporters are counted, never named, unless they opted in to being named."""
    closing = "Regards,\nprobewatch, on behalf of " + (
        "the reporter" if n_reporters == 1 else f"{n_reporters} reporters"
    )
    named = sorted({addr for r in reporters if r.identify and (addr := _address_or_none(r.email))})
    if named:
        closing += "\nReporters who asked to be named: " + ", ".join(named)
    return closing


def _address_or_none(value: str) -> str | None:
    try:
        return validate_address(value).lower()
    except InvalidAddress:
        return None


def _wrap(text: str) -> str:
    return textwrap.fill(text, width=WIDTH, break_long_words=False, break_on_hyphens=False)


def _utc(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "unknown"


def _endpoint(ip: str, port: int | None) -> str:
    host = f"[{ip}]" if ":" in ip else ip
    return f"{host}:{port}" if port is not None else host


def _masked(value: str | None) -> str:
    if not value:
        return "(not logged)"
    text = clean_text(value, 60)
    return text if text.endswith("(masked)") else f"{text} (masked)"


def _evidence_columns(line: EvidenceLine) -> list[str]:
    proto = clean_text(line.proto, 8).upper() or "?"
    port = f"port {line.dst_port}" if line.dst_port is not None else ""
    flags = f"flags {clean_text(line.tcp_flags, 20).upper()}" if line.tcp_flags else ""
    return [
        _utc(parse_iso(line.time)),
        proto,
        _endpoint(clean_text(line.src_ip, 45), line.src_port),
        "-> " + _masked(line.dst_masked),
        port,
        flags,
        f"reporter {line.reporter_no or '?'}",
    ]


def _evidence_block(incident: Incident, count: int) -> str:
    lines = sorted(incident.evidence_lines, key=lambda e: (e.time, e.reporter_no))
    shown = lines[:MAX_EVIDENCE_LINES]
    rows = [_evidence_columns(line) for line in shown]
    if len({line.reporter_no for line in lines}) <= 1:
        rows = [row[:-1] for row in rows]  # one reporter: the column says nothing
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))] if rows else []
    out = ["  " + "  ".join(c.ljust(widths[i]) for i, c in enumerate(row)).rstrip() for row in rows]
    # The aggregate may keep only some lines of a long incident; the count covers them all.
    hidden = max(count, len(lines)) - len(shown)
    if hidden > 0:
        out.append(f"  ... and {hidden} more events like these, not listed here")
    if not out:
        out.append("  (no event lines were kept)")
    return "\n".join(out)


def _summary_block(incident: Incident, count: int, n_reporters: int, ptr: str | None) -> str:
    rows = [
        ("Source IP", clean_text(incident.src_ip, 45)),
        ("Reverse DNS", ptr or "(none)"),
        ("First seen", _utc(incident.first_seen)),
        ("Last seen", _utc(incident.last_seen)),
        ("Events", str(count)),
        ("Independent reporters", str(n_reporters)),
        ("Incident", clean_text(incident.incident_id, 40)),
    ]
    network = incident.network or {}
    name = _NETNAME_RE.sub("", clean_text(network.get("name") or "", 60))
    cidr = _valid_cidr(network.get("cidr"), incident.src_ip)
    if name or cidr:
        rows.insert(2, ("Network", " ".join(p for p in (cidr, f"({name})" if name else "") if p)))
    width = max(len(label) for label, _ in rows) + 2
    return "\n".join(f"  {(label + ':').ljust(width)}{value}" for label, value in rows)


def _valid_cidr(value: object, src_ip: str) -> str:
    """The network as CIDR when it really holds the source (one source IP per report)."""
    try:
        network = ipaddress.ip_network(str(value), strict=False)
        return str(network) if ipaddress.ip_address(src_ip) in network else ""
    except ValueError:
        return ""


_NOTES = {
    "syn-only": (
        "Please note: each event above is a single blocked TCP SYN packet. The source "
        "address of such packets can be forged (spoofed), so this traffic may not have come "
        "from your network; your own flow or NAT logs can confirm it."
    ),
    "udp": (
        "Please note: the events above are UDP packets. The source address of UDP packets can "
        "be forged (spoofed), so this traffic may not have come from your network; your own "
        "flow or NAT logs can confirm it."
    ),
    "spoofable": (
        "Please note: every event above is a lone TCP SYN or a UDP packet. The source address "
        "of such packets can be forged (spoofed), so this traffic may not have come from your "
        "network; your own flow or NAT logs can confirm it."
    ),
    "established": (
        "Stronger evidence: at least one of these connections completed the TCP handshake, "
        "which a forged (spoofed) source address cannot do."
    ),
    "ids": (
        "Stronger evidence: an intrusion detection system matched the content of this "
        "traffic, not only its addresses and ports."
    ),
}


def _evidence_note(incident: Incident) -> str | None:
    """Say how far the evidence goes: the aggregate's label first; for any other label, look
    at the lines themselves, and warn whenever every one of them could have been forged."""
    if incident.evidence in _NOTES:
        return _NOTES[incident.evidence]
    lines = incident.evidence_lines
    if lines and all(_spoofable(line) for line in lines):
        return _NOTES["spoofable"]
    return None


def _spoofable(line: EvidenceLine) -> bool:
    proto = (line.proto or "").upper()
    flags = set((line.tcp_flags or "").upper().replace(",", " ").split())
    return proto == "UDP" or (proto == "TCP" and flags <= {"SYN"})
