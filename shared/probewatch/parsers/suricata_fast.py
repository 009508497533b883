"""Suricata and Snort `fast.log` alert lines (also Snort's alert_fast over syslog).

    07/11/2022-10:29:32.251216  [**] [1:2008578:4] ET SCAN Sipvicious Scan [**]
        [Classification: Attempted Information Leak] [Priority: 2] {UDP} 203.0.113.216:5116
        -> 198.51.100.55:5060
    snort[1234]: [1:1000001:1] ICMP test [**] [Priority: 0] {ICMP} 203.0.113.1 -> 10.0.0.2

Times: `MM/DD/YYYY-HH:MM:SS.ffffff` (Suricata), `MM/DD-HH:MM:SS.ffffff` (Snort, no year) in
the reporter's zone, else the syslog envelope. Every alert is evidence "ids"; the action is
"block" only when the line says `[Drop]` / `[wDrop]` (IPS mode), else "unknown".
"""

from __future__ import annotations

import re

from probewatch.model import ProbeEvent
from probewatch.parsers import timestamps, validate
from probewatch.parsers.base import ParseContext
from probewatch.parsers.patterns import lazy


def _endpoint(token: str, with_port: bool) -> tuple[str, str | None]:
    """fast.log appends ":port" to the address (IPv6 too) unless the protocol has none."""
    if not with_port:
        return token, None
    if token.startswith("["):  # Snort 3: [2001:db8::1]:22
        address, _, port = token[1:].partition("]")
        return address, port.lstrip(":") or None
    address, _, port = token.rpartition(":")
    return (address, port) if address else (token, None)


_ALERT = lazy(
    r"\[\d+:\d+:\d+\].*?\{(?P<proto>[\w-]+)\}\s+(?P<src>[0-9A-Fa-f.:\[\]]+)\s+->\s+"
    r"(?P<dst>[0-9A-Fa-f.:\[\]]+)\s*$"
)
_TIME = lazy(
    r"(?P<mo>\d\d)/(?P<d>\d\d)(?:/(?P<y>\d{4}))?-(?P<h>\d\d):(?P<mi>\d\d):(?P<s>\d\d)"
    r"(?:\.(?P<f>\d+))?"
)
_DROP = lazy(r"\[w?Drop\]", re.IGNORECASE)


class SuricataFastParser:
    name = "suricata-fast"

    def __init__(self) -> None:
        self._times = timestamps.HeaderTimes()

    def can_parse(self, line: str) -> bool:
        return "{" in line and "->" in line and ("[**]" in line or "[Priority:" in line)

    def parse(self, line: str, ctx: ParseContext) -> list[ProbeEvent] | None:
        alert = _ALERT.search(line)
        if alert is None:
            return None
        stamp = _TIME.search(line, 0, alert.start())
        if stamp:
            g = stamp.group
            time = timestamps.build(ctx, g("mo"), g("d"), g("h"), g("mi"), g("s"), g("y"),
                                    None, g("f"))  # fmt: skip
        else:
            time = self._times.leading(line, ctx)[0]
        proto = validate.proto(alert.group("proto"))
        with_port = proto not in validate.PORTLESS
        src, sport = _endpoint(alert.group("src"), with_port)
        dst, dport = _endpoint(alert.group("dst"), with_port)
        return [
            validate.make_event(
                format=self.name,
                raw=line,
                time=time,
                src_ip=src,
                src_port=sport,
                dst_ip=dst,
                dst_port=dport,
                proto_name=proto,
                action_word="block" if _DROP.search(line) else "unknown",
                evidence="ids",
            )
        ]


PARSER = SuricataFastParser()
