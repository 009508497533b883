"""D-Link consumer routers (DIR/DSL series) firewall log lines.

    [INFO] Mon May 06 10:12:33 2019 Blocked incoming TCP packet from 203.0.113.9:51000 to 198.51.100.2:23
    Blocked incoming TCP connection request from 203.0.113.9:51000 to 198.51.100.2:23
    Blocked incoming ICMP packet (ICMP type 8) from 203.0.113.9 to 198.51.100.2
    Blocked incoming packet from 203.0.113.9 to 198.51.100.2 (IP protocol 47)
    blocked incoming tcp connection request from 203.0.113.9:8240 to 198.51.100.2:6002
    Jan 1 00:05:06     SYN-ACK port scan attack from WAN (ip:203.0.113.9) detected.
    Wed Jan 14 18:00:24 2026 Unrecognized attempt blocked from 203.0.113.9:40245 to 198.51.100.2 TCP:8080
        (DI-524/DI-624 and other older models: the protocol and port probed after the target)
    Unrecognized access from 203.0.113.9:137 to UDP port 137
        (Edimax / SMC / Sitecom routers of the same firmware family: the router is the target)

A "connection request" is a TCP SYN; a port-scan alert (older models such as the WBR-1310)
names its flags ("Xmas": FIN PSH URG). Lines whose protocol is not named are "IP".

The time is the line's own ctime-style date, else the syslog envelope, else None (times are
local: the reporter's zone).
"""

from __future__ import annotations

import re
from datetime import datetime

from probewatch.model import Action, ProbeEvent
from probewatch.parsers import timestamps, validate
from probewatch.parsers.base import ParseContext
from probewatch.parsers.patterns import lazy

_LINE = lazy(
    r"(?P<act>Blocked|Dropped|Rejected|Allowed|Accepted)(?: (?P<way>incoming|outgoing|inbound|outbound))?"
    r"(?: (?P<proto>TCP|UDP|ICMPv6|ICMP|IGMP))?"
    r"(?P<what> packet| connection request| connection| error message)?(?: \(ICMP type \d+\))? "
    r"from (?P<src>[\d.]+|\[[0-9a-fA-F:]+\])(?::(?P<sport>\d+))? to "
    # the target may be masked by the reporter ("xxx.xxx.xxx.xxx"): kept as unknown
    r"(?P<dst>[\d.]+|[\dxX*.]+|\[[0-9a-fA-F:]+\])(?::(?P<dport>\d+))?"
    r"(?: \(IP protocol (?P<number>\d+)\))?",
    re.IGNORECASE,
)
# Older models (WBR-1310): "SYN-ACK port scan attack from WAN (ip:203.0.113.9) detected."
_SCAN = lazy(r"\b(?P<kind>[\w-]+) port scan attack from WAN \(ip:(?P<src>[\d.]+)\) detected")
# DI-524 / DI-624 era: "Unrecognized attempt blocked from A:p to B TCP:q"; the target is often
# masked by the reporter ("xxx.xxx.xxx.xxx": kept as unknown).
_UNRECOGNIZED = lazy(
    r"Unrecognized attempt blocked from (?P<src>\[[0-9a-fA-F:]+\]|[^\s:]+)(?::(?P<sport>\d+))? to "
    r"(?P<dst>\S+?) (?P<proto>TCP|UDP|ICMP|IGMP)(?::(?P<dport>\d+))?\b",
    re.IGNORECASE,
)
# Edimax / SMC / Sitecom security log (the same firmware family): "Unrecognized access from
# 203.0.113.9:137 to UDP port 137" (the target is the router itself: not written)
_ACCESS = lazy(
    r"Unrecognized access from (?P<src>\[[0-9a-fA-F:]+\]|[^\s:]+)(?::(?P<sport>\d+))? to "
    r"(?P<proto>TCP|UDP) port (?P<dport>\d+)",
    re.IGNORECASE,
)
_SCAN_FLAGS = {"SYN": "SYN", "ACK": "ACK", "FIN": "FIN", "RST": "RST", "XMAS": "FIN PSH URG"}
_CTIME = lazy(
    r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?P<mo>[A-Z][a-z]{2}) +(?P<d>\d{1,2}) "
    r"(?P<h>\d\d):(?P<mi>\d\d):(?P<s>\d\d) (?P<y>\d{4})"
)
_ACTIONS: dict[str, Action] = {
    "blocked": "block",
    "dropped": "block",
    "rejected": "block",
    "allowed": "allow",
    "accepted": "allow",
}


class DlinkParser:
    name = "dlink"

    def __init__(self) -> None:
        self._times = timestamps.HeaderTimes()

    def can_parse(self, line: str) -> bool:
        return " from " in line and (
            " packet" in line
            or "connection request" in line
            or "error message" in line
            or "port scan attack" in line
            or "attempt blocked from" in line
            or "Unrecognized access from" in line
        )

    def parse(self, line: str, ctx: ParseContext) -> list[ProbeEvent] | None:
        match = None if "Unrecognized a" in line else _LINE.search(line)
        if match is None:
            unrecognized = _UNRECOGNIZED.search(line) or _ACCESS.search(line)
            if unrecognized is None:
                return self._scan(line, ctx)
            g = unrecognized.group
            return [
                validate.make_event(
                    format=self.name, raw=line, time=self._time(line, ctx), src_ip=g("src").strip("[]"),
                    src_port=g("sport"), dst_ip=_group(unrecognized, "dst"), dst_port=g("dport"),
                    proto_name=g("proto"), action_word="block", direction="in",
                )
            ]  # fmt: skip
        time = self._time(line, ctx)
        g = match.group
        return [
            validate.make_event(
                format=self.name,
                raw=line,
                time=time,
                src_ip=g("src"),
                src_port=g("sport"),
                dst_ip=g("dst"),
                dst_port=g("dport"),
                proto_name=g("proto") or g("number") or "IP",
                action_word=_ACTIONS[g("act").lower()],
                flags="SYN" if (g("what") or "").lower() == " connection request" else None,
                direction=validate.direction(g("way")),
            )
        ]

    def _time(self, line: str, ctx: ParseContext) -> datetime | None:
        """The line's own ctime-style date, else the syslog envelope (local: the reporter's zone)."""
        when = _CTIME.search(line)
        if when is not None:
            g = when.group
            return timestamps.build(ctx, g("mo"), g("d"), g("h"), g("mi"), g("s"), g("y"))
        return self._times.leading(line, ctx)[0]

    def _scan(self, line: str, ctx: ParseContext) -> list[ProbeEvent] | None:
        """The older port-scan alert: the kind names the TCP flags (UDP when it says so)."""
        match = _SCAN.search(line)
        if match is None:
            return None
        words = match.group("kind").upper().split("-")
        udp = words == ["UDP"]
        flags = [_SCAN_FLAGS[w] for w in words if w in _SCAN_FLAGS]
        return [
            validate.make_event(
                format=self.name,
                raw=line,
                time=self._times.leading(line, ctx)[0],
                src_ip=match.group("src"),
                src_port=None,
                dst_ip=None,
                dst_port=None,
                proto_name="UDP" if udp else "TCP",
                action_word="block",
                flags=None if udp else " ".join(flags) or None,
                direction="in",
            )
        ]


def _group(match: re.Match[str], name: str) -> str | None:
    """A group's text without IPv6 brackets; None when the pattern has no such group."""
    value = match.groupdict().get(name)
    return value.strip("[]") if value else None


PARSER = DlinkParser()
