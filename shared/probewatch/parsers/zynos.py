"""Zyxel ZyNOS (ZyWALL 2/5/35/70, Prestige, P-660...) logs, for the zyxel parser.

The web page and the log e-mail write one entry per line, fields between pipes, in the order
of the page's columns (which differs by model, so fields are recognised by their shape):

    1|01/14/2026 10:12:33|203.0.113.9:4321|198.51.100.2:23|Firewall default policy: TCP (W to W/ZW)|ACCESS BLOCK
    |2026-01-14 10:12:34|Firewall rule match: UDP (W to L, 3)|203.0.113.9:1026|192.168.1.33:137|ACCESS FORWARD|

The older Prestige filter log names the filter set and rule that matched and what it did
(`m` match, then `D` drop / `F` forward / `N` next rule):

    IP[Src=203.0.113.9 Dst=198.51.100.2 TCP spo=04321 dpo=00023]}S04>R01mD

Protocol: the word in the message (TCP/UDP/ICMP...), else "IP" (not stated). Action: the note
(ACCESS BLOCK / DROP -> block, ACCESS FORWARD / PERMIT -> allow), else the message's words.
Direction from `(W to L)`-style zones: from the WAN (W) to anything else is "in", to the WAN
from elsewhere is "out".
"""

from __future__ import annotations

import re
from datetime import datetime

from probewatch.model import Action, ProbeEvent
from probewatch.parsers import timestamps, validate
from probewatch.parsers.base import ParseContext
from probewatch.parsers.patterns import lazy

_ENDPOINT = lazy(r"\s*(\d{1,3}(?:\.\d{1,3}){3})(?::(\d{1,5}))?\s*")
_US_TIME = lazy(r"\s*(\d\d)/(\d\d)/(\d{4}) (\d\d):(\d\d):(\d\d)\s*")
_ISO_TIME = lazy(r"\s*\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s*")
_PROTO = lazy(r"\b(TCP|UDP|ICMP|IGMP|GRE|ESP|AH)\b")
_ZONES = lazy(r"\((?P<src>[A-Z/]+) to (?P<dst>[A-Z/]+)")
_BLOCK = lazy(r"\b(?:BLOCK|BLOCKED|DROP|DROPPED|DENY|DENIED|REJECT|DISCARD)\b", re.IGNORECASE)
_ALLOW = lazy(r"\b(?:FORWARD|PERMIT|PERMITTED|ALLOW|ALLOWED|ACCEPT)\b", re.IGNORECASE)
_FILTER = lazy(
    r"IP\[Src=(?P<src>[\d.]+) Dst=(?P<dst>[\d.]+) (?P<proto>TCP|UDP|ICMP|IGMP|\w+)"
    r"(?: spo=(?P<sport>\d+) dpo=(?P<dport>\d+))?[^\]]*\]\}?S\d+>R\d+m(?P<act>[DFN])"
)
_FILTER_ACTIONS: dict[str, Action] = {"D": "block", "F": "allow", "N": "unknown"}


def looks_like(line: str) -> bool:
    """A cheap test for either ZyNOS layout."""
    if "|" not in line:  # the common case: one fast scan
        return "IP[Src=" in line
    return line.count("|") >= 3 and ("ACCESS " in line or "Firewall " in line or "policy" in line)


def parse(line: str, ctx: ParseContext, leading: datetime | None) -> list[ProbeEvent] | None:
    """Events of a ZyNOS line (None when it is neither layout); `leading` is the syslog
    envelope time, used when the entry has none of its own."""
    if "IP[Src=" in line:
        return _filter_log(line, leading)
    fields = line.split("|")
    endpoints: list[tuple[str, str | None]] = []
    time = None
    text = []
    for field in fields:
        endpoint = _ENDPOINT.fullmatch(field)
        if endpoint is not None:
            endpoints.append((endpoint.group(1), endpoint.group(2)))
            continue
        us = _US_TIME.fullmatch(field)
        if us is not None:
            mo, d, y, h, mi, s = us.groups()
            time = timestamps.build(ctx, mo, d, h, mi, s, y)
            continue
        if _ISO_TIME.fullmatch(field):
            time = timestamps.parse_iso(field.strip(), ctx)
            continue
        text.append(field)
    if len(endpoints) < 2:
        return None
    message = " ".join(text)
    proto = _PROTO.search(message)
    (src, sport), (dst, dport) = endpoints[0], endpoints[1]
    return [
        validate.make_event(
            format="zyxel",
            raw=line,
            time=time or leading,
            src_ip=src,
            src_port=sport,
            dst_ip=dst,
            dst_port=dport,
            proto_name=proto.group(1) if proto else "IP",
            action_word=_action(message),
            direction=_direction(message),
        )
    ]


def _filter_log(line: str, leading: datetime | None) -> list[ProbeEvent] | None:
    match = _FILTER.search(line)
    if match is None:
        return None
    g = match.group
    return [
        validate.make_event(
            format="zyxel",
            raw=line,
            time=leading,
            src_ip=g("src"),
            src_port=g("sport"),
            dst_ip=g("dst"),
            dst_port=g("dport"),
            proto_name=g("proto"),
            action_word=_FILTER_ACTIONS[g("act")],
        )
    ]


def _action(message: str) -> Action:
    # "ACCESS BLOCK" / "ACCESS FORWARD" notes are the verdict; a block word wins over
    # "Firewall rule match" text that also names a forward rule.
    if _BLOCK.search(message):
        return "block"
    if _ALLOW.search(message):
        return "allow"
    return "unknown"


def _direction(message: str) -> str | None:
    zones = _ZONES.search(message)
    if zones is None:
        return None
    src, dst = zones.group("src"), zones.group("dst")
    if src == "W" and dst != "W":
        return "in"
    if dst == "W" and src != "W":
        return "out"
    return None
