"""Suricata EVE JSON: one JSON object per line (optionally behind a syslog header).

    {"timestamp":"2022-07-10T23:50:05.533101+0000","event_type":"alert","src_ip":"203.0.113.4",
     "src_port":52812,"dest_ip":"198.51.100.1","dest_port":80,"proto":"TCP",
     "alert":{"action":"allowed","signature_id":2024468,"signature":"ET ..."}}

event_type "alert": evidence "ids", action "block" when `alert.action` is "blocked" (IPS
mode), else "unknown" (seen, not stopped). "drop": a packet the IPS dropped ("block").
"flow": a record of traffic that passed ("allow"; kept as evidence, not a probe). TCP flags
come from the `tcp` object's booleans. Other event types (stats, dns, http, tls...) and
lines that are not JSON objects give no events.
"""

from __future__ import annotations

import json
from typing import Any

from probewatch.model import Action, ProbeEvent
from probewatch.parsers import timestamps, validate
from probewatch.parsers.base import ParseContext

_FLAG_KEYS = ("syn", "ack", "fin", "rst", "psh", "urg", "ecn", "cwr")
_KINDS = frozenset({"alert", "drop", "flow"})


def _flags(record: dict[str, Any]) -> list[str] | None:
    tcp = record.get("tcp")
    if not isinstance(tcp, dict):
        return None
    return [key for key in _FLAG_KEYS if tcp.get(key) is True] or None


class SuricataEveParser:
    name = "suricata-eve"

    def can_parse(self, line: str) -> bool:
        return '"event_type"' in line and '"src_ip"' in line

    def parse(self, line: str, ctx: ParseContext) -> list[ProbeEvent] | None:
        start = line.find("{")
        try:
            record = json.loads(line[start:])
        except ValueError:
            return None
        if not isinstance(record, dict) or record.get("event_type") not in _KINDS:
            return []
        kind = record["event_type"]
        if "src_ip" not in record or "proto" not in record:
            return []
        action: Action
        if kind == "alert":
            alert = record.get("alert") or {}
            action = "block" if alert.get("action") == "blocked" else "unknown"
        else:
            action = "block" if kind == "drop" else "allow"
        stamp = record.get("timestamp")
        time = timestamps.parse_iso(stamp, ctx) if isinstance(stamp, str) else None
        return [
            validate.make_event(
                format=self.name,
                raw=line,
                time=time,
                src_ip=str(record["src_ip"]),
                src_port=_port(record.get("src_port")),
                dst_ip=_text(record.get("dest_ip")),
                dst_port=_port(record.get("dest_port")),
                proto_name=str(record["proto"]),
                action_word=action,
                flags=_flags(record),
                evidence="ids" if kind == "alert" else None,
            )
        ]


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _port(value: object) -> str | int | None:
    """JSON ports are ints; anything else is handed to validate.port as text (rejected)."""
    if value is None or isinstance(value, int) and not isinstance(value, bool):
        return value  # type: ignore[return-value]
    return str(value)


PARSER = SuricataEveParser()
