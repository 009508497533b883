"""Personal (desktop) firewalls on Windows: ZoneAlarm, Kerio / Tiny, Norton.

ZoneAlarm's ZALog.txt (comma, tab or semicolon separated, as the user chose):

    FWIN,2026/01/14,20:42:20 -5:00 GMT,203.0.113.9:80,198.51.100.2:1349,TCP (flags:AR)
    FWOUT_OK,2026/01/14,21:05:06 -5:00 GMT,192.168.1.2:68,192.168.1.1:67,UDP
    FWIN,2000/03/07,14:44:58,-8:00 GMT, Src=203.0.113.9:0, Dest=198.51.100.2:0, Incoming, ICMP
        (ZoneAlarm 2: Src=/Dest= and the direction spelled out)

FWIN / FWOUT / FWROUTE / FWLOOP / LOCK: a packet the firewall blocked coming in, going out,
routed through, to the loopback, or while the Internet Lock was on; with `_OK` the packet
was let through (allowed). PE / ACCESS / MS lines are about programs, not packets: no event.
The time carries its own offset from GMT.

Kerio Personal Firewall 2 and Tiny Personal Firewall 2 (one engine) write:

    1,[14/Jan/2026 10:12:33 +0100],Rule 'Block NetBIOS': Blocked: In TCP, 203.0.113.9:1234->localhost:139, Owner: Tcpip Kernel Driver
    Rule 'Other ICMP': Denied: In ICMP [8] Echo Request, 203.0.113.9->localhost, Owner: no owner
    Feb 27 21:34:27 pc Rule 'block all': Blocked: In TCP, (null) [203.0.113.9:21]->localhost:21, Owner: no owner
        (Tiny through syslog; the name it looked up for the source, or "(null)", before it)

`localhost` is the computer itself (the destination is then unknown: None).

Norton Personal Firewall / Norton Internet Security logs name both ends:

    Rule "Default Block Windows File Sharing" blocked (192.168.1.2,netbios-ssn). Inbound TCP
        connection. Local address,service is (192.168.1.2,netbios-ssn). Remote address,service
        is (203.0.113.9,3045).

(one record on one line when exported); a service name is turned into its port when the system
knows it, else the port is unknown.
"""

from __future__ import annotations

import re

from probewatch.model import Action, ProbeEvent
from probewatch.parsers import timestamps, validate
from probewatch.parsers.base import ParseContext
from probewatch.parsers.patterns import lazy

_SEP = r"[,;\t]"
_ZONEALARM = lazy(
    rf"(?P<type>FWIN|FWOUT|FWROUTE|FWLOOP|LOCK)(?P<ok>_OK)?{_SEP}"
    rf"(?P<y>\d{{4}})/(?P<mo>\d\d)/(?P<d>\d\d){_SEP}(?P<h>\d\d):(?P<mi>\d\d):(?P<s>\d\d)"
    rf"(?:[ ,;\t]*(?P<z>[+-]\d{{1,2}}:\d\d) ?GMT)?{_SEP} ?(?:Src=)?(?P<src>[\d.]+):(?P<sport>\d+)"
    rf"{_SEP} ?(?:Dest=)?(?P<dst>[\d.]+):(?P<dport>\d+){_SEP} ?(?:(?:Incoming|Outgoing){_SEP} ?)?"
    r"(?P<proto>[A-Za-z]+\d?)(?: \(flags:(?P<flags>[A-Z0-9]*)\))?"
)
_ZA_TYPES = ("FWIN", "FWOUT", "FWROUTE", "FWLOOP", "LOCK")
_ZA_DIRECTION = {"FWIN": "in", "FWOUT": "out", "FWROUTE": "forward"}

_KERIO = lazy(
    r"Rule '[^']*':? (?P<act>Blocked|Denied|Dropped|Permitted|Allowed|Accepted): "
    r"(?P<dir>In|Out)(?:coming|going)? (?P<proto>TCP|UDP|ICMP|IGMP|[A-Z]+)(?: \[\d+\][^,]*)?, "
    # the address alone, or after the name Tiny looked up for it: `(null) [203.0.113.9:21]`
    r"(?:[^\s,\[]+ \[)?(?P<src>[\w.:-]+?)(?::(?P<sport>\d+))?\]?->"
    r"(?P<dst>[\w.:-]+?)(?::(?P<dport>\d+))?(?:,|$)"
)
_KERIO_TIME = lazy(
    r"\[(?P<d>\d\d)/(?P<mo>[A-Z][a-z]{2})/(?P<y>\d{4})[ :](?P<h>\d\d):(?P<mi>\d\d):(?P<s>\d\d)"
    r"(?: (?P<z>[+-]\d{4}))?\]"
)
_NORTON = lazy(
    r"Rule \"[^\"]*\" (?P<act>blocked|permitted|allowed) .*?(?P<dir>Inbound|Outbound) "
    r"(?P<proto>TCP|UDP|ICMP) (?:connection|packet).*?Local address,service is "
    r"\((?P<lip>[\d.]+),(?P<lsvc>[\w-]*)\).*?Remote address,service is \((?P<rip>[\d.]+),(?P<rsvc>[\w-]*)\)",
    re.IGNORECASE,
)
_ACTIONS: dict[str, Action] = {
    "blocked": "block", "denied": "block", "dropped": "block",
    "permitted": "allow", "allowed": "allow", "accepted": "allow",
}  # fmt: skip


class DesktopFirewallParser:
    name = "desktop-firewall"

    def __init__(self) -> None:
        self._times = timestamps.HeaderTimes()  # Tiny and Norton forwarded through syslog

    def can_parse(self, line: str) -> bool:
        # anchored test first: ZoneAlarm rows start with their type
        return line.startswith(_ZA_TYPES) or (
            "Rule " in line and ("->" in line or "address,service is" in line)
        )

    def parse(self, line: str, ctx: ParseContext) -> list[ProbeEvent] | None:
        if line.startswith(_ZA_TYPES):
            return self._zonealarm(line, ctx)
        if "address,service is" in line:
            return self._norton(line, ctx)
        return self._kerio(line, ctx)

    def _zonealarm(self, line: str, ctx: ParseContext) -> list[ProbeEvent] | None:
        match = _ZONEALARM.match(line)
        if match is None:
            return None
        g = match.group
        return [
            validate.make_event(
                format=self.name,
                raw=line,
                time=timestamps.build(
                    ctx, g("mo"), g("d"), g("h"), g("mi"), g("s"), g("y"), g("z")
                ),
                src_ip=g("src"),
                src_port=g("sport"),
                dst_ip=g("dst"),
                dst_port=g("dport"),
                proto_name=g("proto"),
                action_word="allow" if g("ok") else "block",
                flags=g("flags"),
                direction=_ZA_DIRECTION.get(g("type")),
            )
        ]

    def _kerio(self, line: str, ctx: ParseContext) -> list[ProbeEvent] | None:
        match = _KERIO.search(line)
        if match is None:
            return None
        g = match.group
        if g("src").lower() == "localhost" and g("dir") == "In":
            return []  # the computer talking to itself
        when = _KERIO_TIME.search(line, 0, match.start())
        time = None if when is not None else self._times.leading(line, ctx)[0]
        if when is not None:
            w = when.group
            time = timestamps.build(ctx, w("mo"), w("d"), w("h"), w("mi"), w("s"), w("y"), w("z"))
        src = g("src")
        return [
            validate.make_event(
                format=self.name,
                raw=line,
                time=time,
                src_ip=src,
                src_port=g("sport"),
                dst_ip=None if g("dst").lower() == "localhost" else g("dst"),
                dst_port=g("dport"),
                proto_name=g("proto"),
                action_word=_ACTIONS[g("act").lower()],
                direction="in" if g("dir") == "In" else "out",
            )
        ]

    def _norton(self, line: str, ctx: ParseContext) -> list[ProbeEvent] | None:
        match = _NORTON.search(line)
        if match is None:
            return None
        g = match.group
        proto = g("proto").upper()
        local = (g("lip"), _service(g("lsvc"), proto))
        remote = (g("rip"), _service(g("rsvc"), proto))
        inbound = g("dir").lower() == "inbound"
        (src, sport), (dst, dport) = (remote, local) if inbound else (local, remote)
        return [
            validate.make_event(
                format=self.name,
                raw=line,
                time=self._times.leading(line, ctx)[0],
                src_ip=src,
                src_port=sport,
                dst_ip=dst,
                dst_port=dport,
                proto_name=proto,
                action_word=_ACTIONS[g("act").lower()],
                direction="in" if inbound else "out",
            )
        ]


def _service(value: str, proto: str) -> str | int | None:
    """A port number, or the number of a service name (None when unknown: never guessed)."""
    if not value or value.isdigit():
        return value or None
    import socket  # here: only named services need it

    try:
        return socket.getservbyname(value, proto.lower())
    except OSError:
        return None


PARSER = DesktopFirewallParser()
