"""Sophos firewalls: XG / SFOS (Sophos Firewall) and UTM / SG (packet filter, IPS).

XG / SFOS:
    device="SFW" date=2024-01-31 time=18:24:30 timezone="CET" device_name="XG230"
        log_type="Firewall" log_component="Firewall Rule" log_subtype="Denied" status="Deny"
        src_ip=203.0.113.1 dst_ip=198.51.100.2 protocol="TCP" src_port=1234 dst_port=23
    (SFOS 19+ writes `timestamp="2024-01-31T18:24:30+0100"` instead of date/time.)
UTM:
    2024:01:31-18:24:30 utm ulogd[5555]: id="2001" severity="info" sys="SecureNet"
        sub="packetfilter" name="Packet dropped" action="drop" srcip="203.0.113.1"
        dstip="198.51.100.2" proto="6" srcport="1234" dstport="23" tcpflags="SYN"

Only traffic logs count: XG log types Firewall / IDP / ATP (not Event, Content Filtering,
System Health...), UTM sub packetfilter / ips. Times without zone are the reporter's zone.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from probewatch.model import Action, ProbeEvent
from probewatch.parsers import timestamps, validate
from probewatch.parsers.base import ParseContext
from probewatch.parsers.kv import parse_kv
from probewatch.parsers.patterns import lazy
from probewatch.parsers.vendor_helpers import verdict, zone_direction

_XG_TYPES = frozenset({"Firewall", "IDP", "ATP", "Advanced Threat Protection"})
_UTM_SUBS = frozenset({"packetfilter", "ips"})
_XG_DATE = lazy(r"^(?P<y>\d{4})-(?P<mo>\d\d)-(?P<d>\d\d)$")
_XG_CLOCK = lazy(r"^(?P<h>\d\d):(?P<mi>\d\d):(?P<s>\d\d)$")
_UTM_TIME = lazy(
    r"^(?:<\d{1,3}>)?(?P<y>\d{4}):(?P<mo>\d\d):(?P<d>\d\d)-(?P<h>\d\d):(?P<mi>\d\d):(?P<s>\d\d)"
)


def _xg_time(fields: dict[str, str], ctx: ParseContext) -> datetime | None:
    if "timestamp" in fields:
        return timestamps.parse_iso(fields["timestamp"], ctx)
    day = _XG_DATE.match(fields.get("date", ""))
    clock = _XG_CLOCK.match(fields.get("time", ""))
    if day is None or clock is None:
        return None
    return timestamps.build(ctx, day["mo"], day["d"], clock["h"], clock["mi"], clock["s"],
                            day["y"], _zone(fields.get("timezone", "")))  # fmt: skip


def _zone(name: str) -> tzinfo | None:
    """SFOS `timezone`: an abbreviation ("CET"), an offset ("+01") or an IANA name; None
    (the reporter's zone) for anything unknown."""
    if not name:
        return None
    try:
        return timestamps.resolve_zone(name)
    except ValueError:
        return None


class SophosParser:
    name = "sophos"

    def __init__(self) -> None:
        self._times = timestamps.HeaderTimes()

    def can_parse(self, line: str) -> bool:
        return ("log_type=" in line and "src_ip=" in line) or (
            'sys="SecureNet"' in line and "srcip=" in line
        )

    def parse(self, line: str, ctx: ParseContext) -> list[ProbeEvent] | None:
        fields = parse_kv(line)
        if "log_type" in fields:
            return self._xg(line, fields, ctx)
        return self._utm(line, fields, ctx)

    def _xg(self, line: str, fields: dict[str, str], ctx: ParseContext) -> list[ProbeEvent] | None:
        kind = fields.get("log_type", "")
        if kind not in _XG_TYPES or "src_ip" not in fields or "protocol" not in fields:
            return []
        subtype = fields.get("log_subtype", "")
        ids = kind != "Firewall" or fields.get("log_component") == "DoS Attack"
        action: Action = verdict(subtype) if subtype else verdict(fields.get("status"))
        if subtype.lower() in ("detect", "alert"):
            action = "unknown"
        time = _xg_time(fields, ctx) or self._times.leading(line, ctx)[0]
        return [
            validate.make_event(
                format=self.name,
                raw=line,
                time=time,
                src_ip=fields["src_ip"],
                src_port=fields.get("src_port"),
                dst_ip=fields.get("dst_ip"),
                dst_port=fields.get("dst_port"),
                proto_name=fields["protocol"],
                action_word=action,
                flags=fields.get("tcp_flags") or fields.get("tcpflags"),
                evidence="ids" if ids else None,
                direction=zone_direction(fields.get("src_zone"), fields.get("dst_zone")),
            )  # fmt: skip
        ]

    def _utm(self, line: str, fields: dict[str, str], ctx: ParseContext) -> list[ProbeEvent] | None:
        sub = fields.get("sub", "")
        if sub not in _UTM_SUBS or "srcip" not in fields or "proto" not in fields:
            return []
        stamp = _UTM_TIME.match(line)
        if stamp:
            g = stamp.group
            time = timestamps.build(ctx, g("mo"), g("d"), g("h"), g("mi"), g("s"), g("y"))
        else:
            time = self._times.leading(line, ctx)[0]
        action = verdict(fields.get("action"))
        if sub == "ips" and fields.get("action", "").lower() in ("alert", "detect"):
            action = "unknown"
        return [
            validate.make_event(
                format=self.name,
                raw=line,
                time=time,
                src_ip=fields["srcip"],
                src_port=fields.get("srcport"),
                dst_ip=fields.get("dstip"),
                dst_port=fields.get("dstport"),
                proto_name=fields["proto"],
                action_word=action,
                flags=fields.get("tcpflags"),
                evidence="ids" if sub == "ips" else None,
            )  # fmt: skip
        ]


PARSER = SophosParser()
