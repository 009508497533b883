"""Cisco ASA / PIX messages beyond the deny and connection families of cisco_asa.py.

* drops named another way: 209005 (fragment set discarded: `src = A, dest = B, proto = P`),
  313005 (ICMP error without a connection: `icmp src IF:A dst IF:B`), 304002 (URL denied:
  `SRC A DEST B`);
* lines that describe a connection without a verdict on it: 305011/305012 NAT
  translations, 725001-725007 SSL sessions with a peer, 202010 (NAT pool exhausted: the
  device's own shortage, not a verdict on the connection), 304001 URL accessed (allowed).
  They give an event (nothing described is dropped) with action "unknown" and evidence
  "no-verdict", which the filters never report (a mapping or a handshake is no probe);
* the ICMP connection form of ASA 9.x (`Teardown ICMP connection 9 from IF:A/id to IF:B/id`);
* messages pasted without their `%ASA-n-id:` tag: `untagged_id()` names the message from
  its first words, so cisco_asa.py can read it as the tagged one.
"""

from __future__ import annotations

from typing import NamedTuple

from probewatch.model import Action
from probewatch.parsers.patterns import lazy
from probewatch.parsers.vendor_helpers import NO_VERDICT

_EP = r"[^\s()]+"
_FRAGMENTS = lazy(r"\bsrc = (?P<src>[^\s,]+), dest = (?P<dst>[^\s,]+), proto = (?P<proto>\w+)")
_ICMP_ERROR = lazy(rf"\b(?P<proto>icmp6?) src (?P<src>{_EP}) dst (?P<dst>{_EP})")
_URL_DENIED = lazy(r"\bSRC (?P<src>\S+) DEST (?P<dst>\S+)")
# "10.20.30.40(DOMAIN\\login) Accessed URL 10.11.12.13:http://..." (the user is optional)
_URL_ACCESSED = lazy(r"^(?P<src>[^\s(]+)(?:\([^)]*\))? Accessed URL (?P<dst>[^\s:/]+)")
_TRANSLATION = lazy(
    rf"^(?:Built|Teardown) (?:dynamic|static|identity|portmap) (?P<proto>TCP|UDP|ICMP|SCTP) "
    rf"translation from (?P<src>{_EP}) to (?P<dst>{_EP})"
)
_POOL_EXHAUSTED = lazy(
    rf"Unable to create (?P<proto>TCP|UDP|ICMP|SCTP) connection from (?P<src>{_EP}) "
    rf"to (?P<dst>{_EP})"
)
_SSL_PEER = lazy(rf"\b(?:client|server) (?P<src>{_EP}) to (?P<dst>{_EP})")
_ICMP_FROM = lazy(
    rf"^(?:Built (?:inbound|outbound)|Teardown) (?P<proto>ICMP|ICMPv6) connection (?:\d+ )?"
    rf"from (?P<src>{_EP})(?: \([^)]*\))? to (?P<dst>{_EP})"
)


class Found(NamedTuple):
    proto: str
    src: str  # "iface:addr/port" or a bare address, as written
    dst: str | None
    action: Action
    evidence: str | None = None


def fields(message_id: str, body: str) -> Found | None:
    """What one of this module's messages says, None for any other message."""
    if message_id == "209005":
        match = _FRAGMENTS.search(body)
        return Found(match["proto"], match["src"], match["dst"], "block") if match else None
    if message_id == "313005":
        match = _ICMP_ERROR.search(body)
        return Found(match["proto"], match["src"], match["dst"], "block") if match else None
    if message_id == "304002":
        match = _URL_DENIED.search(body)
        return Found("TCP", match["src"], match["dst"], "block") if match else None
    if message_id == "304001":
        match = _URL_ACCESSED.match(body)
        return Found("TCP", match["src"], match["dst"], "allow") if match else None
    if message_id in ("305011", "305012"):
        match = _TRANSLATION.match(body)
        if match is None:
            return None
        return Found(match["proto"], match["src"], match["dst"], "unknown", NO_VERDICT)
    if message_id == "202010":
        match = _POOL_EXHAUSTED.search(body)
        if match is None:
            return None
        return Found(match["proto"], match["src"], match["dst"], "unknown", NO_VERDICT)
    if message_id.startswith("725"):
        match = _SSL_PEER.search(body)
        return Found("TCP", match["src"], match["dst"], "unknown", NO_VERDICT) if match else None
    if message_id in ("302020", "302021"):
        match = _ICMP_FROM.match(body)
        return Found(match["proto"], match["src"], match["dst"], "allow") if match else None
    return None


# First words of a message -> the message id they belong to (for lines without the tag).
_UNTAGGED = (
    ("Deny ", "106023"),
    ("Denied ICMP", "313001"),
    ("Inbound ", "106001"),
    ("Outbound ", "106001"),
    ("access-list ", "106100"),
)
_UNTAGGED_ACL = lazy(r"^\w+ (?:access denied by ACL|access permitted|request discarded) from ")


def untagged_id(body: str) -> str | None:
    """The message id an untagged message body stands for, None if it names none."""
    for start, message_id in _UNTAGGED:
        if body.startswith(start):
            return message_id
    if _UNTAGGED_ACL.match(body):
        return "710003"
    if _URL_ACCESSED.match(body):
        return "304001"
    return None


def untagged_start(line: str) -> int:
    """Where an untagged ASA message starts in `line` (-1 if none): at the line's start or
    after a syslog header, at one of the words untagged_id() knows."""
    for word in ("Deny ", "Denied ICMP", "Inbound ", "Outbound ", "access-list "):
        position = line.find(word)
        if position == 0 or (position > 0 and line[position - 1] in " :"):
            return position
    match = _ACL_ANYWHERE.search(line) or _URL_ANYWHERE.search(line)
    return match.start() if match else -1


_URL_ANYWHERE = lazy(r"(?:^|(?<=[ :]))[^\s(]+(?:\([^)]*\))? Accessed URL ")
_ACL_ANYWHERE = lazy(
    r"(?:^|(?<=[ :]))\w+ (?:access denied by ACL|access permitted|request discarded) from "
)
