"""MikroTik RouterOS firewall log lines (the `log=yes` action, with an optional log prefix).

    2023-03-18T20:36:59.594792+01:00 10.120.127.1 firewall,info drop-tcp input:
        in:ether1-WAN out:(unknown 0), connection-state:new src-mac 00:17:10:88:bc:02,
        proto TCP (SYN), 36.97.161.219:59388->81.82.202.145:23, len 40
    ... forward: in:WAN out:LAN, proto UDP, [2001:db8::1]:17850->[2001:db8::2]:51413, len 112
    ... input: in:ether1 out:(unknown 0), proto ICMP (type 8, code 0), 203.0.113.9->198.51.100.2, len 84

The action comes from the log prefix words before the chain (drop/reject/block/deny ->
"block", accept/allow -> "allow", none -> "unknown"). `connection-state:established` is
evidence of a completed handshake. Times: the syslog envelope, else the router console's own
`jan/14/2026 10:00:00` / `jan/14 10:00:00` / `10:00:00` (today: timestamps.time_of_day).
"""

from __future__ import annotations

from datetime import datetime

from probewatch.model import Action, ProbeEvent
from probewatch.parsers import timestamps, validate
from probewatch.parsers.base import ParseContext
from probewatch.parsers.patterns import lazy

_LINE = lazy(
    r"(?P<prefix>[^:]*?)\b(?P<chain>[\w-]+): in:(?:\(unknown \d+\)|\S*) out:[^,]*,.*?\bproto (?P<proto>\w+)"
    r"(?: \((?P<info>[^)]*)\))?, (?P<src>\[[0-9A-Fa-f:.]+\]|[\d.]+)(?::(?P<sport>\d+))?->"
    r"(?P<dst>\[[0-9A-Fa-f:.]+\]|[\d.]+)(?::(?P<dport>\d+))?"
)
# The chain says which way: input (to the router), output (from it), forward (through it).
_CHAINS = {"input": "in", "output": "out", "forward": "forward"}
_WORDS = lazy(r"[a-z]+")
_BLOCK = frozenset(
    ["drop", "dropped", "reject", "rejected", "block", "blocked", "deny", "denied", "tarpit"]
    + ["ban", "banned"]  # as netfilter's prefixes: "BAN INPUT 80 input: ..."
)
_ALLOW = frozenset(["accept", "accepted", "allow", "allowed", "pass", "permit"])


class MikrotikParser:
    name = "mikrotik"

    def __init__(self) -> None:
        self._times = timestamps.HeaderTimes()

    def can_parse(self, line: str) -> bool:
        return " in:" in line and " out:" in line and "proto " in line

    def parse(self, line: str, ctx: ParseContext) -> list[ProbeEvent] | None:
        time, end = self._times.leading(line, ctx)
        if time is None:
            time, end = _console_time(line, ctx)
        match = _LINE.search(line, end)
        if match is None:
            return None
        g = match.group
        proto = g("proto")
        flags = g("info") if proto.upper() == "TCP" else None
        return [
            validate.make_event(
                format=self.name,
                raw=line,
                time=time,
                src_ip=g("src"),
                src_port=g("sport"),
                dst_ip=g("dst"),
                dst_port=g("dport"),
                proto_name=proto,
                action_word=_action(g("prefix")),
                flags=flags,
                evidence="established" if "connection-state:established" in line else None,
                direction=_CHAINS.get(g("chain")),
            )
        ]


# `/log print` on the router: "jan/14/2026 10:00:00", "jan/14 10:00:00" or, for today, "10:00:00".
_CONSOLE = lazy(
    r"\s*(?:(?P<mo>[a-z]{3})/(?P<d>\d\d)(?:/(?P<y>\d{4}))? )?(?P<h>\d\d):(?P<mi>\d\d):(?P<s>\d\d) "
)


def _console_time(line: str, ctx: ParseContext) -> tuple[datetime | None, int]:
    match = _CONSOLE.match(line)
    if match is None:
        return None, 0
    g = match.group
    if g("mo") is None:
        return timestamps.time_of_day(ctx, g("h"), g("mi"), g("s")), match.end()
    return timestamps.build(ctx, g("mo"), g("d"), g("h"), g("mi"), g("s"), g("y")), match.end()


def _action(prefix: str) -> Action:
    # The topics ("firewall,info") come first; the host name before them is not a prefix.
    topics = prefix.find("firewall,")
    words = set(_WORDS.findall(prefix[topics + 9 :].lower() if topics >= 0 else prefix.lower()))
    return "block" if words & _BLOCK else "allow" if words & _ALLOW else "unknown"


PARSER = MikrotikParser()
