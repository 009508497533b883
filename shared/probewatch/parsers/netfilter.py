"""Linux netfilter kernel log lines (the LOG / NFLOG target) in all their dresses.

    Jan  8 03:37:09 host kernel: [1234.5] iptables DROP_INPUT: IN=eth0 OUT= MAC=... SRC=81.2.69.143
        DST=172.16.54.114 LEN=52 ... PROTO=TCP SPT=17805 DPT=445 WINDOW=8192 RES=0x00 SYN URGP=0

Dresses: plain iptables/nftables, UFW `[UFW BLOCK]`, firewalld `FINAL_REJECT:` /
`filter_IN_public_DROP:`, Shorewall `Shorewall:net2fw:DROP:`, OpenWrt `DROP(src wan)` and fw4
`drop wan in:`, DD-WRT/Tomato/ASUS-Merlin `DROP IN=`, Synology, Proxmox pve-firewall
(`0 3 PVEFW-HOST-IN 20/Jun/2022:13:09:14 +0200 policy DROP: IN=...`), UniFi/EdgeOS
`[WAN_IN-default-D]` and `[WAN_LOCAL-D-2147483647] DESCR="..."`, IPv6 (`PROTO=ICMPv6`).

The action comes from the log prefix (the text before `IN=`): EdgeOS/UniFi rule codes
(-D drop, -R reject, -A accept), else words like DROP/REJECT/BLOCK/DENY (block) or
ACCEPT/ALLOW/PASS (allow); none of them: "unknown". Only the outer packet counts: an ICMP
error quotes the offending packet in `[SRC=... ]`, which is ignored.
"""

from __future__ import annotations

import re

from probewatch.model import Action, ProbeEvent
from probewatch.parsers import timestamps, validate
from probewatch.parsers.base import ParseContext

_FIELDS = re.compile(
    r"\bSRC=(?P<src>\S*) DST=(?P<dst>\S*) .*?\bPROTO=(?P<proto>\S+)"
    r"(?: SPT=(?P<spt>\S+) DPT=(?P<dpt>\S+))?"
)
# UniFi `[WAN_LOCAL-D-2147483647]`, EdgeOS `[WAN_IN-default-D]` / `[SOMETHING-1234-A]`.
_RULE_CODE = re.compile(r"\[[\w.]+(?:-[\w.]+)*?-([ADR])(?:-\d+)?\]")
_WORDS = re.compile(r"[A-Za-z]+")
_BLOCK = frozenset(
    "DROP DROPPED REJECT REJECTED BLOCK BLOCKED DENY DENIED DISCARD DISCARDED BAN BANNED".split()
)
_ALLOW = frozenset("ACCEPT ACCEPTED ALLOW ALLOWED PASS PASSED PERMIT PERMITTED".split())
_FLAGS = frozenset("SYN ACK FIN RST PSH URG CWR ECE".split())
_CODE_ACTION: dict[str, Action] = {"D": "block", "R": "block", "A": "allow"}


class NetfilterParser:
    name = "netfilter"

    def __init__(self) -> None:
        self._times = timestamps.HeaderTimes()
        self._prefix_actions: dict[str, Action] = {}

    def can_parse(self, line: str) -> bool:
        return "SRC=" in line and "IN=" in line

    def parse(self, line: str, ctx: ParseContext) -> list[ProbeEvent] | None:
        start = line.find("IN=")
        fields = _FIELDS.search(line, start)
        if fields is None:
            return None
        time, header_end = self._times.leading(line, ctx)
        if time is None and "/" in line[:start]:
            time = timestamps.search_clf(line[:start], ctx)  # Proxmox pve-firewall
        proto = fields.group("proto")
        flags = None
        if proto == "TCP":
            tail = line[fields.end() :]
            bracket = tail.find("[")
            if bracket >= 0:
                tail = tail[:bracket]
            flags = [word for word in tail.split() if word in _FLAGS]
        return [
            validate.make_event(
                format=self.name,
                raw=line,
                time=time,
                src_ip=fields.group("src"),
                src_port=fields.group("spt"),
                dst_ip=fields.group("dst"),
                dst_port=fields.group("dpt"),
                proto_name=proto,
                action_word=self._action(_prefix(line[header_end:start], time is not None)),
                flags=flags,
            )
        ]

    def _action(self, prefix: str) -> Action:
        """block/allow/unknown from the log prefix; cached, since prefixes repeat."""
        known = self._prefix_actions.get(prefix)
        if known is not None:
            return known
        code = _RULE_CODE.search(prefix)
        if code is not None:
            found = _CODE_ACTION[code.group(1)]
        else:
            words = {w.upper() for w in _WORDS.findall(prefix)}
            found = "block" if words & _BLOCK else "allow" if words & _ALLOW else "unknown"
        if len(self._prefix_actions) < 4096:
            self._prefix_actions[prefix] = found
        return found


def _prefix(before_in: str, has_header: bool) -> str:
    """The log prefix alone: without `host kernel:` (a host named "block1" is no action)."""
    kernel = before_in.find("kernel:")
    if kernel >= 0:
        return before_in[kernel + 7 :]
    if has_header:
        parts = before_in.split(None, 1)
        return parts[1] if len(parts) > 1 else ""
    return before_in


PARSER = NetfilterParser()
