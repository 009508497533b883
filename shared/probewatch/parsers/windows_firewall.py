"""Windows (Defender) Firewall `pfirewall.log`, a W3C-style log driven by its header.

    #Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags tcpsyn
        tcpack tcpwin icmptype icmpcode info path
    2019-05-06 10:12:33 DROP TCP 203.0.113.9 192.168.1.10 51000 3389 52 S 12345 0 64240 - - - RECEIVE

The `#Fields:` line is remembered in ctx.state, so columns follow whatever the header says;
without a header the default column order above is assumed. Times are local (`#Time Format:
Local`), i.e. in the reporter's zone. DROP is "block", ALLOW is "allow"; Windows XP / 2003
logged connections instead: OPEN (this computer opened one), OPEN-INBOUND (one was let in)
and CLOSE (one ended) are connections the firewall let through, "allow" (OPEN-INBOUND
"in"). INFO-EVENTS-LOST gives no event.
"""

from __future__ import annotations

from typing import cast

from probewatch.model import Action, ProbeEvent
from probewatch.parsers import timestamps, validate
from probewatch.parsers.base import ParseContext
from probewatch.parsers.patterns import lazy

DEFAULT_FIELDS = [
    "date",
    "time",
    "action",
    "protocol",
    "src-ip",
    "dst-ip",
    "src-port",
    "dst-port",
    "size",
    "tcpflags",
    "tcpsyn",
    "tcpack",
    "tcpwin",
    "icmptype",
    "icmpcode",
    "info",
    "path",
]
_ROW = lazy(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [A-Z-]+ ")
_ACTIONS: dict[str, Action] = {
    "DROP": "block", "ALLOW": "allow", "OPEN": "allow", "OPEN-INBOUND": "allow", "CLOSE": "allow",
}  # fmt: skip
_STATE_KEY = "windows_firewall.fields"


class WindowsFirewallParser:
    name = "windows-firewall"

    def can_parse(self, line: str) -> bool:
        if line.startswith("#") or _ROW.match(line) is not None:
            return True
        # Rows of a log whose #Fields: header puts the columns in another order.
        return line[:1].isdigit() and (
            " DROP " in line or " ALLOW " in line or " OPEN" in line or " CLOSE " in line
        )

    def parse(self, line: str, ctx: ParseContext) -> list[ProbeEvent] | None:
        if line.startswith("#"):
            return self._header(line, ctx)
        columns = cast("dict[str, int] | None", ctx.state.get(_STATE_KEY)) or _default_columns()
        values = line.split()
        if len(values) < 8:
            return None
        row = {name: values[i] for name, i in columns.items() if i < len(values)}
        action = _ACTIONS.get(row.get("action", ""))
        if action is None:
            return [] if row.get("action") == "INFO-EVENTS-LOST" else None
        time = timestamps.parse_iso(f"{row.get('date')} {row.get('time')}", ctx)
        flags = row.get("tcpflags")
        proto = row.get("protocol", "IP")
        if proto == "ICMP" and ":" in row.get("src-ip", ""):
            proto = "ICMPv6"  # the log names both ICMPs alike; an IPv6 address tells them apart
        return [
            validate.make_event(
                format=self.name,
                raw=line,
                time=time,
                src_ip=row.get("src-ip", ""),
                src_port=row.get("src-port"),
                dst_ip=row.get("dst-ip"),
                dst_port=row.get("dst-port"),
                proto_name=proto,
                action_word=action,
                flags=None if flags in (None, "-") else flags,
                # RECEIVE / SEND / FORWARD; XP's logs have no path, OPEN-INBOUND says it
                direction=validate.direction(row.get("path"))
                or ("in" if row.get("action") == "OPEN-INBOUND" else None),
            )
        ]

    def _header(self, line: str, ctx: ParseContext) -> list[ProbeEvent] | None:
        if line.startswith("#Fields:"):
            names = line[len("#Fields:") :].split()
            ctx.state[_STATE_KEY] = {name: i for i, name in enumerate(names)}
            return []
        if line.startswith(("#Version:", "#Software: Microsoft Windows Firewall", "#Time Format:")):
            return []
        return None


def _default_columns() -> dict[str, int]:
    return {name: i for i, name in enumerate(DEFAULT_FIELDS)}


PARSER = WindowsFirewallParser()
