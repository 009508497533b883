"""ArcSight Common Event Format (CEF) from any vendor: Check Point, UniFi, Fortinet, Palo
Alto, Trend Micro, Sophos... with or without a syslog header (and, as UniFi sometimes
forwards it, without the `CEF:` word).

    Sep  8 08:32:20 udm CEF:0|Ubiquiti|UniFi Network|9.4.19|201|Threat Detected and Blocked|9|
        proto=TCP src=203.0.113.252 spt=65020 dst=192.168.1.100 dpt=80 act=blocked ...

Extension keys used: src/sourceAddress (or c6a2 for IPv6), dst/destinationAddress (c6a3),
spt, dpt, proto (name or number), act, rt/start (epoch ms or "Mar 13 2020 12:31:58 [zone]"),
UniFi's UNIFIutcTime. Only events naming a source, a protocol and a destination address or
port count; the rest (admin logins, system events) give no events ([]: claimed, so the generic parser does not guess). The action is `act`, else
read from the event name ("... Blocked" -> block); IDS/IPS events carry evidence "ids".
"""

from __future__ import annotations

import re
from datetime import datetime

from probewatch.model import Action, ProbeEvent
from probewatch.parsers import timestamps, validate
from probewatch.parsers.base import ParseContext
from probewatch.parsers.patterns import lazy
from probewatch.parsers.vendor_helpers import verdict

_HEADER = lazy(r"(?:CEF:\s*|^)(?P<version>\d)\|")
_KEY = lazy(r"(?:^|(?<=\s))([A-Za-z][\w.\-\[\]]*)=")
_NAME_BLOCK = lazy(r"\b(?:block(?:ed)?|den(?:y|ied)|drop(?:ped)?|reject(?:ed)?)\b", re.I)
_IDS = lazy(r"threat|intrusion|\bIPS\b|\bIDS\b|attack|signature|exploit|scan", re.I)


def _split_header(text: str) -> list[str]:
    """The 6 `|`-separated header fields after the version, and the extension (`\\|` is an escaped pipe)."""
    parts: list[str] = []
    current: list[str] = []
    index = 0
    while index < len(text) and len(parts) < 6:
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            current.append(text[index + 1])
            index += 2
            continue
        if char == "|":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    parts.append(text[index:])
    return parts


def extension(text: str) -> dict[str, str]:
    """CEF extension `key=value key2=value with spaces` -> dict (values unescaped)."""
    keys = [m for m in _KEY.finditer(text) if not _escaped(text, m.end() - 1)]
    fields: dict[str, str] = {}
    for index, current in enumerate(keys):
        end = keys[index + 1].start() if index + 1 < len(keys) else len(text)
        value = text[current.end() : end].strip()
        value = value.replace("\\=", "=").replace("\\n", " ").replace("\\\\", "\\")
        fields.setdefault(current.group(1), value)
    return fields


def _escaped(text: str, position: int) -> bool:
    return position > 0 and text[position - 1] == "\\"


def _time(fields: dict[str, str], line: str, ctx: ParseContext,
          times: timestamps.HeaderTimes) -> datetime | None:  # fmt: skip
    for key in ("rt", "start", "deviceReceiptTime", "end"):
        value = fields.get(key)
        if not value:
            continue
        moment = timestamps.parse_epoch(value) if value.isdigit() else None
        # the trailing space lets the time parser see where a zone word ("UTC") ends
        text = value + " "
        moment = moment or timestamps.parse_bsd(text, ctx) or timestamps.parse_iso(value, ctx)
        if moment is not None:
            return moment
    utc = fields.get("UNIFIutcTime")
    if utc:
        return timestamps.parse_iso(utc, ctx)
    return times.leading(line, ctx)[0]


class CefParser:
    name = "cef"

    def __init__(self) -> None:
        self._times = timestamps.HeaderTimes()

    def can_parse(self, line: str) -> bool:
        return "CEF:" in line or (line[:2] in ("0|", "1|") and line.count("|") >= 7)

    def parse(self, line: str, ctx: ParseContext) -> list[ProbeEvent] | None:
        header = _HEADER.search(line)
        if header is None:
            return None
        parts = _split_header(line[header.end() :])
        if len(parts) < 7:
            return None
        name, fields = parts[4], extension(parts[6])
        src = fields.get("src") or fields.get("sourceAddress") or fields.get("c6a2")
        dst = fields.get("dst") or fields.get("destinationAddress") or fields.get("c6a3")
        dport = fields.get("dpt") or fields.get("destinationPort")
        proto = fields.get("proto") or fields.get("transportProtocol")
        if not src or not proto or not (dst or dport):
            return []
        act = fields.get("act") or fields.get("deviceAction")
        action: Action = verdict(act) if act else "unknown"
        if not act and _NAME_BLOCK.search(name):
            action = "block"
        ids = bool(_IDS.search(name) or _IDS.search(fields.get("cat", "")))
        return [
            validate.make_event(
                format=self.name,
                raw=line,
                time=_time(fields, line, ctx, self._times),
                src_ip=src,
                src_port=fields.get("spt") or fields.get("sourcePort"),
                dst_ip=dst,
                dst_port=dport,
                proto_name=proto,
                action_word=action,
                evidence="ids" if ids else None,
                # deviceDirection: 0 inbound, 1 outbound (CEF spec)
                direction=validate.direction(fields.get("deviceDirection")),
            )
        ]


PARSER = CefParser()
