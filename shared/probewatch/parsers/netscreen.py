"""Juniper NetScreen / ScreenOS syslog: traffic logs and screen (attack) alarms.

    Mar 12 14:52:33 10.0.0.1 ns5gt: NetScreen device_id=ns5gt [Root]system-notification-00257
        (traffic): start_time="2009-03-12 14:52:33" duration=0 policy_id=320001
        service=udp/port:137 proto=17 src zone=Untrust dst zone=Trust action=Deny sent=0
        rcvd=0 src=203.0.113.4 dst=198.51.100.7 src_port=137 dst_port=137 session_id=0
    ... NetScreen device_id=ns5gt [Root]system-emergency-00005: SYN flood! From
        203.0.113.4:1234 to 198.51.100.7:80, proto TCP (zone Untrust, int ethernet1).

Traffic logs take `start_time` (device local time: the reporter's zone), else the syslog
envelope. Screen alarms end with the device's own time "(2006-06-02 11:24:16)" (local
time, like `start_time`), which wins over the envelope. Screen alarms are attacks the device dropped (action "block"). Other NetScreen
messages (admin logins, config changes) give no events.
"""

from __future__ import annotations

from probewatch.model import ProbeEvent
from probewatch.parsers import timestamps, validate
from probewatch.parsers.base import ParseContext
from probewatch.parsers.kv import parse_kv
from probewatch.parsers.patterns import lazy
from probewatch.parsers.vendor_helpers import rejoin_ipv6, verdict

_ALARM = lazy(
    r"\]system-\w+-\d+: (?P<attack>[^!]+)! From (?P<src>[\w.:]+?)(?::(?P<sp>\d+))? "
    r"to (?P<dst>[\w.:]+?)(?::(?P<dp>\d+))?, proto (?P<proto>\w+)"
)

_TRAILING_TIME = lazy(r"\((\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\)\s*$")


class NetscreenParser:
    name = "netscreen"

    def __init__(self) -> None:
        self._times = timestamps.HeaderTimes()

    def can_parse(self, line: str) -> bool:
        return "NetScreen device_id=" in line

    def parse(self, line: str, ctx: ParseContext) -> list[ProbeEvent] | None:
        envelope_time, _ = self._times.leading(line, ctx)
        if "(traffic):" in line:
            fields = parse_kv(line[line.find("(traffic):") :])
            if "src" not in fields or "proto" not in fields:
                return []
            start = fields.get("start_time")
            time = (timestamps.parse_iso(start, ctx) if start else None) or envelope_time
            return [
                validate.make_event(
                    format=self.name,
                    raw=line,
                    time=time,
                    src_ip=fields["src"],
                    src_port=fields.get("src_port"),
                    dst_ip=fields.get("dst"),
                    dst_port=fields.get("dst_port"),
                    proto_name=fields["proto"],
                    action_word=verdict(fields.get("action")),
                )  # fmt: skip
            ]
        alarm = _ALARM.search(line)
        if alarm is None:
            return []
        own_time = _TRAILING_TIME.search(line)
        time = (timestamps.parse_iso(own_time.group(1), ctx) if own_time else None) or envelope_time
        src, sport = rejoin_ipv6(alarm.group("src"), alarm.group("sp"))
        dst, dport = rejoin_ipv6(alarm.group("dst"), alarm.group("dp"))
        return [
            validate.make_event(
                format=self.name,
                raw=line,
                time=time,
                src_ip=src,
                src_port=sport,
                dst_ip=dst,
                dst_port=dport,
                proto_name=alarm.group("proto"),
                action_word="block",
            )  # fmt: skip
        ]


PARSER = NetscreenParser()
