"""Check a rendered abuse report against the reporting rules, from its raw bytes alone.

The send function runs this on every message before SES sees it (a report that breaks a
rule is not sent), and the tests run it on every message the demo sent.

A report is one text/plain part. The only other shape allowed, and only with `allow_xarf`
(the mailbox opted in), is multipart/mixed of exactly two parts: that same text/plain part
first, then one 7bit application/json attachment `xarf-<incident>.json` holding a XARF
connection/port_scan document about the subject's source IP and no other address.
"""

from __future__ import annotations

import email
import ipaddress
import json
import re
from collections.abc import Iterable
from email.message import Message, MIMEPart
from email.policy import default

SUBJECT_RE = re.compile(r"^Security issue - Source IP: (?P<ip>\S+) \[(?P<id>[A-Za-z0-9._:-]+)\]$")
# An evidence line: indented, UTC date and time to the second, then the rest of the event.
EVIDENCE_RE = re.compile(r"^  (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC  \S")
_IPV4_RE = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?![\d.])")
_IPV6_RE = re.compile(
    r"(?<![0-9A-Za-z:])([0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7})(?![0-9A-Za-z:])"
)
# Any tag at all: a plain-text report has no reason to contain one.
_HTML_RE = re.compile(r"<\s*/?\s*[A-Za-z][A-Za-z0-9]*(\s[^<>]*)?/?>|&[a-z]+;|&#\d+;")
REQUIRED_PHRASES = (
    "appears to be originating from your network",
    "may indicate that the host is compromised or is being used for unauthorized purposes",
    "All times are UTC",
    "If you have any questions",
    # Every report says, in one line, how the network owner stops all reports.
    "Reply OPT-OUT to receive no more reports about your network.",
)
PROSE_WIDTH = 72
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def report_violations(
    raw: bytes, forbidden: Iterable[str] = (), *, allow_xarf: bool = False
) -> list[str]:
    """Every rule `raw` breaks, as sentences (empty when it is a good report).

    `forbidden` are strings that must not appear anywhere (the addresses of reporters who did
    not opt in to being named). `allow_xarf`: the XARF attachment is allowed (see above).
    """
    problems: list[str] = []
    if any(byte > 127 or byte == 0 for byte in raw):
        problems.append("not pure US-ASCII (or contains NUL)")
    text = raw.decode("ascii", "replace")
    lowered = text.lower()
    problems += [f"contains {item!r}" for item in forbidden if item and item.lower() in lowered]
    top = email.message_from_bytes(raw, policy=default)
    problems += _header_problems(top)
    msg: MIMEPart = top
    if allow_xarf and top.get_content_type() == "multipart/mixed":
        parts = list(top.iter_parts())
        if len(parts) != 2:
            problems.append(f"multipart/mixed with {len(parts)} parts, not text + XARF")
            return problems
        msg = parts[0]
        problems += _xarf_problems(parts[1], str(top.get("Subject", "")))
    if msg.is_multipart() or msg.get_content_type() != "text/plain":
        problems.append(f"not a single text/plain part ({msg.get_content_type()})")
        return problems
    if msg.get("Content-Disposition"):
        problems.append("has a Content-Disposition (attachment)")
    if (msg.get_content_charset() or "us-ascii") != "us-ascii":
        problems.append(f"charset is {msg.get_content_charset()}")
    if str(msg.get("Content-Transfer-Encoding", "7bit")).lower() != "7bit":
        problems.append("transfer encoding is not 7bit")
    body = msg.get_content()
    if _HTML_RE.search(body):
        problems.append("body contains HTML")
    match = SUBJECT_RE.match(str(top.get("Subject", "")))
    if match:
        problems += _body_problems(body, match.group("ip"))
    return problems


def _xarf_problems(part: Message, subject: str) -> list[str]:
    """The second part: a 7bit JSON attachment, XARF connection/port_scan, about the source."""
    problems = []
    match = SUBJECT_RE.match(subject)
    if part.get_content_type() != "application/json":
        return [f"second part is {part.get_content_type()}, not the XARF application/json"]
    if str(part.get("Content-Transfer-Encoding", "7bit")).lower() != "7bit":
        problems.append("XARF part is not 7bit")
    name = part.get_filename() or ""
    if not match or name != f"xarf-{match.group('id')}.json":
        problems.append(f"XARF attachment named {name!r}, not xarf-<incident>.json")
    try:
        payload = part.get_payload(decode=True)
        document = json.loads(payload if isinstance(payload, bytes) else b"")
    except ValueError:
        return [*problems, "XARF part is not JSON"]
    if not isinstance(document, dict):
        return [*problems, "XARF part is not a JSON object"]
    if (document.get("category"), document.get("type")) != ("connection", "port_scan"):
        problems.append("XARF part is not category connection / type port_scan")
    if _HTML_RE.search(json.dumps(document)):
        problems.append("XARF part contains HTML")
    if "destination_ip" in document:
        problems.append("XARF part names a destination address")
    if match:
        try:
            source: IPAddress = ipaddress.ip_address(match.group("ip"))
        except ValueError:
            return problems
        if document.get("source_identifier") != str(source):
            problems.append("XARF source_identifier is not the subject's source IP")
        problems += [f"XARF: {p}" for p in _address_problems(json.dumps(document), source)]
    return problems


def _header_problems(msg: Message) -> list[str]:
    problems = []
    subject = str(msg.get("Subject", ""))
    match = SUBJECT_RE.match(subject)
    if not match:
        problems.append(f"subject {subject!r} is not 'Security issue - Source IP: <ip> [<id>]'")
    else:
        try:
            ipaddress.ip_address(match.group("ip"))
        except ValueError:
            problems.append(f"subject names {match.group('ip')!r}, not an IP address")
    for name in ("From", "To", "Reply-To", "Date"):
        if len(msg.get_all(name) or []) != 1:
            problems.append(f"needs exactly one {name} header")
    for name in ("Cc", "Bcc"):
        if msg.get(name):
            problems.append(f"has a {name} header")
    to = msg.get("To")
    if to is not None and len(getattr(to, "addresses", ())) != 1:
        problems.append("To must name exactly one mailbox")
    for name, value in msg.items():
        if any(ch in str(value) for ch in "\r\n\x00"):
            problems.append(f"header {name} carries a line break")
    return problems


def _body_problems(body: str, src: str) -> list[str]:
    problems: list[str] = []
    source: IPAddress = ipaddress.ip_address(src)
    lines = body.splitlines()
    evidence = [line for line in lines if EVIDENCE_RE.match(line)]
    if not evidence:
        problems.append("no evidence line with a UTC time to the second")
    for line in evidence:
        if not _mentions(line, source):
            problems.append(f"evidence line without the source IP: {line.strip()!r}")
        if "(masked)" not in line and "(not logged)" not in line:
            problems.append(f"evidence line without a masked destination: {line.strip()!r}")
    for line in lines:
        # Indented lines are data (evidence, summary), which must never be wrapped.
        if not line.startswith(" ") and len(line) > PROSE_WIDTH:
            problems.append(f"prose line longer than {PROSE_WIDTH}: {line[:40]!r}...")
    flat = " ".join(body.split())
    problems += [f"missing {phrase!r}" for phrase in REQUIRED_PHRASES if phrase not in flat]
    problems += _address_problems(body, source)
    return problems


def _address_problems(body: str, source: IPAddress) -> list[str]:
    """One source per message: every address is the source, a masked destination, or the
    source's own network written as a CIDR."""
    problems = []
    for regex in (_IPV4_RE, _IPV6_RE):
        for match in regex.finditer(body):
            try:
                address = ipaddress.ip_address(match.group(1))
            except ValueError:
                continue
            after = body[match.end() : match.end() + 12]
            if address == source:
                continue
            if after.startswith(" (masked)"):
                if not _is_masked(address):
                    problems.append(f"destination {address} is not masked enough")
                continue
            cidr = re.match(r"/(\d{1,3}) \(masked\)", after)
            if cidr:  # "203.0.0.0/8 (masked)", "2001:db8:1::/48 (masked)"
                if not _is_masked(address, int(cidr.group(1))):
                    problems.append(f"destination {address}/{cidr.group(1)} is not masked enough")
                continue
            cidr = re.match(r"/(\d{1,3})", after)
            if cidr and _network_holds(address, int(cidr.group(1)), source, after):
                continue
            problems.append(f"another address appears: {address}")
    return problems


def _is_masked(address: IPAddress, length: int | None = None) -> bool:
    """Lower 2 (or 3) octets hidden (IPv6: no more than the /48); a written prefix must not
    claim to show more than that."""
    if address.version == 4:
        return int(address) & 0xFFFF == 0 and (length is None or length <= 16)
    return int(address) & ((1 << 80) - 1) == 0 and (length is None or length <= 48)


def _network_holds(address: IPAddress, length: int, source: IPAddress, after: str) -> bool:
    try:
        network = ipaddress.ip_network(f"{address}/{length}", strict=False)
    except ValueError:
        return False
    # "2001:db8:1::/48 (masked)" is a masked IPv6 destination, not a network name.
    if after.split(" ", 1)[-1].startswith("(masked)"):
        return _is_masked(address, length)
    return source in network


def _mentions(line: str, source: IPAddress) -> bool:
    for regex in (_IPV4_RE, _IPV6_RE):
        for match in regex.finditer(line):
            try:
                if ipaddress.ip_address(match.group(1)) == source:
                    return True
            except ValueError:
                continue
    return False
