"""TP-Link home routers' DoS protection alerts (system log page, syslog and log e-mails).

    2026-01-14 10:12:33 DoS protection: TCP-SYN-Flood Attack Detected from 203.0.113.9
    Jan 14 10:12:34 Archer DoS protection: UDP-Flood Attack Detected from 203.0.113.9:5060
    2026-01-14 10:12:35 DoS protection: ICMP-Flood Attack Detected from 203.0.113.9, blocked

The attack name gives the protocol (TCP-SYN -> TCP with SYN, UDP, ICMP / Ping of Death). Only
the source is written. The router puts a flooding host on its "Blocked DoS Host List" once the
threshold is passed, but the line itself says it *detected* the flood: the action is "block"
only when the line says blocked, else "unknown" with evidence "ids" (the filters decide).
Times: a leading `YYYY-MM-DD HH:MM:SS` (the router's local time: the reporter's zone), else
the syslog envelope.
"""

from __future__ import annotations

import re

from probewatch.model import ProbeEvent
from probewatch.parsers import timestamps, validate
from probewatch.parsers.base import ParseContext
from probewatch.parsers.patterns import lazy

_ALERT = lazy(
    r"(?P<kind>TCP[- ]SYN[- ]Flood|TCP[- ]Flood|UDP[- ]Flood|ICMP[- ]Flood|Ping[- ]of[- ]Death|"
    r"WinNuke|LAND|Smurf)(?: Attack)? Detected,? (?:from|by) (?:IP:? ?)?"
    r"(?P<src>\d{1,3}(?:\.\d{1,3}){3}|[0-9a-fA-F]*:[0-9a-fA-F:.]+)(?::(?P<sport>\d{1,5}))?"
    r"(?P<rest>.*)",
    re.IGNORECASE,
)


class TplinkParser:
    name = "tplink"

    def __init__(self) -> None:
        self._times = timestamps.HeaderTimes()

    def can_parse(self, line: str) -> bool:
        return "Detected" in line and ("Flood" in line or "Death" in line or "DoS" in line)

    def parse(self, line: str, ctx: ParseContext) -> list[ProbeEvent] | None:
        match = _ALERT.search(line)
        if match is None:
            return None
        kind = match.group("kind").upper().replace(" ", "-")
        if kind.startswith("TCP"):
            proto, flags = "TCP", ("SYN" if "SYN" in kind else None)
        elif kind.startswith("UDP"):
            proto, flags = "UDP", None
        elif kind.startswith(("ICMP", "PING", "SMURF")):
            proto, flags = "ICMP", None
        else:  # WinNuke, LAND: TCP attacks
            proto, flags = "TCP", None
        blocked = "block" in match.group("rest").lower()
        time = self._times.leading(line, ctx)[0]  # `2026-01-14 10:12:33` or a syslog time
        return [
            validate.make_event(
                format=self.name,
                raw=line,
                time=time,
                src_ip=match.group("src"),
                src_port=match.group("sport"),
                dst_ip=None,
                dst_port=None,
                proto_name=proto,
                action_word="block" if blocked else "unknown",
                flags=flags,
                evidence=None if blocked else "ids",
                direction="in",
            )
        ]


PARSER = TplinkParser()
