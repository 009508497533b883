"""PortSentry alerts (Linux/BSD hosts).

    Jan  8 10:12:33 host portsentry[812]: attackalert: SYN/Normal scan from host:
        scanner.example.net/203.0.113.9 to TCP port: 22
    ... attackalert: Connect from host: 203.0.113.9/203.0.113.9 to TCP port: 23
    ... attackalert: UDP scan from host: 203.0.113.9/203.0.113.9 to UDP port: 161
    ... attackalert: TCP SYN/Normal scan from host: 203.0.113.9/203.0.113.9 to TCP port: 515

PortSentry detects; whether it then blocks is a separate "Host ... has been blocked" line,
so the action is "unknown". A TCP "Connect" means the handshake completed: evidence
"established". The stealth-scan kind gives the TCP flags (SYN, FIN, XMAS = FIN PSH URG).
"""

from __future__ import annotations

from probewatch.model import ProbeEvent
from probewatch.parsers import timestamps, validate
from probewatch.parsers.base import ParseContext
from probewatch.parsers.patterns import lazy

_LINE = lazy(
    r"attackalert: (?P<kind>.+?) from host: (?:\S*/)?(?P<src>[0-9A-Fa-f.:]+) to "
    r"(?P<proto>TCP|UDP) port: (?P<dport>\d+)"
)
_KIND_FLAGS = {"SYN": "SYN", "FIN": "FIN", "XMAS": "FIN PSH URG", "NULL": None}


class PortsentryParser:
    name = "portsentry"

    def __init__(self) -> None:
        self._times = timestamps.HeaderTimes()

    def can_parse(self, line: str) -> bool:
        return "attackalert:" in line

    def parse(self, line: str, ctx: ParseContext) -> list[ProbeEvent] | None:
        match = _LINE.search(line)
        if match is None:
            return [] if "attackalert:" in line else None  # "Host ... has been blocked"
        kind, proto = match.group("kind"), match.group("proto")
        flags = None
        evidence = None
        if proto == "TCP":
            # PortSentry 2 names the protocol first: "TCP SYN/Normal scan", "TCP NULL scan"
            words = kind.split("/")[0].split() or [""]  # a blank kind names no scan
            first = words[1 if len(words) > 1 and words[0] == "TCP" else 0].upper()
            flags = _KIND_FLAGS.get(first)
            if kind.startswith("Connect"):
                evidence = "established"
        time, _end = self._times.leading(line, ctx)
        return [
            validate.make_event(
                format=self.name,
                raw=line,
                time=time,
                src_ip=match.group("src"),
                src_port=None,
                dst_ip=None,
                dst_port=match.group("dport"),
                proto_name=proto,
                action_word="unknown",
                flags=flags,
                evidence=evidence,
            )
        ]


PARSER = PortsentryParser()
