"""DShield's tab-separated submission format (also what many DShield clients e-mail).

    2019-05-06 10:12:33 -04:00<TAB>12345<TAB>1<TAB>203.0.113.9<TAB>51000<TAB>198.51.100.2<TAB>22<TAB>TCP<TAB>S

Columns: date (with offset), user id, count, source IP, source port, target IP, target port,
protocol (name or number), TCP flags. A target masked as `10.0.x.x` is kept as unknown (None).
One event per line whatever the count. DShield logs are blocked packets: action "block".
"""

from __future__ import annotations

from probewatch.model import ProbeEvent
from probewatch.parsers import timestamps, validate
from probewatch.parsers.base import ParseContext
from probewatch.parsers.patterns import lazy

_DATE = lazy(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d")


class DshieldParser:
    name = "dshield"

    def can_parse(self, line: str) -> bool:
        return line.count("\t") >= 7 and _DATE.match(line) is not None

    def parse(self, line: str, ctx: ParseContext) -> list[ProbeEvent] | None:
        cols = [c.strip() for c in line.split("\t")]
        if len(cols) < 8 or not cols[2].isdigit():
            return None
        time = timestamps.parse_iso(cols[0].replace(" +", "+").replace(" -", "-"), ctx)
        target = cols[5] if "x" not in cols[5].lower() else None
        return [
            validate.make_event(
                format=self.name,
                raw=line,
                time=time,
                src_ip=cols[3],
                src_port=cols[4],
                dst_ip=target,
                dst_port=cols[6],
                proto_name=cols[7] or "IP",
                action_word="block",
                flags=cols[8] if len(cols) > 8 and cols[8] else None,
            )
        ]


PARSER = DshieldParser()
