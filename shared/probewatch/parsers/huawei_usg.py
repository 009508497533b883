"""Huawei USG / HiSecEngine firewall logs (`%%01MODULE/severity/NAME(l):` messages).

    Jan 31 2024 18:24:30 USG6000 %%01POLICY/6/POLICYDENY(l):vsys=public, protocol=6,
        source-ip=203.0.113.1, source-port=1234, destination-ip=198.51.100.2,
        destination-port=23, time=2024/1/31 18:24:30, source-zone=untrust, rule-name=deny.
    ... %%01IPS/4/DETECT(l):An intrusion was detected. (SyslogId=1, VSys="public",
        SrcIp=203.0.113.1, DstIp=198.51.100.2, SrcPort=1234, DstPort=80, Protocol=TCP, ...
        Action=Block)
    ... %%01ANTIATTACK/4/ATCKDF(l):AttackType="Syn flood attack", SourceIP="203.0.113.1",
        DestinationIP="198.51.100.2", ..., Action=discard

Key spellings vary by module (source-ip, SrcIp, SourceIP...); they are compared without
case, `-` or `_`. The action: POLICYDENY -> block, POLICYPERMIT -> allow, else the `Action`
field (IPS "alert" -> unknown). IPS / attack-defence messages carry evidence "ids".
Time: the syslog envelope (Huawei writes the year, sometimes an offset glued to the clock, or
a leading "2018/10/05 09:52:14" in the reporter's zone). SECLOG SESSION_TEARDOWN records a
session the policy let through: allow. URL-filter matches (%%01URL/4/FILTER) describe the
session: Action=Block -> block, Alert (only logged) -> unknown with evidence "no-verdict",
never reported. Messages without a source address and protocol (logins, configuration,
SECE/ARP housekeeping) give no events.
"""

from __future__ import annotations

from datetime import datetime

from probewatch.model import Action, ProbeEvent
from probewatch.parsers import timestamps, validate
from probewatch.parsers.base import ParseContext
from probewatch.parsers.patterns import lazy
from probewatch.parsers.vendor_helpers import NO_VERDICT, verdict, zone_direction

# "%%01IPS/4/DETECT(l):", newer firmware adds a sequence number: "(l)[142]:"
_TAG = lazy(r"%%\d\d(?P<module>[A-Z_0-9]+)/\d/(?P<name>[A-Z_0-9]+)(?:\(\w+\))?(?:\[\d+\])?:")
# Huawei may glue the offset to the clock: "Nov  5 2021 11:34:18+08:00 USG ..."
_GLUED_OFFSET = lazy(
    r"^(?:<\d{1,3}>)?(?P<mo>[A-Z][a-z]{2})\s+(?P<d>\d{1,2}) (?P<y>\d{4}) "
    r"(?P<h>\d\d):(?P<mi>\d\d):(?P<s>\d\d)(?P<z>[+-]\d\d:?\d\d)\s"
)
_SLASH_DATE = lazy(r"^(?:<\d{1,3}>)?(\d{4})/(\d{1,2})/(\d{1,2}) (\d\d:\d\d:\d\d)\s")
_CONTENT_MODULES = frozenset({"URL"})  # content filters: a match is no verdict by itself
_PAIR = lazy(r"(?:^|[\s,(])([A-Za-z][\w\-]*)=\"?([^,\")]*)")
_KEYS = {
    "src": ("sourceip", "srcip", "srcipaddr", "sourceaddress"),
    "sport": ("sourceport", "srcport"),
    "dst": ("destinationip", "dstip", "dstipaddr", "destinationaddress", "destip"),
    "dport": ("destinationport", "dstport", "destport"),
    "proto": ("protocol", "proto"),
}
_IDS_MODULES = frozenset({"IPS", "ANTIATTACK", "ATK", "SECE", "AV", "IDS"})


def _normalised(body: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for key, value in _PAIR.findall(body):
        fields.setdefault(key.lower().replace("-", "").replace("_", ""), value.strip())
    return fields


def _pick(fields: dict[str, str], role: str) -> str | None:
    for key in _KEYS[role]:
        if fields.get(key):
            return fields[key]
    return None


class HuaweiUsgParser:
    name = "huawei-usg"

    def __init__(self) -> None:
        self._times = timestamps.HeaderTimes()

    def can_parse(self, line: str) -> bool:
        return "%%" in line and _TAG.search(line) is not None

    def parse(self, line: str, ctx: ParseContext) -> list[ProbeEvent] | None:
        tag = _TAG.search(line)
        if tag is None:
            return None
        fields = _normalised(line[tag.end() :])
        src, proto = _pick(fields, "src"), _pick(fields, "proto")
        if not src or not proto:
            return []
        name, module = tag.group("name"), tag.group("module")
        action: Action
        evidence = "ids" if module in _IDS_MODULES else None
        if name.startswith("POLICYDENY"):
            action = "block"
        elif name.startswith(("POLICYPERMIT", "SESSION_TEARDOWN")):
            action = "allow"
        else:
            word = fields.get("action", "")
            action = "unknown" if word.lower() == "alert" else verdict(word)
            if action == "unknown" and module in _CONTENT_MODULES:
                evidence = NO_VERDICT
        return [
            validate.make_event(
                format=self.name,
                raw=line,
                time=self._time(line, ctx),
                src_ip=src,
                src_port=_pick(fields, "sport"),
                dst_ip=_pick(fields, "dst"),
                dst_port=_pick(fields, "dport"),
                proto_name=proto,
                action_word=action,
                evidence=evidence,
                direction=zone_direction(
                    fields.get("srczone") or fields.get("sourcezone"),
                    fields.get("dstzone") or fields.get("destinationzone"),
                ),
            )
        ]

    def _time(self, line: str, ctx: ParseContext) -> datetime | None:
        glued = _GLUED_OFFSET.match(line)
        if glued:
            g = glued.group
            return timestamps.build(ctx, g("mo"), g("d"), g("h"), g("mi"), g("s"), g("y"), g("z"))
        slashed = _SLASH_DATE.match(line)
        if slashed:
            year, month, day, clock = slashed.groups()
            return timestamps.parse_iso(f"{year}-{int(month):02d}-{int(day):02d}T{clock}", ctx)
        return self._times.leading(line, ctx)[0]


PARSER = HuaweiUsgParser()
