"""ipfilter's `ipmon` lines (FreeBSD, NetBSD, illumos/Solaris).

    Mar 31 12:32:12 fw ipmon[123]: 12:32:11.883012 fxp0 @0:1 b 192.0.2.7,51000 -> 198.51.100.2,22
        PR tcp len 20 44 -S IN
    31/03/2024 12:32:11.883012 2x fxp0 @0:1 b 192.0.2.7 -> 198.51.100.2 PR icmp len 20 84
        icmp echo/0 IN

Action letters: b block, p pass, B/S/n/L (bad, short, no match, log only) are "unknown".
State entries (`STATE:NEW 192.0.2.7,51000 -> 198.51.100.2,53 PR udp`, and their CLOSE/EXPIRE)
are connections a `keep state` rule let through: "allow".
Ports may be service names when ipmon runs without -n; names we cannot resolve are None.
The syslog envelope gives the date; ipmon's own `dd/mm/yyyy` date is used when present.
"""

from __future__ import annotations

from probewatch.model import Action, ProbeEvent
from probewatch.parsers import timestamps, validate
from probewatch.parsers.base import LineRejected, ParseContext
from probewatch.parsers.patterns import lazy

_LINE = lazy(
    r"(?:(?P<d>\d\d)/(?P<mo>\d\d)/(?P<y>\d{4}) )?(?P<h>\d\d):(?P<mi>\d\d):(?P<s>\d\d)\.\d+\s+"
    r"(?:\d+x\s+)?(?P<iface>\S+) @[\w:-]+ (?P<act>[pbBSnL]) "
    r"(?P<src>[^\s,]+)(?:,(?P<sport>\S+))? -> (?P<dst>[^\s,]+)(?:,(?P<dport>\S+))? "
    r"PR (?P<proto>\S+) len \d+ \d+(?: -(?P<flags>[A-Z]+))?"
)
# `ipmon -o S` state entries: a connection pass ... keep state let through (NEW), and its end
_STATE = lazy(
    r"(?:(?P<d>\d\d)/(?P<mo>\d\d)/(?P<y>\d{4}) )?(?P<h>\d\d):(?P<mi>\d\d):(?P<s>\d\d)\.\d+\s+"
    r"STATE:(?:NEW|CLOSE|EXPIRE|KILLED|FLUSH|TIMEOUT) (?P<src>[^\s,]+)(?:,(?P<sport>\S+))? -> "
    r"(?P<dst>[^\s,]+)(?:,(?P<dport>\S+))? PR (?P<proto>\S+)"
)
_ACTIONS: dict[str, Action] = {"b": "block", "p": "allow"}
_DIRECTION = {"IN": "in", "OUT": "out"}


class IpfilterParser:
    name = "ipfilter"

    def __init__(self) -> None:
        self._times = timestamps.HeaderTimes()

    def can_parse(self, line: str) -> bool:
        return " PR " in line and " -> " in line

    def parse(self, line: str, ctx: ParseContext) -> list[ProbeEvent] | None:
        match = _LINE.search(line)
        state = False
        if match is None:
            match = _STATE.search(line) if "STATE:" in line else None
            if match is None:
                return None
            state = True
        g = match.group
        if g("y"):
            time = timestamps.build(ctx, g("mo"), g("d"), g("h"), g("mi"), g("s"), g("y"))
        else:
            time, _end = self._times.leading(line, ctx)
        proto = validate.proto(g("proto"))
        return [
            validate.make_event(
                format=self.name,
                raw=line,
                time=time,
                src_ip=g("src"),
                src_port=_service(g("sport"), proto),
                dst_ip=g("dst"),
                dst_port=_service(g("dport"), proto),
                proto_name=proto,
                action_word="allow" if state else _ACTIONS.get(g("act"), "unknown"),
                flags=None if state else g("flags"),
                # ipmon ends the line with the direction it saw the packet in: IN or OUT
                direction=_DIRECTION.get(line.rsplit(None, 1)[-1]),
            )
        ]


def _service(value: str | None, proto: str) -> str | int | None:
    """A port number, or the number of a service name (None when unknown: never guessed)."""
    if value is None or value.isdigit():
        return value
    if not (value.isascii() and value.isprintable()):
        # no service name: getservbyname would raise on a NUL or a lone surrogate
        raise LineRejected("bad-port")
    import socket  # here: only named services need it, and it is slow to import

    try:
        return socket.getservbyname(value, proto.lower())
    except (OSError, ValueError):
        return None


PARSER = IpfilterParser()
