"""pfSense / OPNsense `filterlog` lines: pf's CSV over BSD or RFC 5424 syslog.

    <134>Jul  3 19:10:30 filterlog[72237]: 146,,,1535324496,igb1.12,match,block,in,4,0x0,,63,
        12617,0,DF,6,tcp,60,10.170.12.50,175.16.199.1,49724,853,0,S,1891286705,,64240,,mss
    <134>1 2022-06-09T14:44:11-06:00 host filterlog 76404 - [meta sequenceId="1"] 124,,,...

CSV: rule, subrule, anchor, tracker, interface, reason, action, direction, IP version, then
IPv4: tos, ecn, ttl, id, offset, flags, proto number, proto name, length, src, dst
IPv6: class, flow label, hop limit, proto name, proto number, length, src, dst
and for TCP/UDP: src port, dst port, data length (TCP: flags, seq, ack, window, urg, options).
Lines whose CSV is cut short or not pf's are not claimed (None).
"""

from __future__ import annotations

from probewatch.model import Action, ProbeEvent
from probewatch.parsers import timestamps, validate
from probewatch.parsers.base import ParseContext

_ACTIONS: dict[str, Action] = {"block": "block", "pass": "allow", "reject": "block"}
# Offsets (from the IP version field) of proto number/name and src in each IP version.
_LAYOUT = {"4": (7, 8, 10), "6": (5, 4, 7)}


class FilterlogParser:
    name = "pf-filterlog"

    def __init__(self) -> None:
        self._times = timestamps.HeaderTimes()

    def can_parse(self, line: str) -> bool:
        return "filterlog" in line

    def parse(self, line: str, ctx: ParseContext) -> list[ProbeEvent] | None:
        fields = _csv(line)
        if fields is None or len(fields) < 9:
            return None
        version = fields[8]
        layout = _LAYOUT.get(version)
        if layout is None:
            return None
        number_at, name_at, src_at = (8 + offset for offset in layout)
        if len(fields) <= src_at + 1:
            return None
        proto = fields[number_at] or fields[name_at]
        name = validate.proto(fields[name_at] or proto)
        sport = dport = flags = None
        if name in ("TCP", "UDP", "SCTP") and len(fields) > src_at + 3:
            sport, dport = fields[src_at + 2], fields[src_at + 3]
            if name == "TCP" and len(fields) > src_at + 5:
                flags = fields[src_at + 5]
        time, _end = self._times.leading(line, ctx)
        return [
            validate.make_event(
                format=self.name,
                raw=line,
                time=time,
                src_ip=fields[src_at],
                src_port=sport,
                dst_ip=fields[src_at + 1],
                dst_port=dport,
                proto_name=name,
                action_word=_ACTIONS.get(fields[6], "unknown"),
                flags=flags,
                direction=validate.direction(fields[7]),
            )
        ]


def _csv(line: str) -> list[str] | None:
    """The filterlog CSV: the text after the last space before the first comma, or the
    "message" of a JSON record whose ident is filterlog."""
    program = line.find("filterlog")
    if line.startswith('"', program + 9):  # a JSON record (fluentd): "ident":"filterlog"
        body = line.find('"message":"', program)
        if body < 0:
            return None
        end = line.find('"', body + 11)
        return line[body + 11 : end if end >= 0 else len(line)].split(",")
    comma = line.find(",", program)
    if comma < 0:
        return None
    start = line.rfind(" ", program, comma) + 1
    if start == 0:
        return None
    return line[start:].rstrip().split(",")


PARSER = FilterlogParser()
