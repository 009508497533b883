"""Cisco IOS / IOS-XE / IOS-XR / NX-OS router logs: ACL log lines, zone-based firewall drops and IOS IPS.

    Mar  1 00:23:45.123 UTC: %SEC-6-IPACCESSLOGP: list 101 denied tcp 203.0.113.1(1234)
        (GigabitEthernet0/0 ) -> 198.51.100.2(23), 1 packet
    %SEC-6-IPACCESSLOGDP: list 101 denied icmp 203.0.113.1 -> 198.51.100.2 (8/0), 1 packet
    %SEC-6-IPACCESSLOGS: list 10 denied 203.0.113.1 1 packet
    %IPV6_ACL-6-ACCESSLOGP: list V6IN denied tcp 2001:db8::1(1234) -> 2001:db8::2(22), 1 packet
    %ACL-IPV4_ACL-6-IPACCESSLOGP : access-list EDGE (10) deny tcp 203.0.113.1(1234) -> ...
    %ACLLOG-6-ACLLOG_FLOW_INTERVAL: Src IP: 203.0.113.1, Dst IP: 198.51.100.2, Src Port: 1234,
        Dst Port: 22, Src Intf: Ethernet1/1, Protocol: "TCP"(6), Hit-count = 1   (NX-OS)
    %FW-6-DROP_PKT: Dropping tcp session 203.0.113.1:1234 198.51.100.2:80 on zone-pair ...
    %IPS-4-SIGNATURE: Sig:3050 Subsig:1 Sev:4 Half-open Syn Flood [203.0.113.1:1234 ->
        198.51.100.2:80] VRF:NONE RiskRating:25

The device's own timestamp before `: %` (with its zone word, milliseconds, maybe a leading
`*` or sequence number) wins over the syslog envelope. Standard ACLs (LOGS) name only the
source and no protocol: proto "IP". IPS signatures do not name the protocol either: old
IOS IDS signature numbers say it (2xxx ICMP, 3xxx TCP, 4xxx UDP), IPS ones are "IP".
"""

from __future__ import annotations

import re
from datetime import datetime

from probewatch.model import ProbeEvent
from probewatch.parsers import timestamps, validate
from probewatch.parsers.base import ParseContext
from probewatch.parsers.patterns import lazy
from probewatch.parsers.vendor_helpers import verdict

_ADDR = r"[0-9A-Fa-f.:]+"
# IOS/IOS-XE `%SEC-6-IPACCESSLOGP: list 101 denied`, IOS-XR `%ACL-IPV4_ACL-6-IPACCESSLOGP :
# access-list NAME (10) deny`, IPv6 `%IPV6_ACL-6-ACCESSLOGP: list V6 denied`.
_ACL = lazy(
    rf"ACCESSLOG\w*\s*: (?:access-)?list \S+(?: \(\d+\))? "
    rf"(?P<verdict>denied|permitted|deny|permit) (?:(?P<proto>[a-z]+|\d+) )?(?P<src>{_ADDR})"
    rf"(?:\((?P<sp>\d+)\))?(?: \([^)]*\))?(?: -> (?P<dst>{_ADDR})(?:\((?P<dp>\d+)\))?)?"
)
# NX-OS ACL logging does not say whether the entry permitted or denied.
_NXOS = lazy(
    rf"%ACLLOG-\d-ACLLOG_\w+: Src IP: (?P<src>{_ADDR}), Dst IP: (?P<dst>{_ADDR}), "
    r"(?:Src Port: (?P<sp>\d+), Dst Port: (?P<dp>\d+), )?.*?Protocol: \"?(?P<proto>[\w-]+)"
)
_ZBF = lazy(
    rf"%FW-\d-DROP_PKT: Dropping (?P<proto>\w+) (?:session|pkt from \S+) "
    rf"\[?(?P<src>{_ADDR}?)\]?:(?P<sp>\d+)(?: =>)? \[?(?P<dst>{_ADDR}?)\]?:(?P<dp>\d+)"
)
_IPS = lazy(
    rf"%IPS-\d-SIGNATURE: Sig:(?P<sig>\d+) .*?\[(?P<src>{_ADDR}?):(?P<sp>\d+) -> "
    rf"(?P<dst>{_ADDR}?):(?P<dp>\d+)\]"
)
_IDS = re.compile(  # eager: compared with `match.re is`
    rf"%IDS-\d-\w+: Sig:(?P<sig>\d+):.*?from (?P<src>{_ADDR}) to (?P<dst>{_ADDR})"
)
_DEVICE_TIME = lazy(
    r"(?P<ts>[A-Z][a-z]{2}\s+\d{1,2}\s+(?:\d{4}\s+)?\d\d:\d\d:\d\d(?:\.\d+)?"
    r"(?:\s+[A-Z]{3,5})?):\s*(?:[\w./-]+\[\d+\]:\s*)?%"
)
# NX-OS writes the year first: "2026 Jan 10 10:00:00 switch %ACLLOG-..."
_YEAR_FIRST = lazy(
    r"^(?:<\d{1,3}>)?(?P<y>\d{4}) (?P<mo>[A-Z][a-z]{2})\s+(?P<d>\d{1,2}) "
    r"(?P<h>\d\d):(?P<mi>\d\d):(?P<s>\d\d)(?:\.(?P<f>\d+))?(?: (?P<z>[A-Z]{3,5})\b)?"
)


class CiscoIosParser:
    name = "cisco-ios"

    def __init__(self) -> None:
        self._times = timestamps.HeaderTimes()

    def can_parse(self, line: str) -> bool:
        return (
            "ACCESSLOG" in line
            or "ACLLOG" in line
            or "%FW-" in line
            or "%IPS-" in line
            or "%IDS-" in line
        )

    def parse(self, line: str, ctx: ParseContext) -> list[ProbeEvent] | None:
        evidence = None
        acl = _ACL.search(line)
        if acl:
            match, proto = acl, acl.group("proto") or "IP"
            action = verdict(acl.group("verdict"))
        elif nxos := _NXOS.search(line):
            match, proto, action = nxos, nxos.group("proto"), "unknown"
        elif zbf := _ZBF.search(line):
            match, proto, action = zbf, zbf.group("proto"), verdict("drop")
        elif ips := (_IPS.search(line) or _IDS.search(line)):
            match, action, evidence = ips, "unknown", "ids"
            proto = "IP"
            if ips.re is _IDS:
                proto = {"2": "ICMP", "3": "TCP", "4": "UDP"}.get(ips.group("sig")[:1], "IP")
        else:
            return None
        found = match.groupdict()
        return [
            validate.make_event(
                format=self.name,
                raw=line,
                time=self._time(line, match.start(), ctx),
                src_ip=found["src"],
                src_port=found.get("sp"),
                dst_ip=found.get("dst"),
                dst_port=found.get("dp"),
                proto_name=proto,
                action_word=action,
                evidence=evidence,
            )
        ]

    def _time(self, line: str, tag_start: int, ctx: ParseContext) -> datetime | None:
        # the last time before the tag is the device's own
        device = None
        for found in _DEVICE_TIME.finditer(line, 0, tag_start + 1):
            device = found
        if device is not None:
            # the ":" lets the time parser see where a trailing zone word ends
            moment = timestamps.parse_bsd(device.group("ts") + ":", ctx)
            if moment is not None:
                return moment
        year_first = _YEAR_FIRST.match(line)
        if year_first:
            g = year_first.group
            return timestamps.build(ctx, g("mo"), g("d"), g("h"), g("mi"), g("s"), g("y"),
                                    g("z"), g("f"))  # fmt: skip
        return self._times.leading(line, ctx)[0]


PARSER = CiscoIosParser()
