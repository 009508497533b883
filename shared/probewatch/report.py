"""The abuse report: one plain-text, US-ASCII message per source IP.

Follows the port-probe reporting guidelines (polite, factual, UTC to the second, destination
masked, no HTML, no attachments). The one exception is asked for by the desk itself: a
mailbox or domain that opted in to XARF gets multipart/mixed, the same text/plain part first
and the XARF v4 JSON (probewatch.xarf) as a 7bit attachment. Only parsed fields of the
incident reach the text; every
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
from probewatch.optouts import HOW_TO_OPT_OUT

WIDTH = 72
# A report that lists thousands of lines helps nobody; first/last seen and the count remain.
MAX_EVIDENCE_LINES = 100
INCIDENT_ID_RE = re.compile(r"PW-\d{8}-[0-9a-f]{8}")
JUDGED = "How the evidence was judged:"

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
    incident: Incident,
    contact: Contact,
    settings: SendSettings,
    reporters: list[Reporter],
    *,
    xarf: bool = False,
) -> EmailMessage:
    """The message for `contact` about `incident`; raises InvalidAddress for a bad mailbox.
    `xarf`: the mailbox opted in to the XARF attachment (attached when a valid one exists)."""
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
    if xarf:
        _attach_xarf(msg, incident, clean_text(settings.sender_name, 60), reply_to)
    return msg


def _attach_xarf(msg: EmailMessage, incident: Incident, sender_name: str, contact: str) -> None:
    from probewatch.xarf import attachment_name, xarf_json, xarf_report

    document = xarf_report(
        incident, sender_name=sender_name, contact=contact, judged=evidence_judgement(incident)
    )
    if document is None:
        return  # no schema-valid copy (no source port, unknown protocol): plain text only
    # add_attachment turns the single text part into multipart/mixed, text/plain first.
    msg.add_attachment(
        xarf_json(document).encode("ascii"),
        maintype="application",
        subtype="json",
        cte="7bit",
        filename=attachment_name(clean_text(incident.incident_id, 40)),
    )
    # A fixed boundary per message keeps the bytes reproducible (golden files, retries).
    tag = hashlib.sha256(f"{incident.incident_id}\0{msg['To']}".encode()).hexdigest()[:24]
    msg.set_boundary(f"=_probewatch_{tag}")


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
    parts.append(_wrap(f"{JUDGED} {evidence_judgement(incident)}."))
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
    parts.append(
        _wrap(
            "Reply LOOKUP for this incident's full record and history, or XARF ON to get "
            "future reports with a machine-readable XARF copy attached."
        )
    )
    parts.append(HOW_TO_OPT_OUT)
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
    """`203.0.0.0/8 (masked)`: the prefix says how much is hidden. A destination stored before
    the aggregate wrote prefixes gets the widest prefix its zero bits allow, always true."""
    if not value:
        return "(not logged)"
    text = clean_text(value, 60).removesuffix("(masked)").strip()
    if "/" not in text:
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            return f"{text} (masked)"
        bits = address.max_prefixlen
        zeros = (int(address) & -int(address)).bit_length() - 1 if int(address) else bits
        length = max(bits - zeros, 8 if bits == 32 else 16)
        text = f"{address}/{(length + 7) // 8 * 8}" if bits == 32 else f"{address}/{length}"
    return f"{text} (masked)"


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
    if incident.previous_report and INCIDENT_ID_RE.fullmatch(incident.previous_report):
        # A re-report after 72 hours: the desk can join it to what they already have.
        rows.append(("Reported before as", incident.previous_report))
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


def evidence_judgement(incident: Incident) -> str:
    """One line: how the evidence was judged (events, reporters, spoofability, why reported).

    Read from the aggregate's decision (decision_code, and the evidence label), never decided
    again here: the rules live in evidence.py."""
    lines = incident.evidence_lines
    count = max(incident.event_count, len(lines))
    n = max(len(incident.reporters), 1)
    events = f"{count} {'event' if count == 1 else 'events'}"
    facts = f"{events} from {n} {'reporter' if n == 1 else 'independent reporters'}"
    if incident.evidence == "established":
        return f"not spoofable (a completed TCP handshake): {facts}"
    if incident.evidence == "ids":
        return f"not spoofable (an IDS matched the payload): {facts}"
    spoofable = bool(lines) and all(_spoofable(line) for line in lines)
    kind = "spoofable (lone SYN/UDP packets)" if spoofable else "mixed traffic"
    # The verdict's own code: a held incident's decision_code says "held-for-review".
    code = incident.evidence_code or incident.decision_code
    if code == "corroborated-reporters":
        return f"{kind}, corroborated by {n} independent reporters ({events})"
    if code == "corroborated-volume":
        ports = len({line.dst_port for line in lines if line.dst_port is not None})
        minutes = len({line.time[:16] for line in lines if line.time})
        return (
            f"{kind}, corroborated by volume: {facts} over {ports} destination "
            f"{'port' if ports == 1 else 'ports'} and {minutes} "
            f"{'minute' if minutes == 1 else 'distinct minutes'}"
        )
    if code == "strong-evidence":
        return f"not spoofable: {facts}"
    # A code evidence.py may add later: say it as it is, in the aggregate's own words.
    named = clean_text(code.replace("-", " "), 40) if code else "no verdict recorded"
    return f"{kind}, {named}: {facts}"


def report_evidence_block(incident: Incident) -> str:
    """The evidence lines exactly as the report shows them (for an incident lookup)."""
    return _evidence_block(incident, max(incident.event_count, len(incident.evidence_lines)))
