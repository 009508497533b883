"""SonicWall SonicOS key=value syslog.

    id=firewall sn=0017C5000000 time="2022-04-27 11:03:13" fw=198.51.100.1 pri=1 c=32 m=83
        msg="Probable port scan detected" n=7652 src=203.0.113.9:443:X1
        dst=198.51.100.1:45071:X1 proto=tcp/45071
        note="TCP scanned port list, 20566, 41385, 45071"

Addresses are `ip:port:interface` (port or interface may be empty); IPv6 ones are written
`srcV6=addr src=:port:interface`. `time` is the device's
local time (the reporter's zone); without it the syslog envelope counts. The protocol is
the part of `proto=tcp/https` before the slash (old firmware leaves proto= out and names it
in msg: "UDP packet dropped").

Which lines are traffic: ones naming a source, a destination and a protocol or destination
port (protocol "IP" when only the port is given: not guessed from the port). The action is
`fw_action` (drop / forward) when present, else read from `msg`:
dropped/denied/blocked/discarded -> block; "Connection Opened/Closed" and other allowed
traffic -> allow; detections (port scan, SYN flood) -> unknown, as the line does not say
what happened to the packets.
A port-scan note lists the scanned ports: each becomes its own event after the main one.

The device's own housekeeping lines still name the addresses involved, so they are events
too (kept as evidence), but never probes and never "unknown", which downstream may count
as one:
  * administration (GUI/configuration sessions, administrator logins and logouts) and the
    device's own traffic (NTP, WAN load-balancer probing and failover): allow, unless the
    line says the source was denied/blocked/dropped ("Administrator login denied"): block.
    A "failure" there ("Probing failure", "Failed on updating time") is the device's own;
  * "The cache is full; ... some will be dropped": allow. It reports the device's load, not
    a verdict on the connection it names, and an overloaded firewall is no evidence against
    whoever connected at that moment.
"NAT Mapping" and "SSL VPN Traffic" lines describe a connection without a verdict: action
unknown, evidence "no-verdict" (never reported).
VPN negotiation messages ("IKE Initiator: Start Quick Mode", "Received notify: ...") name
the two gateways, not traffic through the firewall: no events.
Such a line needs only a source and a destination (a failover names two interface
addresses and no port). Lines without both (a lone src=, prose) give no events.
"""

from __future__ import annotations

import re

from probewatch.model import Action, ProbeEvent
from probewatch.parsers import timestamps, validate
from probewatch.parsers.base import ParseContext
from probewatch.parsers.kv import parse_kv
from probewatch.parsers.patterns import lazy
from probewatch.parsers.vendor_helpers import NO_VERDICT, colon_endpoint

# The device's own housekeeping: its management (sessions, logins), its own traffic and state.
_HOUSEKEEPING = lazy(
    r"administrat|\blog(?:ged)? ?(?:in|out)\b|session (?:started|ended)|password"
    r"|\bNTP\b|\bWLB\b|Probing|\bDHCP\b|license|firmware",
    re.IGNORECASE,
)
_CACHE_FULL = lazy(r"\bcache is full", re.IGNORECASE)
_REFUSED = lazy(r"denied|\bdeny\b|blocked|dropped|discarded|rejected", re.IGNORECASE)
_BLOCK = lazy(r"drop|denied|\bdeny|block|discard|reject|not allowed", re.IGNORECASE)
_DETECT = lazy(r"detected|flood|scan|attack|spoof", re.IGNORECASE)
_ALLOWED = lazy(r"Connection (?:Opened|Closed)|allowed|accepted|permitted", re.IGNORECASE)
_MSG_PROTO = lazy(r"^(TCP|UDP|ICMP|ICMPv6)\b")
# Lines that only describe a connection (its address translation, VPN traffic accounting)
_NO_VERDICT_MSG = lazy(r"^(?:NAT Mapping|SSL VPN Traffic)\b", re.IGNORECASE)
_VPN_NEGOTIATION = lazy(r"^(?:IKE|Received notify|IPsec|IPSec)\b")
_SCANNED = lazy(r"scanned port list((?:,\s*\d+)+)")


def _endpoint(fields: dict[str, str], key: str) -> tuple[str, str | None]:
    """IPv4 "ip:port:iface", or IPv6 written as `srcV6=addr src=:port:iface`."""
    v6 = fields.get(f"{key}V6")
    if v6:
        port = fields[key].lstrip(":").split(":", 1)[0] if fields[key].startswith(":") else ""
        return v6, (port or None)
    return colon_endpoint(fields[key])


def _action(message: str) -> Action:
    if _BLOCK.search(message):
        return "block"
    if _DETECT.search(message):
        return "unknown"
    if _ALLOWED.search(message):
        return "allow"
    return "unknown"


def _housekeeping_action(message: str) -> Action | None:
    """The action of a housekeeping line (never "unknown"), None for any other line."""
    if _CACHE_FULL.search(message):
        return "allow"  # "some will be dropped": the device's load, not a verdict on this one
    if _HOUSEKEEPING.search(message):
        return "block" if _REFUSED.search(message) else "allow"
    return None


class SonicwallParser:
    name = "sonicwall"

    def __init__(self) -> None:
        self._times = timestamps.HeaderTimes()

    def can_parse(self, line: str) -> bool:
        # `id=` is the device's name: "firewall" by default, "NSA3600" or any other when set
        if " src=" not in line:
            return False
        return "id=firewall" in line or (" sn=" in line and " fw=" in line and " m=" in line)

    def parse(self, line: str, ctx: ParseContext) -> list[ProbeEvent] | None:
        fields = parse_kv(line)
        if "src" not in fields or "dst" not in fields:
            return []
        message = fields.get("msg", "")
        if "proto" not in fields and _VPN_NEGOTIATION.match(message):
            return []
        housekeeping = _housekeeping_action(message)
        proto_text = fields.get("proto", "")
        proto = proto_text.split("/", 1)[0]
        if not proto:  # old firmware: "UDP packet dropped" without proto=
            named = _MSG_PROTO.match(message)
            proto = named.group(1) if named else ""
        src, sport = _endpoint(fields, "src")
        dst, dport = _endpoint(fields, "dst")
        if dport is None:  # `proto=tcp/4444` carries the port when dst does not
            service = proto_text.partition("/")[2]
            dport = service if service.isdigit() else None
        if not proto:
            if dport is None and housekeeping is None:
                return []
            proto = "IP"  # transport not stated: not guessed from the port
        time = None
        if "time" in fields:
            time = timestamps.parse_iso(fields["time"], ctx)
        if time is None:
            time = self._times.leading(line, ctx)[0]
        action = housekeeping or _action(message)
        fw_action = fields.get("fw_action", "").lower()  # SonicOS 6.5+ says it outright
        if fw_action in ("drop", "deny", "reject", "block"):
            action = "block"
        elif fw_action == "forward":
            action = "allow"
        evidence = None
        if action == "unknown" and _NO_VERDICT_MSG.match(message):
            evidence = NO_VERDICT

        def event(port: str | None, source_port: str | None) -> ProbeEvent:
            return validate.make_event(
                format=self.name, raw=line, time=time, src_ip=src, src_port=source_port,
                dst_ip=dst, dst_port=port, proto_name=proto, action_word=action,
                evidence=evidence,
            )  # fmt: skip

        events = [event(dport, sport)]
        scanned = _SCANNED.search(fields.get("note", ""))
        if scanned:
            first = events[0].dst_port
            ports = [p.strip() for p in scanned.group(1).split(",") if p.strip()]
            events.extend(event(p, None) for p in dict.fromkeys(ports) if int(p) != first)
        return events


PARSER = SonicwallParser()
