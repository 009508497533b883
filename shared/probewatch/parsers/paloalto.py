"""Palo Alto Networks PAN-OS CSV logs (TRAFFIC and THREAT), with or without a syslog header.

    Jul  6 08:11:40 pa-fw 1,2023/07/06 08:11:40,0164010027,TRAFFIC,drop,2561,2023/07/06
        08:11:40,203.0.113.2,198.51.100.3,0.0.0.0,0.0.0.0,deny-all,,,not-applicable,vsys1,
        untrust,trust,ethernet1/1,,fwd,2023/07/06 08:11:40,0,1,47094,22,0,0,0x0,tcp,deny,...

Columns (the same in TRAFFIC and THREAT up to the action): 1 receive time, 3 type,
4 subtype, 6 generated time, 7 source, 8 destination, 24 source port, 25 destination port,
29 protocol, 30 action; THREAT adds 32 threat name. Times are the device's local time
without zone: a syslog header time with an explicit offset wins, then the generated time in
the reporter's zone. Actions: allow -> allow; deny/drop/drop-icmp/reset-*/block-*/sinkhole
-> block; a TRAFFIC "drop"/"deny" subtype is a block whatever the action column says; THREAT
"alert" -> unknown (detected, let through). THREAT subtypes about content
(url, file, data, wildfire) and the other log types (SYSTEM, CONFIG, GLOBALPROTECT...) give
no events.
"""

from __future__ import annotations

import csv

from probewatch.model import Action, ProbeEvent
from probewatch.parsers import timestamps, validate
from probewatch.parsers.base import ParseContext
from probewatch.parsers.patterns import lazy
from probewatch.parsers.vendor_helpers import verdict, zone_direction

_START = lazy(r"(?:^|[\s>])(\d+,\d{4}/\d\d/\d\d \d\d:\d\d:\d\d,[^,]*,(?:TRAFFIC|THREAT),)")
_ISO_HEADER = lazy(
    r"^\s*(?:<\d{1,3}>)?(?:1 )?(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d))\s"
)
_CONTENT_SUBTYPES = frozenset({"url", "file", "data", "wildfire", "wildfire-virus"})
_COLUMNS = 31  # everything up to and including the action


class PaloAltoParser:
    name = "paloalto"

    def can_parse(self, line: str) -> bool:
        return (",TRAFFIC," in line or ",THREAT," in line) and _START.search(line) is not None

    def parse(self, line: str, ctx: ParseContext) -> list[ProbeEvent] | None:
        start = _START.search(line)
        if start is None:
            return None
        row = next(csv.reader([line[start.start(1) :]]))
        if len(row) < _COLUMNS:
            return None
        kind, subtype = row[3], row[4]
        if kind == "THREAT" and subtype in _CONTENT_SUBTYPES:
            return []
        word = row[30]
        action: Action = "unknown" if word == "alert" else verdict(word)
        if kind == "TRAFFIC" and subtype in ("drop", "deny"):
            action = "block"
        header = _ISO_HEADER.match(line)
        time = timestamps.parse_iso(header.group(1), ctx) if header else None
        if time is None:
            time = timestamps.parse_iso(row[6].replace("/", "-"), ctx)
        return [
            validate.make_event(
                format=self.name,
                raw=line,
                time=time,
                src_ip=row[7],
                src_port=row[24],
                dst_ip=row[8],
                dst_port=row[25],
                proto_name=row[29],
                action_word=action,
                evidence="ids" if kind == "THREAT" else None,
                direction=zone_direction(row[16], row[17]),  # from zone, to zone
            )
        ]


PARSER = PaloAltoParser()
