"""WatchGuard Firebox (Fireware) traffic logs.

    Jan 31 18:24:30 firebox FVE1234 (2024-01-31T18:24:30) firewall: msg_id="3000-0148" Deny
        1-Trusted 0-External 60 tcp 20 64 203.0.113.2 198.51.100.8 51234 443 offset 10 S
        123456 win 29200 (Unhandled External Packet-00)
    Older: `firewall: deny in eth0 60 tcp 20 64 203.0.113.2 198.51.100.8 51234 443 offset 10 S ...`
    Proxies: `https-proxy[2117]: msg_id="2CFF-0000" Allow 1-Trusted 0-External tcp 10.0.1.2
        198.51.100.8 52153 443 msg="ProxyAllow: HTTPS domain name match"`

After the action: source and destination interface, packet length, protocol, header length,
TTL, source, destination, then ports (for ICMP: type and code, dropped) and, for TCP,
`offset N <flags>`. The parenthesised device time (local, the reporter's zone) wins over
the syslog envelope. Allow -> allow, Deny -> block; other Firebox messages give None.
"""

from __future__ import annotations

from probewatch.model import ProbeEvent
from probewatch.parsers import timestamps, validate
from probewatch.parsers.base import ParseContext
from probewatch.parsers.patterns import lazy
from probewatch.parsers.vendor_helpers import verdict

# Interface names may hold spaces ("WAN - Aruba"), so they are skipped lazily up to the
# packet length; proxy logs (`https-proxy: msg_id=... Allow 1-Trusted 0-External tcp src
# dst sport dport`) leave out length, header length and TTL.
_TRAFFIC = lazy(
    r"(?:firewall|proxy)\S*: (?:msg_id=\"[^\"]*\" )?(?P<action>Allow|Deny|allow|deny|drop|Drop) "
    r".+? (?:\d+ )?(?P<proto>tcp|udp|icmp|icmp6|igmp|gre|esp|ah|ip|\d{1,3}) (?:\d+ \d+ )?"
    r"(?P<src>[0-9A-Fa-f.:]+) (?P<dst>[0-9A-Fa-f.:]+)"
    r"(?: (?P<sp>\d+) (?P<dp>\d+))?(?: offset \d+ (?P<flags>[A-Z]+)\b)?"
)
_DEVICE_TIME = lazy(r"\((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\)")


class WatchguardParser:
    name = "watchguard"

    def __init__(self) -> None:
        self._times = timestamps.HeaderTimes()

    def can_parse(self, line: str) -> bool:
        return ("msg_id=" in line or "firewall: " in line) and _TRAFFIC.search(line) is not None

    def parse(self, line: str, ctx: ParseContext) -> list[ProbeEvent] | None:
        match = _TRAFFIC.search(line)
        if match is None:
            return None
        device = _DEVICE_TIME.search(line, 0, match.start())
        time = timestamps.parse_iso(device.group(1), ctx) if device else None
        if time is None:
            time = self._times.leading(line, ctx)[0]
        return [
            validate.make_event(
                format=self.name,
                raw=line,
                time=time,
                src_ip=match.group("src"),
                src_port=match.group("sp"),
                dst_ip=match.group("dst"),
                dst_port=match.group("dp"),
                proto_name=match.group("proto"),
                action_word=verdict(match.group("action")),
                flags=match.group("flags"),
            )
        ]


PARSER = WatchguardParser()
