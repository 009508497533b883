"""Check Point gateways via Log Exporter / syslog, in either dress:

  * RFC 5424 with the fields as structured data (Log Exporter "syslog" format):
        <134>1 2025-01-21T09:36:10Z gw CheckPoint 16953 - [action:"Drop"; ifdir:"inbound";
        src:"203.0.113.5"; s_port:"51515"; dst:"198.51.100.7"; service:"23"; proto:"6"; ...]
  * key=value separated by spaces, `|` or `; ` (Log Exporter "generic" / older exporters):
        time=1584102718|action=Drop|src=203.0.113.5|s_port=51515|dst=...|service=23|proto=6

The "packet drop" summaries (`packets:"<src,sport,dst,dport,proto;iface> <...>"`, prefixed
`(sample only)` when sampled) become one event per listed packet; a listed packet with an
impossible address or port is left out, and the line is rejected only if none is valid.
Time: the `time` field (epoch, UTC; LEA exports write "10Jan2026 9:40:00" in local time),
else the syslog envelope. Check Point CEF goes to the CEF parser.
Actions: Drop/Reject/Block/Prevent -> block; Accept/Allow/Encrypt/Decrypt -> allow;
Detect/Inform/Ask/Bypass -> unknown. Logs without traffic (admin logins, policy installs,
VPN key exchange without addresses) give no events.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from probewatch.model import Action, ProbeEvent
from probewatch.parsers import timestamps, validate
from probewatch.parsers.base import LineRejected, ParseContext
from probewatch.parsers.kv import parse_kv
from probewatch.parsers.patterns import lazy
from probewatch.parsers.vendor_helpers import structured_data, verdict, zone_direction

_LEA_TIME = lazy(r"^(\d{1,2})([A-Z][a-z]{2})(\d{4})\s+(\d{1,2}):(\d\d):(\d\d)$")
_PACKET = lazy(r"<([^,<>\s]+),(\d*),([^,<>\s]+),(\d*),(\w+)(?:;[^>]*)?>")
_ALLOW_WORDS = frozenset({"encrypt", "decrypt"})
_IDS_WORDS = frozenset({"detect", "prevent"})


def _fields(line: str) -> dict[str, str]:
    if "; " in line and ':"' in line:
        return structured_data(line)
    separator = "|" if line.count("|") >= 3 else ";" if line.count("; ") >= 3 else None
    if separator:  # `k=v|k=v` (LEA, generic exporter) or `k=v; k=v;` (syslog exporter)
        pairs: dict[str, str] = {}
        for part in line.split(separator):
            key, sep, value = part.partition("=")
            if sep:
                pairs.setdefault(key.strip().rsplit(" ", 1)[-1], value.strip().strip('"'))
        return pairs
    # `[Fields@1.3.6.1.4.1.2620 Action="accept" src="..." ...]` spells some keys capitalised
    lowered: dict[str, str] = {}
    for key, value in parse_kv(line).items():
        lowered.setdefault(key.lower(), value)
    return lowered


def _time(text: str, ctx: ParseContext) -> datetime | None:
    """`time`: epoch seconds (Log Exporter) or "10Jan2026 9:40:00" (LEA, local time)."""
    if text.isdigit():
        return timestamps.parse_epoch(text)
    lea = _LEA_TIME.match(text.strip())
    if lea:
        day, month, year, hour, minute, second = lea.groups()
        return timestamps.build(ctx, month, day, hour, minute, second, year)
    return None


def _packet_events(
    found: list[tuple[str, str, str, str, str]],
    event: Callable[[str, str | None, str | None, str | None, str], ProbeEvent],
) -> list[ProbeEvent]:
    """One event per listed packet. Each packet is its own record: one with an impossible
    address or port is left out (never guessed) without discarding its neighbours; the
    line is rejected only when no packet in it can be trusted."""
    events: list[ProbeEvent] = []
    first_problem: LineRejected | None = None
    for src, sport, dst, dport, proto in found:
        try:
            events.append(event(src, sport, dst, dport, proto))
        except LineRejected as problem:
            first_problem = first_problem or problem
    if not events and first_problem is not None:
        raise first_problem
    return events


class CheckpointParser:
    name = "checkpoint"

    def __init__(self) -> None:
        self._times = timestamps.HeaderTimes()

    def can_parse(self, line: str) -> bool:
        if "CEF:" in line:
            return False
        return (
            "CheckPoint" in line
            or "Check Point" in line
            or "originsicname" in line
            or "loguid" in line
            or "FireWall-1" in line
            or "Fields@1.3.6.1.4.1.2620" in line  # Check Point's enterprise number (CP-GW)
        )

    def parse(self, line: str, ctx: ParseContext) -> list[ProbeEvent] | None:
        fields = _fields(line)
        word = fields.get("action", "")
        lowered = word.lower()
        action: Action = "allow" if lowered in _ALLOW_WORDS else verdict(word)
        evidence = "ids" if lowered in _IDS_WORDS else None
        moment = _time(fields.get("time", ""), ctx)
        if moment is None:
            moment = self._times.leading(line, ctx)[0]

        def event(src: str, sport: str | None, dst: str | None, dport: str | None,
                  proto: str) -> ProbeEvent:  # fmt: skip
            return validate.make_event(
                format=self.name, raw=line, time=moment, src_ip=src, src_port=sport,
                dst_ip=dst, dst_port=dport, proto_name=proto, action_word=action,
                evidence=evidence,
                direction=zone_direction(fields.get("inzone"), fields.get("outzone")),
            )  # fmt: skip

        packets = fields.get("packets")
        if packets:
            found = _PACKET.findall(packets)
            if found:
                return _packet_events(found, event)
        src, dst = fields.get("src"), fields.get("dst")
        proto = fields.get("proto")
        if not src or not dst or not proto:
            return []
        dport = fields.get("service") or fields.get("dport")
        if dport and not dport.isdigit():
            dport = None  # a service name ("http"), not a number
        return [event(src, fields.get("s_port") or fields.get("sport"), dst, dport, proto)]


PARSER = CheckpointParser()
