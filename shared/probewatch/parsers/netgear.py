"""Netgear consumer routers: the router log and the "NETGEAR ... Log" alert e-mails.

    [DoS Attack: SYN/ACK Scan] from source: 68.40.255.235, port 80, Tuesday, February 16, 2016 17:35:23
    [DoS attack: FIN Scan] (1) attack packets in last 20 sec from ip [151.101.186.133], Monday, Apr 26,2021 11:20:24
    [DoS attack: RST Scan] from source: 69.147.65.252:443, Wednesday, April 27,2022 17:16:30
    [LAN access from remote] from 11.22.33.123:40216 to 10.100.0.100:59018, Friday, May 07,2021 00:37:22
    [Service blocked: ICMP_echo_req] from source 11.22.33.124, Friday, Jan 27,2012 19:50:27
    Mon, 2008-05-19 21:45:44 - TCP Packet - Source:58.217.142.219,6000 Destination:86.143.11.178,1433 - [DOS]
        (older DG834 / FVS models)

"from source: IP, port N" is the packet's SOURCE port (a SYN/ACK scan from port 80 is a web
server answering spoofed SYNs); the destination is not logged. The protocol and TCP flags
follow from the attack name (SYN/ACK Scan -> TCP SYN+ACK, ICMP Scan -> ICMP, a name with UDP
-> UDP, otherwise "IP": not stated). Attacks are "block" (the router dropped them); "LAN access
from remote" is a port-forwarded connection the router let in ("allow"). "Service blocked" is a
packet a Block Services rule dropped (a ping to the WAN, or a LAN PC's outbound service): only
the source is logged; ICMP when the service name says so, else "IP". ARP attacks, "[Access
Control]" (devices by MAC), site/keyword blocks (a web address, not a packet) and logins are
not connection alerts and give no event. Router times are local: the reporter's zone.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import lru_cache

from probewatch.model import ProbeEvent
from probewatch.parsers import timestamps, validate
from probewatch.parsers.base import ParseContext
from probewatch.parsers.patterns import lazy

_DATE = (
    r"(?:[A-Z][a-z]+day,\s*)?(?P<mo>[A-Z][a-z]+)\s+(?P<d>\d{1,2}),\s*(?P<y>\d{4})\s+"
    r"(?P<h>\d{1,2}):(?P<mi>\d\d):(?P<s>\d\d)"
)
_DOS = lazy(
    r"\[DoS attack: (?P<name>[^\]]+)\] (?:from source: (?:(?P<src>\d{1,3}(?:\.\d{1,3}){3})"
    r"(?::(?P<sport2>\d+))?|(?P<src6>[0-9a-f]*:[0-9a-f:.]+))(?:, port (?P<sport>\d+))?"
    r"|(?:\(\d+\) )?attack packets in last \d+ sec from ip \[(?P<src3>[0-9a-f.:]+)\])",
    re.IGNORECASE,
)
_LAN = lazy(
    r"\[LAN access from remote\] from (?P<src>[\d.]+):(?P<sport>\d+) to "
    r"(?P<dst>[\d.]+):(?P<dport>\d+)"
)
# its own date, else (as the router's log page shows it) a syslog-style one before the protocol
# DG834 / DGN2200 manuals also show `TCP packet dropped - Source:IP,port,WAN - Destination:...`
_OLD = lazy(
    r"(?:\w{3}, (?P<when>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) - )?(?P<proto>TCP|UDP|ICMP) [Pp]acket"
    r"(?: dropped)? - Source: ?(?P<src>[\d.]+),?(?P<sport>\d+)?(?:,[A-Z]+ -)? Destination: ?"
    r"(?P<dst>[\d.]+),?(?P<dport>\d+)?(?:,[A-Z]+)?"
    r"(?: - \[(?P<what>[^\]]*)\])?"
)
_SERVICE = lazy(
    r"\[[Ss]ervice blocked: (?P<name>[^\]]*)\] from source:? (?P<src>\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f]*:[0-9a-f:.]+)",
    re.IGNORECASE,
)
_DATE_RE = lazy(_DATE)
_FLAG_WORDS = ("SYN", "ACK", "FIN", "RST", "PSH", "URG")


class NetgearParser:
    name = "netgear"

    def __init__(self) -> None:
        # The last minute seen ("Tuesday, November 25, 2025 17:35:") and its UTC start: alerts
        # come in runs, and a written year makes every second of it the start plus seconds.
        self._ctx: ParseContext | None = None
        self._minute = ""
        self._minute_start: datetime | None = None

    def can_parse(self, line: str) -> bool:
        return (
            "[DoS " in line
            or "[DOS " in line
            or "[LAN access from remote]" in line
            or " Packet - Source:" in line
            or " packet dropped - Source:" in line
            or "ervice blocked: " in line
        )

    def parse(self, line: str, ctx: ParseContext) -> list[ProbeEvent] | None:
        if "[DoS " in line or "[DOS " in line:
            return self._dos(line, ctx)
        if "[LAN access" in line:
            match = _LAN.search(line)
            if match is None:
                return None
            return [
                self._event(
                    line,
                    ctx,
                    match.end(),
                    match.group("src"),
                    match.group("sport"),
                    match.group("dst"),
                    match.group("dport"),
                    "IP",
                    "allow",
                )
            ]
        if "ervice blocked: " in line:
            return self._service(line, ctx)
        match = _OLD.search(line)
        if match is None:
            return None
        g = match.group
        return [
            validate.make_event(
                format=self.name,
                raw=line,
                time=timestamps.parse_iso(g("when"), ctx)
                if g("when")
                else timestamps.leading_time(line, ctx),
                src_ip=g("src"),
                src_port=g("sport"),
                dst_ip=g("dst"),
                dst_port=g("dport"),
                proto_name=g("proto"),
                action_word="block",
            )
        ]

    def _dos(self, line: str, ctx: ParseContext) -> list[ProbeEvent] | None:
        match = _DOS.search(line)
        if match is None:
            return None
        name = match.group("name").upper()
        if "ARP" in name:
            return []
        proto, flags = _proto_from_name(name)
        g = match.group
        src = g("src") or g("src6") or g("src3")
        sport = g("sport") or g("sport2")
        event = self._event(line, ctx, match.end(), src, sport, None, None, proto, "block")
        event.tcp_flags = flags
        return [event]

    def _service(self, line: str, ctx: ParseContext) -> list[ProbeEvent] | None:
        match = _SERVICE.search(line)
        if match is None:
            return None
        name = match.group("name").upper()
        proto = "ICMP" if "ICMP" in name or "PING" in name else "IP"
        return [self._event(line, ctx, match.end(), match.group("src"), None, None, None, proto, "block")]

    def _event(self, line, ctx, after, src, sport, dst, dport, proto, action):  # type: ignore[no-untyped-def]
        date = _DATE_RE.search(line, after)
        time = None
        if date is not None:
            g = date.group
            minute = line[date.start() : date.start("s")]
            if minute != self._minute or ctx is not self._ctx:
                self._ctx, self._minute = ctx, minute
                self._minute_start = timestamps.build(
                    ctx, g("mo"), g("d"), g("h"), g("mi"), 0, g("y")
                )
            second = int(g("s"))
            if self._minute_start is not None and second < 60:
                time = self._minute_start + timedelta(seconds=second)
        return validate.make_event(
            format=self.name,
            raw=line,
            time=time,
            src_ip=src,
            src_port=sport,
            dst_ip=dst,
            dst_port=dport,
            proto_name=proto,
            action_word=action,
        )


@lru_cache(maxsize=256)
def _proto_from_name(name: str) -> tuple[str, str | None]:
    """(protocol, TCP flags) an attack name implies, e.g. "SYN/ACK SCAN" -> ("TCP", "ACK SYN")."""
    words = re.split(r"[\s/]+", name)
    flags = [w for w in words if w in _FLAG_WORDS]
    if flags:
        return "TCP", validate.tcp_flags(flags)
    if "ICMP" in words or "PING" in name or "SMURF" in name:
        return "ICMP", None
    if "UDP" in name and "TCP" not in name:
        return "UDP", None
    if "CHARGEN" in name or "ECHO" in name:
        return "UDP", None  # TCP/UDP Chargen/Echo: in practice UDP reflection traffic
    if "TCP" in name or any(w in name for w in ("NULL", "XMAS", "WINNUKE", "LAND")):
        return "TCP", None
    return "IP", None


PARSER = NetgearParser()
