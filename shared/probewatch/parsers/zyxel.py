"""Zyxel USG / ZyWALL / ATP firewall logs.

    Jan 31 18:24:30 usg src="203.0.113.1:1234" dst="198.51.100.2:23"
        msg="Match default rule, DROP" note="ACCESS BLOCK" user="unknown" devID="..."
        cat="Security Policy Control" class="Access Control" dir="WAN1:ZyWALL" protoID=6
        proto="others"

Only traffic categories count (security policy, firewall, IDP/ADP, session limits,
traffic logs); `cat="User"`, "System", VPN, DHCP... give no events. The protocol is
`protoID` (IANA number), else `proto` when it names tcp/udp/icmp (it is often a service
name like "http" or "others"); USG FLEX firmware leaves both out: then the event's protocol
is "IP" (not stated) rather than a guess from the port. The action comes from `note`
(ACCESS BLOCK / DROP / FORWARD...), else `msg`, else `action`. IDP lines carry evidence
"ids". Time: `time="..."` when present (local, the reporter's zone), else the syslog
envelope, whose year USG FLEX writes after the clock (`May 22 17:24:08 2026 host`).
Older ZyNOS devices (ZyWALL 2/5/35, Prestige) write pipe-separated entries or a filter log:
see zynos.py.
"""

from __future__ import annotations

import re
from datetime import datetime

from probewatch.model import ProbeEvent
from probewatch.parsers import timestamps, validate, zynos
from probewatch.parsers.base import ParseContext
from probewatch.parsers.kv import parse_kv
from probewatch.parsers.patterns import lazy
from probewatch.parsers.vendor_helpers import colon_endpoint, verdict, zone_direction

_NAMED_PROTOS = frozenset({"tcp", "udp", "icmp", "icmpv6", "gre", "esp", "ah"})
_TRAFFIC_CATEGORIES = frozenset(
    {
        "security policy control", "firewall", "idp", "adp", "anomaly detection",
        "sessions limit", "session control", "traffic log", "access control", "ip reputation",
    }
)  # fmt: skip
_IDS_CATEGORIES = frozenset({"idp", "adp", "anomaly detection", "ip reputation"})
_YEAR_AFTER = lazy(
    r"^(?:<\d{1,3}>)?(?P<mo>[A-Z][a-z]{2})\s+(?P<d>\d{1,2}) (?P<h>\d\d):(?P<mi>\d\d):(?P<s>\d\d) "
    r"(?P<y>\d{4}) "
)
_WORD = lazy(r"\b(BLOCK|DROP|DENY|REJECT|FORWARD|ALLOW|PERMIT|ACCEPT|PASS)\b", re.I)


class ZyxelParser:
    name = "zyxel"

    def __init__(self) -> None:
        self._times = timestamps.HeaderTimes()

    def can_parse(self, line: str) -> bool:
        if 'src="' in line:
            return 'dst="' in line and ('note="' in line or "devID=" in line)
        return zynos.looks_like(line)  # older ZyNOS: pipe-separated, or the filter log

    def parse(self, line: str, ctx: ParseContext) -> list[ProbeEvent] | None:
        if 'src="' not in line:
            return zynos.parse(line, ctx, self._times.leading(line, ctx)[0])
        fields = parse_kv(line)
        category = fields.get("cat", "").lower()
        if category and category not in _TRAFFIC_CATEGORIES or not fields.get("src"):
            return []
        proto = fields.get("protoID")
        if not proto:
            named = fields.get("proto", "").lower()
            proto = named if named in _NAMED_PROTOS else "IP"
        src, sport = colon_endpoint(fields["src"])
        dst, dport = colon_endpoint(fields["dst"]) if fields.get("dst") else (None, None)
        word = _WORD.search(fields.get("note", "")) or _WORD.search(fields.get("msg", ""))
        if word and word.group(1).upper() == "FORWARD":
            action = verdict("allow")
        else:
            action = verdict(word.group(1) if word else fields.get("action"))
        time = timestamps.parse_iso(fields["time"], ctx) if "time" in fields else None
        if time is None:
            time = self._header_time(line, ctx)
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
                action_word=action,
                evidence="ids" if category in _IDS_CATEGORIES else None,
                # dir="WAN1:ZyWALL" (from the Internet to the device), "LAN1:WAN1" (outbound)
                direction=zone_direction(*(fields.get("dir", "").split(":", 1) + [""])[:2]),
            )
        ]

    def _header_time(self, line: str, ctx: ParseContext) -> datetime | None:
        year_after = _YEAR_AFTER.match(line)
        if year_after:
            g = year_after.group
            return timestamps.build(ctx, g("mo"), g("d"), g("h"), g("mi"), g("s"), g("y"))
        return self._times.leading(line, ctx)[0]


PARSER = ZyxelParser()
