"""WatchGuard Firebox (Fireware) traffic logs.

    Jan 31 18:24:30 firebox FVE1234 (2024-01-31T18:24:30) firewall: msg_id="3000-0148" Deny
        1-Trusted 0-External 60 tcp 20 64 203.0.113.2 198.51.100.8 51234 443 offset 10 S
        123456 win 29200 (Unhandled External Packet-00)
    Older: `firewall: deny in eth0 60 tcp 20 64 203.0.113.2 198.51.100.8 51234 443 offset 10 S ...`
    Proxies: `https-proxy[2117]: msg_id="2CFF-0000" Allow 1-Trusted 0-External tcp 10.0.1.2
        198.51.100.8 52153 443 msg="ProxyAllow: HTTPS domain name match"`

    Fireware 10/11: `firewall: Deny 203.0.113.2 198.51.100.255 netbios-ns/udp 137 137
        0-External Firebox Denied 78 128 (default)` (service/protocol, then the ports).
    key=value: `firewall: msg_id="3000-0148" disp="Deny" src="203.0.113.2" dst="198.51.100.8"
        pr="tcp/443" src_port="51234" dst_port="443"` (`pr` is protocol[/destination port]).

After the action: source and destination interface, packet length, protocol, header length,
TTL, source, destination, then ports (for ICMP: type and code, dropped) and, for TCP,
`offset N <flags>`. The parenthesised device time (local, the reporter's zone) wins over
the syslog envelope. Allow -> allow, Deny -> block; other Firebox messages give None.
"""

from __future__ import annotations

from probewatch.model import ProbeEvent
from probewatch.parsers import timestamps, validate
from probewatch.parsers.base import ParseContext
from probewatch.parsers.kv import parse_kv
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
_LEGACY = lazy(
    r"firewall: (?:msg_id=\"[^\"]*\" )?(?P<action>Allow|Deny) (?P<src>[0-9A-Fa-f.:]+) "
    r"(?P<dst>[0-9A-Fa-f.:]+) [\w.-]+/(?P<proto>tcp|udp|icmp|igmp|gre|esp|\d{1,3}) "
    r"(?P<sp>\d+) (?P<dp>\d+)\b"
)
_DEVICE_TIME = lazy(r"\((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\)")


class WatchguardParser:
    name = "watchguard"

    def __init__(self) -> None:
        self._times = timestamps.HeaderTimes()

    def can_parse(self, line: str) -> bool:
        if "msg_id=" not in line and "firewall: " not in line:
            return False
        if " disp=" in line:
            return True
        return _TRAFFIC.search(line) is not None or _LEGACY.search(line) is not None

    def parse(self, line: str, ctx: ParseContext) -> list[ProbeEvent] | None:
        if " disp=" in line:
            return self._key_value(line, ctx)
        match = _LEGACY.search(line) or _TRAFFIC.search(line)
        if match is None:
            return None
        device = _DEVICE_TIME.search(line, 0, match.start())
        time = timestamps.parse_iso(device.group(1), ctx) if device else None
        if time is None:
            time = self._times.leading(line, ctx)[0]
        flags = match.groupdict().get("flags")
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
                flags=flags,
            )
        ]

    def _key_value(self, line: str, ctx: ParseContext) -> list[ProbeEvent] | None:
        fields = parse_kv(line)
        src = fields.get("src") or fields.get("src_ip")
        dst = fields.get("dst") or fields.get("dst_ip")
        if not src or not dst:
            return None
        proto, _, port = (fields.get("pr") or fields.get("proto") or "").partition("/")
        dport = fields.get("dst_port") or fields.get("dport") or (port if port.isdigit() else None)
        return [
            validate.make_event(
                format=self.name,
                raw=line,
                time=self._times.leading(line, ctx)[0],
                src_ip=src,
                src_port=fields.get("src_port") or fields.get("sport"),
                dst_ip=dst,
                dst_port=dport,
                proto_name=proto or "IP",
                action_word=verdict(fields.get("disp")),
            )
        ]


PARSER = WatchguardParser()
