"""DrayTek Vigor routers' firewall syslog.

    Jan  8 10:12:33 Vigor: [FILTER][Block][WAN->LAN/RT/VPN, 68:36:54 ][@S:R=13:1,
        194.28.112.51:46283->198.51.100.2:3389][TCP][HLen=20, TLen=40, Flag=S, Seq=1, Ack=0, Win=1024]

Actions: Block, Drop, Reject (block), Pass (allow). A protocol DrayTek has no name for is
written by number: `[PR 47]`. The bracketed time is the router's uptime, not a date: the syslog envelope gives the time.
"""

from __future__ import annotations

from probewatch.model import Action, ProbeEvent
from probewatch.parsers import timestamps, validate
from probewatch.parsers.base import ParseContext
from probewatch.parsers.patterns import lazy

_LINE = lazy(
    r"\[FILTER\]\[(?P<act>\w+)\].*?\[@S:R=[\d:]+, ?(?P<src>\d+\.\d+\.\d+\.\d+)(?::(?P<sport>\d+))?"
    r"->(?P<dst>\d+\.\d+\.\d+\.\d+)(?::(?P<dport>\d+))?\]\[(?:PR )?(?P<proto>\w+)\]"
    r"(?:\[[^\]]*?Flag=(?P<flags>[A-Z ]*)[,\]])?"
)
_ACTIONS: dict[str, Action] = {
    "Block": "block",
    "Drop": "block",
    "Reject": "block",
    "Pass": "allow",
}


class DraytekParser:
    name = "draytek"

    def __init__(self) -> None:
        self._times = timestamps.HeaderTimes()

    def can_parse(self, line: str) -> bool:
        return "[FILTER][" in line

    def parse(self, line: str, ctx: ParseContext) -> list[ProbeEvent] | None:
        match = _LINE.search(line)
        if match is None:
            return None
        g = match.group
        time, _end = self._times.leading(line, ctx)
        return [
            validate.make_event(
                format=self.name,
                raw=line,
                time=time,
                src_ip=g("src"),
                src_port=g("sport"),
                dst_ip=g("dst"),
                dst_port=g("dport"),
                proto_name=g("proto"),
                action_word=_ACTIONS.get(g("act"), "unknown"),
                flags=g("flags"),
            )
        ]


PARSER = DraytekParser()
