"""Juniper SRX (Junos) security logs: RT_FLOW session deny/create/close, RT_SCREEN (the
screen options: scans, floods, odd flags) and RT_IDP attacks, structured or plain.

Structured (RFC 5424, `set system syslog ... structured-data`):
    <14>1 2018-07-19T18:17:02.309-05:00 srx RT_IDS - RT_SCREEN_TCP [junos@2636.1.1.1.2.40
        attack-name="TCP port scan!" source-address="203.0.113.3" source-port="6000"
        destination-address="198.51.100.4" destination-port="1433" ... action="drop"]
Plain:
    Jul 19 18:17:02 srx RT_FLOW: RT_FLOW_SESSION_DENY: session denied
        203.0.113.3/6000->198.51.100.4/23 0x0 junos-telnet 6(0) deny-all untrust trust ...
    Jul 19 18:17:02 srx RT_IDS: RT_SCREEN_TCP: TCP port scan! source: 203.0.113.3:6000,
        destination: 198.51.100.4:1433, zone name: untrust, interface name: ge-0/0/0.0, action: drop

Some collectors drop the screen's tag and keep only the category:
    Nov 14 06:21:24 srx RT_IDS IP spoofing! source: 203.0.113.3, destination: 198.51.100.4,
        protocol-id: 17, zone name: untrust, interface name: reth4.0, action: alarm-without-drop

The protocol comes from `protocol-id`/`protocol-name`, else from the screen's tag
(RT_SCREEN_TCP* -> TCP, _UDP -> UDP, _ICMP -> ICMP). Screens that name no source (a flood
*to* one destination) give no events. Actions: drop/deny/reject -> block, alarm-without-drop
and IDP "NONE" -> unknown, session create/close -> allow.
"""

from __future__ import annotations

from probewatch.model import Action, ProbeEvent
from probewatch.parsers import timestamps, validate
from probewatch.parsers.base import ParseContext
from probewatch.parsers.patterns import lazy
from probewatch.parsers.vendor_helpers import rejoin_ipv6, structured_data, verdict, zone_direction

_TAG = lazy(r"\b(?P<tag>RT_SCREEN_\w+|RT_FLOW_SESSION_\w+|IDP_ATTACK_LOG_EVENT\w*)\b")
# Some collectors drop the screen's own tag: "RT_IDS IP spoofing! source: ..., action: ..."
_BARE_PROTO = lazy(r"(TCP|UDP|ICMP)\b")
_BARE_IDS = lazy(r"\b(?P<tag>RT_IDS):? (?=[^\[]*\bsource: )")
_PLAIN_DENY = lazy(
    r"session denied (?P<src>[^\s/]+)/(?P<sp>\d*)->(?P<dst>[^\s/]+)/(?P<dp>\d*) "
    r"(?:\S+ ){1,3}?(?P<proto>\d+)\(\d+\)"
)
# "session created S/sp->D/dp service NATS/p->NATD/p <src-nat rule> <dst-nat rule> [<more
# NAT words on newer Junos>] proto policy ..."; "session closed <reason>: ..." the same.
_PLAIN_SESSION = lazy(
    r"session (?:created|closed [^:]*:) (?P<src>[^\s/]+)/(?P<sp>\d*)->(?P<dst>[^\s/]+)/(?P<dp>\d*) "
    r"\S+ [^\s/]+/\d*->[^\s/]+/\d* (?:\S+ ){1,6}?(?P<proto>\d+) \S+ \S+ \S+ \d+"
)
_PLAIN_SCREEN = lazy(
    r"(?:RT_SCREEN_\w+:|RT_IDS:?) .*?source: (?P<src>[\w.:]+?)(?::(?P<sp>\d+))?, "
    r"destination: (?P<dst>[\w.:]+?)(?::(?P<dp>\d+))?, "
    r"(?:protocol-id: (?P<proto>\d+), )?.*?action: (?P<action>[\w-]+)"
)
_PLAIN_IDP = lazy(
    r"<(?P<src>[^\s/]+)/(?P<sp>\d+)->(?P<dst>[^\s/]+)/(?P<dp>\d+)> for (?P<proto>\w+) "
    r"protocol.*?action=(?P<action>[\w-]+)"
)
_SCREEN_PROTO = {"TCP": "TCP", "UDP": "UDP", "ICMP": "ICMP"}


def _screen_proto(tag: str) -> str | None:
    return _SCREEN_PROTO.get(tag.removeprefix("RT_SCREEN_").split("_", 1)[0])


def _action(tag: str, word: str | None) -> Action:
    if tag.startswith("RT_FLOW_SESSION_"):
        return "block" if tag.endswith("DENY") else "allow"
    if word and word.lower() in ("alarm-without-drop", "none", "ignore", "recommended"):
        return "unknown"
    return verdict(word)


class JuniperSrxParser:
    name = "juniper-srx"

    def __init__(self) -> None:
        self._times = timestamps.HeaderTimes()

    def can_parse(self, line: str) -> bool:
        return (
            "RT_SCREEN" in line
            or "RT_FLOW_SESSION" in line
            or "IDP_ATTACK_LOG" in line
            or "RT_IDS" in line
        )

    def parse(self, line: str, ctx: ParseContext) -> list[ProbeEvent] | None:
        tag_match = _TAG.search(line) or _BARE_IDS.search(line)
        if tag_match is None:
            return None
        tag = tag_match.group("tag")
        if tag.startswith("RT_FLOW_SESSION_") and not tag.endswith(("DENY", "CREATE", "CLOSE")):
            return []
        ids = tag.startswith("IDP")
        if "junos@" in line:
            fields = structured_data(line[tag_match.end() :])
            src, dst = fields.get("source-address"), fields.get("destination-address")
            sport, dport = fields.get("source-port"), fields.get("destination-port")
            proto = fields.get("protocol-id") or fields.get("protocol-name")
            word = fields.get("action")
            way = zone_direction(
                fields.get("source-zone-name"), fields.get("destination-zone-name")
            )
        else:
            match = (
                _PLAIN_DENY.search(line)
                or _PLAIN_SESSION.search(line)
                or _PLAIN_SCREEN.search(line)
                or _PLAIN_IDP.search(line)
            )
            if match is None:
                return None
            found = match.groupdict()
            src, sport = rejoin_ipv6(found["src"], found["sp"])
            dst, dport = rejoin_ipv6(found["dst"], found["dp"])
            proto, word = found.get("proto"), found.get("action")
            way = None
        if not src:
            return []
        if not proto and tag.startswith("RT_SCREEN_"):
            proto = _screen_proto(tag)
        elif not proto and tag == "RT_IDS":  # the screen's name: "TCP port scan!"
            named = _BARE_PROTO.match(line, tag_match.end())
            proto = named.group(1) if named else None
        if not proto:
            return []
        time, _ = self._times.leading(line, ctx)
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
                action_word=_action(tag, word),
                evidence="ids" if ids else None,
                direction=way,
            )
        ]


PARSER = JuniperSrxParser()
