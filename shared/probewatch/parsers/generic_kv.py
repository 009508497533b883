"""Last resort for key=value firewall logs no specific parser knows.

    Jan 31 18:24:30 gw fw[12]: action=drop src=203.0.113.5 dst=198.51.100.2 proto=tcp
        spt=40000 dpt=23

Registered as a fallback: the dispatcher tries it only after every specific parser declined.
It claims a line only when a source AND a destination address and a protocol or a port are
spelled out under well-known key names (src/source/srcip/src_ip/saddr..., dst/destination/
dstip/dst_ip/daddr..., proto/protocol, spt/sport/src_port..., dpt/dport/dst_port...).
Values that do not even look like addresses (src=/var/log) give None; address-like values
that are impossible (src=300.1.1.1) are rejected. Kernel netfilter lines (`SRC= DST= ...
PROTO=`) are left to the netfilter parser, which has already declined them. Without a protocol name the event's
protocol is "IP". The action comes from action/act/verdict/disposition/status; the time
from the syslog envelope or an ISO `time`/`timestamp` field.
"""

from __future__ import annotations

import re

from probewatch.model import ProbeEvent
from probewatch.parsers import timestamps, validate
from probewatch.parsers.base import ParseContext
from probewatch.parsers.kv import parse_kv
from probewatch.parsers.patterns import lazy
from probewatch.parsers.vendor_helpers import colon_endpoint, verdict

_KEYS = {
    "src": ("src", "source", "srcip", "src_ip", "source_ip", "sourceip", "saddr", "src_addr",
            "srcaddr", "source_address", "sourceaddress", "client_ip"),
    "dst": ("dst", "destination", "dstip", "dst_ip", "dest_ip", "destination_ip", "destip",
            "daddr", "dst_addr", "dstaddr", "destination_address", "destinationaddress"),
    "sport": ("spt", "sport", "srcport", "src_port", "source_port", "sourceport", "s_port"),
    "dport": ("dpt", "dport", "dstport", "dst_port", "dest_port", "destination_port",
              "destinationport", "d_port", "destport"),
    "proto": ("proto", "protocol", "ip_proto", "transport", "ipproto"),
    "action": ("action", "act", "verdict", "disposition", "status", "fw_action"),
    "time": ("timestamp", "time", "datetime", "date_time"),
}  # fmt: skip
_SRC_KEY = lazy(r"\b(?:src|source|saddr)\w*=", re.IGNORECASE)
_KERNEL_LOG = lazy(r"\bSRC=\S+ DST=\S+ .*\bPROTO=")
_ADDRESS_LIKE = lazy(r"^\[?[0-9A-Fa-f.:]+\]?(?::\d+)?(?::\w+)?$")


def _direction(word: str | None) -> str | None:
    """A direction word ("inbound", "out"...); a bare number means nothing without a format."""
    return None if not word or word.isdigit() else validate.direction(word)


def _pick(fields: dict[str, str], role: str) -> str | None:
    for key in _KEYS[role]:
        value = fields.get(key)
        if value:
            return value
    return None


class GenericKvParser:
    name = "generic-kv"
    fallback = True

    def __init__(self) -> None:
        self._times = timestamps.HeaderTimes()

    def can_parse(self, line: str) -> bool:
        return "=" in line and _SRC_KEY.search(line) is not None

    def parse(self, line: str, ctx: ParseContext) -> list[ProbeEvent] | None:
        if _KERNEL_LOG.search(line):
            return None  # netfilter's dress: its own parser already said no
        fields = {key.lower(): value for key, value in reversed(parse_kv(line).items())}
        src_text, dst_text = _pick(fields, "src"), _pick(fields, "dst")
        proto, sport, dport = _pick(fields, "proto"), _pick(fields, "sport"), _pick(fields, "dport")
        if not src_text or not dst_text:
            return None
        if not (_ADDRESS_LIKE.match(src_text) and _ADDRESS_LIKE.match(dst_text)):
            return None
        src, src_inline_port = colon_endpoint(src_text)
        dst, dst_inline_port = colon_endpoint(dst_text)
        if not (proto or sport or dport or dst_inline_port):
            return None
        if proto:
            proto = proto.split("/", 1)[0]
            if not re.fullmatch(r"[A-Za-z][\w-]*|\d{1,3}", proto):
                return None
        time = self._times.leading(line, ctx)[0]
        stamp = _pick(fields, "time")
        if time is None and stamp:
            time = timestamps.parse_iso(stamp, ctx) or timestamps.parse_epoch(stamp)
        return [
            validate.make_event(
                format=self.name,
                raw=line,
                time=time,
                src_ip=src,
                src_port=sport or src_inline_port,
                dst_ip=dst,
                dst_port=dport or dst_inline_port,
                proto_name=proto or "IP",
                action_word=verdict(_pick(fields, "action")),
                direction=_direction(fields.get("direction") or fields.get("dir")),
            )
        ]


PARSER = GenericKvParser()
