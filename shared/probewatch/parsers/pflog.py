"""OpenBSD / FreeBSD pf log as tcpdump prints it (`tcpdump -n -e -ttt -r /var/log/pflog`,
or pflogd lines forwarded through syslog as `pf:`).

    Nov 26 10:43:26.123456 rule 0/(match) block in on em0: 192.0.2.7.51000 > 198.51.100.2.22:
        S 123:123(0) win 1024 <mss 1460> (DF)
    Jan 10 12:00:00 fw pf: 00:00:01.123 rule 53/0(match): block in on em0: 2001:db8::7.546 >
        2001:db8::1.547: UDP, length 32
    ... rule 2/0(match): pass in on em0: 192.0.2.7.1234 > 198.51.100.2.80: Flags [S], seq 0, ...

tcpdump writes `address.port`; TCP always shows its flags (`Flags [S]`, old `S 1:1(0)`, also
when -vv puts `[tcp sum ok]` after them or the snap length cut the header: `S [|tcp]`), so a
line with ports and no flags is UDP. With `-v`, pf's header (`(tos 0x0, ttl 64, ... proto TCP (6), ...)`) may end the line and
the packet follow on the next line (`pf:` through syslog, bare from tcpdump); the header is
kept in ctx.state until then. `tcpdump -tt` times (seconds since 1970) are read too.
"""

from __future__ import annotations

from datetime import datetime

from probewatch.model import Action, ProbeEvent
from probewatch.parsers import timestamps, validate
from probewatch.parsers.base import LineRejected, ParseContext
from probewatch.parsers.patterns import lazy

_RULE = lazy(
    r"rule [\d./-]*(?:\([\w-]+\))?:? ?(?:\([\w-]+\):? )?(?:\[[^\]]*\] )?"
    r"(?P<action>block|pass|match|scrub|nat|rdr|binat) (?P<dir>in|out) on (?P<iface>[\w.-]+):"
)
_PACKET = lazy(r"(?:^|[\s)])(?P<src>[0-9A-Fa-f:.]+) > (?P<dst>[0-9A-Fa-f:.]+): (?P<rest>.*)")
# old tcpdump: `S 123:123(0) win`, `P 7408:7677(269) ack 1773 win`, `. ack 1 win`, and with
# -vv or a short snap length `S [tcp sum ok] 123:123(0)`, `S [bad tcp cksum 1!] ...`, `S [|tcp]`
_OLD_FLAGS = lazy(
    r"([SFRPUEW.]+) (?:\[(?:tcp sum ok|bad tcp cksum [^\]]*)\] +)?"
    r"(?:\d+:\d+(?:\(\d+\)(?: (ack) \d+)?)?|(ack) \d+|\[\|tcp\]|win \d)"
)
# new tcpdump: `Flags [S]`, `Flags [S.]`, and `Flags [none]` for a NULL scan (no flags set)
_NEW_FLAGS = lazy(r"Flags \[([SFRPUEW.]+|none)\]")
_HEADER_PROTO = lazy(r"proto (\w+) \(\d+\)")
_ACTIONS: dict[str, Action] = {"block": "block", "pass": "allow"}
_STATE_KEY = "pflog.pending"


class PflogParser:
    name = "pflog"

    def __init__(self) -> None:
        self._times = timestamps.HeaderTimes()

    def can_parse(self, line: str) -> bool:
        # the packet line after a -v header: `pf:` from syslog, else (raw tcpdump) bare
        return " on " in line and "rule " in line or " > " in line

    def parse(self, line: str, ctx: ParseContext) -> list[ProbeEvent] | None:
        rule = _RULE.search(line)
        time, _end = self._times.leading(line, ctx)
        if rule is None:
            pending = ctx.state.get(_STATE_KEY)
            if pending is None:
                return None
            # through syslog: `... pf:     192.0.2.7.53742 > ...`; raw tcpdump: the address first
            packet = _PACKET.search(line) if "pf:" in line else _PACKET.match(line)
            if packet is None:
                return None
            del ctx.state[_STATE_KEY]
            action, direction, header_proto, time = pending  # type: ignore[misc]
        else:
            action = _ACTIONS.get(rule.group("action"), "unknown")
            direction = validate.direction(rule.group("dir"))
            time = _packet_time(line, rule.start(), ctx) or time
            named = _HEADER_PROTO.search(line, rule.end())
            header_proto = named.group(1) if named else None
            packet = _PACKET.search(line, rule.end())
            if packet is None:  # -v: the packet follows on the next line
                ctx.state[_STATE_KEY] = (action, direction, header_proto, time)
                return []
        if packet is None:
            return None
        return [self._event(line, time, action, direction, header_proto, packet)]

    def _event(self, line, time, action, direction, header_proto, packet) -> ProbeEvent:  # type: ignore[no-untyped-def]
        src, sport = split_address_port(packet.group("src"))
        dst, dport = split_address_port(packet.group("dst"))
        rest = packet.group("rest")
        flags_match = _NEW_FLAGS.match(rest) or _OLD_FLAGS.match(rest)
        flags = None
        word = rest.split(None, 1)[0].rstrip(",").lower() if rest else ""
        if flags_match is not None:
            flags = flags_match.group(1).replace(".", "A").replace("none", "")
            if flags_match.lastindex and flags_match.lastindex > 1:  # old style ` ack N`
                flags += "" if "A" in flags else "A"
            proto = "TCP"
        elif word in ("tcp", "[|tcp]"):  # `tcp 60` (payload length), `[|tcp]` (truncated)
            proto = "TCP"
        elif header_proto:
            proto = header_proto
        elif rest.startswith("ICMP6") or rest.startswith("icmp6") or "ICMP6" in rest[:20]:
            proto = "ICMPV6"
        elif rest.upper().startswith("ICMP"):
            proto = "ICMP"
        elif sport is not None or dport is not None:
            proto = "UDP"
        else:
            # `igmp-2 [v2]`, `ip-proto-47 24`: the name without its version; a number as is
            proto = word.removeprefix("ip-proto-").split("-")[0] if word else "IP"
        return validate.make_event(
            format=self.name,
            raw=line,
            time=time,
            src_ip=src,
            src_port=sport,
            dst_ip=dst,
            dst_port=dport,
            proto_name=proto,
            action_word=action,
            flags=flags,
            direction=direction,
        )


def _packet_time(line: str, rule_at: int, ctx: ParseContext) -> datetime | None:
    """pflogd's own `Mar 30 15:32:33.483712` after a syslog relay's `pf: `: the packet's
    time, not when the relay wrote it; or tcpdump -tt's epoch seconds; else None."""
    at = line.find("pf: ", 0, rule_at)
    if at < 0 or not line[at + 4 : at + 5].isupper():
        # `tcpdump -tt`: seconds since 1970 (`1709629771.126272 rule 0/0(match): ...`)
        first = line[:rule_at].split(None, 1)
        if first and first[0][:10].isdigit() and first[0][10:11] in (".", ""):
            return timestamps.parse_epoch(first[0])
        return None
    return timestamps.parse_bsd(line[at + 4 : rule_at], ctx)


def split_address_port(token: str) -> tuple[str, str | None]:
    """tcpdump's `192.0.2.7.51000` / `2001:db8::7.546` / `192.0.2.7` -> (address, port)."""
    if ":" in token:  # IPv6: a port follows the last dot, if there is a dot at all
        address, dot, port = token.rpartition(".")
        return (address, port) if dot else (token, None)
    parts = token.split(".")
    if len(parts) == 5:
        return ".".join(parts[:4]), parts[4]
    if len(parts) == 4:
        return token, None
    raise LineRejected("bad-address")


PARSER = PflogParser()
