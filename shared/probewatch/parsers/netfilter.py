"""Linux netfilter kernel log lines (the LOG / NFLOG target) in all their dresses.

    Jan  8 03:37:09 host kernel: [1234.5] iptables DROP_INPUT: IN=eth0 OUT= MAC=... SRC=81.2.69.143
        DST=172.16.54.114 LEN=52 ... PROTO=TCP SPT=17805 DPT=445 WINDOW=8192 RES=0x00 SYN URGP=0

Dresses: plain iptables/nftables, UFW `[UFW BLOCK]`, firewalld `FINAL_REJECT:` /
`filter_IN_public_DROP:`, Shorewall `Shorewall:net2fw:DROP:`, OpenWrt `DROP(src wan)` and fw4
`drop wan in:`, DD-WRT/Tomato/ASUS-Merlin `DROP IN=`, Synology, Proxmox pve-firewall
(`0 3 PVEFW-HOST-IN 20/Jun/2022:13:09:14 +0200 policy DROP: IN=...`), UniFi/EdgeOS
`[WAN_IN-default-D]` and `[WAN_LOCAL-D-2147483647] DESCR="..."`, IPv6 (`PROTO=ICMPv6`), and
`dmesg -T` lines (`[Sat Jan 10 16:16:20 2026] [UFW BLOCK] IN=...`, the time in brackets);
year-first times (`2026/01/10 16:16:20 gw kernel: ...`) as router pages show them.

The action comes from the log prefix (the text before `IN=`): EdgeOS/UniFi rule codes
(-D drop, -R reject, -A accept), else words like DROP/REJECT/BLOCK/DENY (block) or
ACCEPT/ALLOW/PASS (allow); none of them: "unknown". Only the outer packet counts: an ICMP
error quotes the offending packet in `[SRC=... ]`, which is ignored. The direction comes from
the interfaces: `IN=eth0 OUT=` arrived ("in"), `IN= OUT=eth0` was sent by the host itself
("out"), both named: routed through it ("forward").
"""

from __future__ import annotations

import re
from datetime import datetime

from probewatch.model import Action, ProbeEvent
from probewatch.parsers import timestamps, validate
from probewatch.parsers.base import LineRejected, ParseContext
from probewatch.parsers.validate import is_plain_ipv4

_FIELDS = re.compile(
    r"\bSRC=(?P<src>\S*) DST=(?P<dst>\S*) .*?\bPROTO=(?P<proto>\S+)"
    # DPT= alone: hand-trimmed lines (`PROTO=TCP DPT=22`) still name the port probed
    r"(?: SPT=(?P<spt>\S+)(?= DPT=))?(?: DPT=(?P<dpt>\S+))?"
)
_NO_PROTO = re.compile(
    r"\bSRC=(?P<src>\S*) DST=(?P<dst>\S+)(?P<proto>)(?P<spt>)(?P<dpt>)(?= |$)"
)
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"  # ASCII digits only, as ipaddress
_IPV4 = rf"{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}"
# The common case in one cheap pass, matched at `IN=`: both interfaces, an optional MAC=,
# canonical IPv4 addresses, TCP/UDP/ICMP, and for TCP the standard tail ending the line
# (`WINDOW=.. RES=.. <flags> URGP=0`), so that its flags are all _FLAG would find.
# Anything else (PHYSIN=, IPv6, padded addresses, MARK=...) goes through _FIELDS; the unit
# tests hold the two paths to the same result.
_FAST = re.compile(
    rf"IN=(?P<in>\S*) OUT=(?P<out>\S*) (?:MAC=\S* )?SRC=(?P<src>{_IPV4}) DST=(?P<dst>{_IPV4}) "
    r"(?:\S+ )*?PROTO=(?P<proto>TCP|UDP|ICMP)(?![^ ])(?: SPT=(?P<spt>[0-9]{1,5}) DPT=(?P<dpt>[0-9]{1,5}))?"
    r"(?: WINDOW=[0-9]+ RES=0x[0-9a-fA-F]+ (?P<flags>(?:[A-Z]{3} )*)URGP=[0-9]*$)?"
)
# The commonest line of all, whole, in one pass: a BSD syslog time (its minute and its
# second apart), a lower-case host, `kernel:`, the kernel's optional uptime stamp, the log
# prefix, then _FAST. Only this shape: its time is the minute's start plus the seconds
# (MinuteTimes), its action depends on the prefix alone, and the first IN= is _FAST's (no
# `=` before it). Any other line, or any doubt, goes the way of the other dresses.
_COMMON = re.compile(
    r"(?P<minute>[A-Z][a-z]{2} [ 1-3][0-9] [0-2][0-9]:[0-5][0-9]:)(?P<second>[0-5][0-9]) "
    r"[a-z][a-z0-9._-]*+ kernel:(?: *\[ *[0-9]+\.[0-9]+\])?(?P<prefix>[^=]*?)"
    # _FAST, narrowed where it costs: addresses as digits and dots (is_plain_ipv4 checks
    # them, from its cache), the fields before PROTO= as KEY=value words, possessive
    # matching; whatever this leaves out goes to _FAST as before.
    r"IN=(?P<in>\S*+) OUT=(?P<out>\S*+) (?:MAC=\S*+ )?SRC=(?P<src>[0-9.]{7,15}+) "
    r"DST=(?P<dst>[0-9.]{7,15}+) (?:[A-Z]++=\S*+ )*?PROTO=(?P<proto>TCP|UDP|ICMP)(?![^ ])"
    r"(?: SPT=(?P<spt>[0-9]{1,5}+) DPT=(?P<dpt>[0-9]{1,5}+))?"
    r"(?: WINDOW=[0-9]++ RES=0x[0-9a-fA-F]++ (?P<flags>(?:[A-Z]{3} )*+)URGP=[0-9]*+$)?"
)
# What the prefix says was done: an EdgeOS/UniFi rule code (-D drop, -R reject, -A accept),
# else a block word, else an allow word; also inside `DROP_INPUT`, `filter_IN_public_REJECT`.
_RULE_CODE = re.compile(r"\[[\w.]+(?:-[\w.]+)*?-([ADR])(?:-\d+)?\]")
_BLOCK_WORD = re.compile(
    r"(?<![A-Za-z])(?:DROP(?:PED)?|REJECT(?:ED)?|BLOCK(?:ED)?|DENY|DENIED|DISCARD(?:ED)?|BAN(?:NED)?)"
    r"(?![A-Za-z])",
    re.IGNORECASE,
)
_ALLOW_WORD = re.compile(
    r"(?<![A-Za-z])(?:ACCEPT(?:ED)?|ALLOW(?:ED)?|PASS(?:ED)?|PERMIT(?:TED)?)(?![A-Za-z])",
    re.IGNORECASE,
)
_FLAG = re.compile(r" (SYN|ACK|FIN|RST|PSH|URG|CWR|ECE)(?= |$)")
_UPTIME = re.compile(r" *\[ *\d+\.\d+\]")
_CODE_ACTION: dict[str, Action] = {"D": "block", "R": "block", "A": "allow"}


class NetfilterParser:
    name = "netfilter"

    def __init__(self) -> None:
        self._times = timestamps.HeaderTimes()
        self._actions: dict[str, Action] = {}
        # What follows the envelope time up to IN= ("gw kernel: [UFW BLOCK] ") -> action:
        # one dict lookup for the lines of a run, which share it.
        self._tails: dict[str, Action] = {}
        self._minutes = timestamps.MinuteTimes()
        self._flags: dict[str, str | None] = {}  # _FAST's flag text -> the normalised flags

    def can_parse(self, line: str) -> bool:
        return "SRC=" in line and "IN=" in line

    def parse(self, line: str, ctx: ParseContext) -> list[ProbeEvent] | None:
        common = _COMMON.match(line)
        if common is not None:
            events = self._common(line, common, ctx)
            if events is not None:
                return events
        start, time, action = self._envelope(line, ctx)
        fast = _fast_fields(line, start)
        if fast is not None:
            src, sport, dst, dport, proto, flags, direction = fast
            # Positional: this runs once per line of the most common format.
            return [
                ProbeEvent(
                    time, src, sport, dst, dport, proto, action, self.name, line, flags,
                    None, None, None, direction,
                )
            ]  # fmt: skip
        return self._slow(line, start, time, action)

    def _common(
        self, line: str, common: re.Match[str], ctx: ParseContext
    ) -> list[ProbeEvent] | None:
        """The events of a _COMMON line: what _envelope and _fast_fields give, in one go;
        None to leave the line to them (a date MinuteTimes cannot vouch for, a dress _FAST
        takes but the checks must see)."""
        minute, second, prefix, inside, outside, src, dst, proto, spt, dpt, flags = common.groups()
        start = self._minutes.minute_start(minute, ctx)
        if start is None or not (is_plain_ipv4(src) and is_plain_ipv4(dst)):
            return None
        if flags is None:
            if proto == "TCP":
                return None  # TCP flags not all where _FLAG would find them
            if spt is None and line.startswith((" DPT=", " SPT="), common.end("proto")):
                return None  # a port _FAST does not take: _FIELDS and make_event judge it
        elif not flags:
            flags = None
        if line.find("PROTO=", common.end("dst")) + 6 != common.start("proto"):
            return None  # an earlier PROTO= (in a word): _FIELDS takes the first
        action = self._actions.get(prefix)
        if action is None:
            action = self._action(prefix, 0, len(prefix))
        sport = dport = None
        if spt is not None:
            sport, dport = int(spt), int(dpt)
            if sport > 65535 or dport > 65535:
                raise LineRejected("bad-port")
            if proto == "ICMP":  # checked, then dropped, as make_event does
                sport = dport = None
        if flags is not None:
            names = self._flags.get(flags)
            if names is None:
                names = validate.tcp_flags(flags)
                if len(self._flags) < 1024:
                    self._flags[flags] = names
            flags = names
        return [
            ProbeEvent(
                start + timestamps.SECONDS[int(second)], src, sport, dst, dport, proto,
                action, self.name, line, flags, None, None, None,
                # as _direction(): IN= names where it arrived, OUT= where it left
                ("forward" if outside else "in") if inside else ("out" if outside else None),
            )
        ]  # fmt: skip

    def _envelope(self, line: str, ctx: ParseContext) -> tuple[int, datetime | None, Action]:
        """(where IN= is, the envelope time, the action the log prefix names)."""
        start = line.find("IN=")
        time, header_end = self._times.leading(line, ctx)
        begin = None  # where the log prefix starts, when not found by _prefix_start
        if time is None and line[1:2].isalpha() and line[:1] == "[":
            time, begin = _dmesg_time(line, start, ctx)
        elif time is None and line[:4].isdigit():
            time, header_end = _year_first_time(line, ctx)
        if time is None and "/" in line[:start]:
            time = timestamps.search_clf(line[:start], ctx)  # Proxmox pve-firewall
        tail = line[header_end:start] if header_end else "\0" + line[:start]
        action = self._tails.get(tail)
        if action is None:
            if begin is None:
                begin = _prefix_start(line, header_end, start)
            action = self._action(line, begin, start)
            if len(self._tails) < 4096:
                self._tails[tail] = action
        return start, time, action

    def _slow(
        self, line: str, start: int, time: datetime | None, action: Action
    ) -> list[ProbeEvent] | None:
        """Any dress _fast_fields does not take: _FIELDS, then make_event's checks."""
        fields = _FIELDS.search(line, start)
        if fields is None:
            # no PROTO= at all (a hand-trimmed `... SRC=a DST=b`): the protocol is not stated
            bare = _NO_PROTO.search(line, start) if "PROTO=" not in line else None
            if bare is None:
                return None
            fields = bare
        src, dst, proto, spt, dpt = fields.group("src", "dst", "proto", "spt", "dpt")
        proto = proto or "IP"
        flags = None
        if proto == "TCP":
            # Only the outer packet: an ICMP error quotes another packet in [ ... ].
            end = line.find("[", fields.end())
            found = _FLAG.findall(line, fields.end(), len(line) if end < 0 else end)
            flags = " ".join(found) if found else None
        return [
            validate.make_event(
                format=self.name,
                raw=line,
                time=time,
                src_ip=src,
                src_port=spt,
                dst_ip=dst,
                dst_port=dpt,
                proto_name=proto,
                action_word=action,
                flags=flags,
                direction=_direction(line, start),
            )
        ]

    def _action(self, line: str, begin: int, end: int) -> Action:
        """block/allow/unknown from the prefix line[begin:end]; cached, prefixes repeat."""
        prefix = line[begin:end]
        found = self._actions.get(prefix)
        if found is None:
            found = _action(line, begin, end)
            if len(self._actions) < 4096:
                self._actions[prefix] = found
        return found


_FastFields = tuple[str, int | None, str, int | None, str, str | None, str | None]


def _fast_fields(line: str, start: int) -> _FastFields | None:
    """(src, sport, dst, dport, proto, flags, direction) of the common dress (_FAST) at
    `start` (IN=), checked as make_event would; None for any other dress.
    LineRejected("bad-port") for a port above 65535."""
    fast = _FAST.match(line, start)
    # _FIELDS takes the first PROTO= after DST=; so must the fast path
    if fast is None or line.find("PROTO=", fast.end("dst")) + 6 != fast.start("proto"):
        return None
    inside, outside, src, dst, proto, spt, dpt, flags = fast.groups()
    if flags is None and proto == "TCP":
        return None  # TCP flags not all where _FLAG would find them: the full path
    if spt is None and line.startswith((" DPT=", " SPT="), fast.end("proto")):
        return None  # DPT= without SPT=, or a port not in digits: _FIELDS takes it
    sport = dport = None
    if spt is not None:
        sport, dport = int(spt), int(dpt)
        if sport > 65535 or dport > 65535:
            raise LineRejected("bad-port")
        if proto == "ICMP":  # checked, then dropped, as make_event does
            sport = dport = None
    return (
        src, sport, dst, dport, proto,
        validate.tcp_flags(flags) if flags else None,
        # as _direction(): IN= names where it arrived, OUT= where it left
        ("forward" if outside else "in") if inside else ("out" if outside else None),
    )  # fmt: skip


def _direction(line: str, in_at: int) -> str | None:
    """From the interfaces: `IN=eth0 OUT=` arrived, `IN= OUT=eth0` was sent by this host,
    both named: routed through it (forward). An empty name is followed by a space."""
    inbound = line[in_at + 3 : in_at + 4] not in (" ", "")
    out_at = line.find("OUT=", in_at)
    outbound = out_at >= 0 and line[out_at + 4 : out_at + 5] not in (" ", "")
    if inbound:
        return "forward" if outbound else "in"
    return "out" if outbound else None


# Router web pages and some relays write the year first: `2026/01/10 16:16:20`,
# `2026 Jan 10 16:16:20` (then a host name, as after a syslog time).
_YEAR_FIRST = re.compile(
    r"(?P<y>\d{4})(?:/(?P<mo>\d\d)/| (?P<name>[A-Z][a-z]{2}) +)(?P<d>\d{1,2}) "
    r"(?P<h>\d\d):(?P<mi>\d\d):(?P<s>\d\d)(?= )"
)


def _year_first_time(line: str, ctx: ParseContext) -> tuple[datetime | None, int]:
    """(time, where it ends) of a year-first envelope time; (None, 0) when there is none."""
    match = _YEAR_FIRST.match(line)
    if match is None:
        return None, 0
    g = match.group
    month = g("mo") or g("name")
    time = timestamps.build(ctx, month, g("d"), g("h"), g("mi"), g("s"), g("y"))
    if time is None:
        raise LineRejected("bad-time")
    return time, match.end()


def _dmesg_time(line: str, in_at: int, ctx: ParseContext) -> tuple[datetime | None, int | None]:
    """`dmesg -T`'s `[Sat Jan 10 16:16:20 2026] [UFW BLOCK] IN=...`: (the time, where the log
    prefix starts after it); (None, None) for any other bracket."""
    close = line.find("]", 1, in_at)
    if close < 0:
        return None, None
    time = timestamps.leading_time(line[1:close] + " ", ctx)
    return (time, close + 1) if time is not None else (None, None)


def _prefix_start(line: str, header_end: int, in_at: int) -> int:
    """Where the log prefix starts: after `kernel:` and the kernel's uptime stamp, else after
    the host name that follows a syslog time (a host named "block1" is no action)."""
    kernel = line.find("kernel:", header_end, in_at)
    if kernel >= 0:
        begin = kernel + 7
        uptime = _UPTIME.match(line, begin)  # "[12345.678]": drop it, so prefixes repeat
        return uptime.end() if uptime is not None else begin
    if header_end:
        space = line.find(" ", header_end + 1, in_at)
        return space if space >= 0 else header_end
    return 0


def _action(line: str, begin: int, end: int) -> Action:
    """block/allow/unknown from the prefix line[begin:end]: an EdgeOS/UniFi rule code first,
    then block words, then allow words."""
    code = _RULE_CODE.search(line, begin, end)
    if code is not None:
        return _CODE_ACTION[code.group(1)]
    if _BLOCK_WORD.search(line, begin, end):
        return "block"
    if _ALLOW_WORD.search(line, begin, end):
        return "allow"
    return "unknown"


PARSER = NetfilterParser()
