"""Cisco ASA / PIX / Firepower (FTD) syslog messages about denied or permitted traffic.

    Apr 17 2020 14:16:20 fw : %ASA-4-106023: Deny udp src outside:203.0.113.9/57621
        dst inside:10.1.1.3/53 by access-group "outside_acl" [0x0, 0x0]

Handled message ids (everything else, e.g. 111008 config or 605005 admin login, gives no events):
  * deny: 106001, 106002, 106006, 106007, 106010, 106011-106022 ("Deny ... from A to B"), 106014,
    106023, 313001/313004/313008 (ICMP), 313009, 710003/710005/710006, 106100-106103
    (access-list permitted/denied), 400xxx IDS signatures (evidence "ids");
  * allowed connections: 302013-302016, 302020/302021 built/teardown (action "allow",
    evidence "established" for TCP unless the teardown says the handshake never finished);
  * 434004 (SFR bypass: "unknown");
  * other drops naming "<proto> ... from A to B": 108004 (ESMTP), 338xxx dynamic filter
    (dropped: block, monitored: unknown), 401004 (shunned), 410001 (DNS), 418001
    (management-only), 419002 (duplicate SYN), 420002 (IPS), 421001, 434002 (SFR),
    500003/500004 (bad headers), 710004 (connection limit);
  * FTD 430001-430003 (cisco_ftd.py); NAT, SSL, URL, fragment and ICMP-error messages, and
    bodies pasted without their tag (cisco_asa_more.py). Port names read as numbers
    (cisco_ports.py). `message repeated N times: [...]` is unwrapped. Times come from the
    syslog envelope (the ASA writes "Apr 17 2020 14:16:20" with the year, or none at all).
"""

from __future__ import annotations

import re

from probewatch.model import Action, ProbeEvent
from probewatch.parsers import cisco_asa_more, cisco_ftd, timestamps, validate
from probewatch.parsers.base import ParseContext
from probewatch.parsers.cisco_ports import endpoint
from probewatch.parsers.patterns import lazy
from probewatch.parsers.vendor_helpers import is_ip, verdict, zone_direction

# "%ASA-4-106023:", the "%ASA|PIX-4-106023:" of Cisco's guides, or the tag without its "%".
_TAG = lazy(r"%(?:ASA|PIX|FTD|FWSM)(?:\|PIX)?-(?:[\w]+-)?\d-(?P<id>\d{6})\s*:?\s*")
_UNTAGGED_STARTS = ("Deny ", "Denied ICMP", "Inbound ", "Outbound ", "access-list ")
_REPEATED = lazy(r"message repeated \d+ times:\s*\[\s*(?P<inner>.*?)\s*\]?\s*$")

# An endpoint token: "iface:addr/port", stops before "(" (mapped address, user) and spaces.
_EP = r"[^\s()]+"
_PARENS = r"(?:\s*\([^)]*\))*"

_DENY_SRC_DST = lazy(
    rf"^Deny (?:(?P<way>inbound|outbound) )?(?:\(No xlate\) )?(?:protocol )?(?P<proto>[\w-]+) "
    rf"src (?P<src>{_EP}){_PARENS}\s+"
    rf"dst (?P<dst>{_EP})"
)
_DENY_FROM_TO = lazy(
    rf"^Deny (?:(?P<way>inbound|outbound) )?(?P<proto>[\w-]+)\b.*?\bfrom \(?(?P<src>[^\s(),]+?)\)?"
    rf"{_PARENS},? to (?P<dst>[^\s(),]+)"
)
_INBOUND_DENIED = lazy(
    rf"^(?P<way>Inbound|Outbound) (?P<proto>\w+) connection denied from (?P<src>{_EP}) "
    rf"to (?P<dst>{_EP})"
)
_OUTBOUND_LIST = lazy(
    r"^(?P<proto>\w+) [Cc]onnection denied by outbound list \S+ src (?P<src>\S+) (?P<sp>\d+) "
    r"dest (?P<dst>\S+) (?P<dp>\d+)"
)
# Searched for its literal start ("flags "): a leading \b would make the engine try every
# position; _flags() checks the word boundary itself.
_FLAGS = lazy(r"flags ((?:[A-Z]{3}\s*)+)")
_ICMP_DENIED = lazy(
    r"^Denied (?P<proto>ICMP|IPv6-ICMP|ICMPv6) type=\d+\s*,\s*(?:code=\d+\s*,?\s*)?"
    r"from (?:laddr )?(?P<src>[^\s,]+)(?: on interface \S+(?: to (?P<dst>[^\s:,]+))?)?"
)
_ICMP_INVALID = re.compile(  # eager: compared with `match.re is`
    rf"^Denied invalid ICMP code \d+, for (?P<src>{_EP}){_PARENS} to (?P<dst>{_EP})"
)
_ACL_DENIED = lazy(
    rf"^(?P<proto>\w+) (?P<verdict>access denied by ACL|request discarded|access permitted) "
    rf"from\s+(?P<src>{_EP}) to (?P<dst>{_EP})"
)
_ACCESS_LIST = lazy(
    r"^access-list \S+ (?P<verdict>permitted|denied|est-allowed) (?P<proto>[\w-]+) "
    r"(?:for user (?:'[^']*'|\S+) )?"
    r"(?P<si>[^\s/]+)/(?P<src>[^\s(]+)\((?P<sport>\d*)\)(?:\([^)]*\))*\s*->\s*"
    r"(?P<di>[^\s/]+)/(?P<dst>[^\s(]+)\((?P<dport>\d*)\)"
)
_BUILT = lazy(
    rf"^Built (?P<dir>inbound|outbound) (?P<proto>TCP|UDP|SCTP) connection \d+ for "
    rf"(?P<a>{_EP}){_PARENS} to (?P<b>{_EP})"
)
_TEARDOWN = lazy(
    rf"^Teardown (?P<proto>TCP|UDP|SCTP) connection \d+ for (?P<a>{_EP}){_PARENS} "
    rf"to (?P<b>{_EP})"
)
_ICMP_CONN = lazy(
    r"^(?P<what>Built (?P<dir>inbound|outbound)|Teardown) (?P<proto>ICMP|ICMPv6) connection "
    r"(?:\d+ )?for faddr (?P<f>[^\s(]+?)(?:/\d+)?(?:\([^)]*\))? gaddr \S+ "
    r"laddr (?P<l>[^\s(]+?)(?:/\d+)?(?:\s|\(|$)"
)
_BYPASS = lazy(rf"process (?P<proto>\w+) flow from (?P<src>{_EP}) to (?P<dst>{_EP})")
# "... <proto> ... from [iface:]A/p [(mapped)] to [iface:]B/p" in the _DROPS messages below.
_DROP_FROM_TO = lazy(
    r"\b(?P<proto>TCP|UDP|ICMP|SCTP|GRE|ESP)\b.*?\bfrom (?P<src>[^\s(),;]+)"
    rf"{_PARENS},? to (?P<dst>[^\s(),;]+)"
)
_DROP_SRC_DST = lazy(
    rf"\b(?P<proto>tcp|udp|icmp|sctp|gre) src (?P<src>{_EP}) dst (?P<dst>[^\s(),;]+)"
)
_PROTOCOL_NUMBER = lazy(r"\bprotocol=(\d{1,3})\b")
_SHUNNED = lazy(r"^Shunned packet: (?P<src>[^\s=]+)\s*==?>?\s*(?P<dst>[^\s=]+)")
# Message id -> (action, protocol when the message names none, TCP flags it implies)
_DROPS: dict[str, tuple[Action, str | None, str | None]] = {
    "108004": ("block", "TCP", None),
    "338001": ("unknown", None, None), "338002": ("unknown", None, None),
    "338003": ("unknown", None, None), "338004": ("unknown", None, None),
    "338005": ("block", None, None), "338006": ("block", None, None),
    "338007": ("block", None, None), "338008": ("block", None, None),
    "338201": ("unknown", None, None), "338202": ("unknown", None, None),
    "338203": ("block", None, None), "338204": ("block", None, None),
    "401004": ("block", "IP", None),
    "410001": ("block", None, None),
    "418001": ("block", None, None),
    "419002": ("block", None, "SYN"),
    "420002": ("block", None, None),
    "421001": ("block", None, None),
    "434002": ("block", None, None),
    "500003": ("block", None, None),
    "500004": ("block", None, None),
    "710004": ("block", None, None),
}  # fmt: skip
_IDS = lazy(r"^IDS:(?P<sig>\d+) .*?\bfrom (?P<src>[^\s,]+) to (?P<dst>[^\s,]+)")
# Teardown reasons saying the three-way handshake never completed.
_NOT_ESTABLISHED = ("SYN Timeout", "SYN Control")


def _ids_proto(signature: str) -> str:
    """ASA IDS signature ranges: 2xxx ICMP, 3xxx TCP, 4xxx UDP; others are IP-level."""
    return {"2": "ICMP", "3": "TCP", "4": "UDP"}.get(signature[:1], "IP")


class CiscoAsaParser:
    name = "cisco-asa"

    def __init__(self) -> None:
        self._times = timestamps.HeaderTimes()

    def can_parse(self, line: str) -> bool:
        if "%" in line:  # one scan for the common case; the tag's name only then
            return "ASA-" in line or "PIX-" in line or "FTD-" in line or "FWSM-" in line
        # A message pasted without its tag, at the line's start ("Deny tcp src outside:...")
        return line.startswith(_UNTAGGED_STARTS) or " Accessed URL " in line

    def parse(self, line: str, ctx: ParseContext) -> list[ProbeEvent] | None:
        tag = _TAG.search(line) if "%" in line else None
        if tag is None:
            start = cisco_asa_more.untagged_start(line)
            message_id = cisco_asa_more.untagged_id(line[start:]) if start >= 0 else None
            if message_id is None:
                return None
            body, tag_start = line[start:].strip(), start
        else:
            message_id, tag_start = tag.group("id"), tag.start()
            body = line[tag.end() :].strip()
        if body.startswith("message repeated"):
            repeated = _REPEATED.match(body)
            if repeated:
                body = repeated.group("inner")
        fields = _fields(message_id, body)
        if fields is None:  # a tagged message about other things; untagged: not ASA after all
            return [] if tag is not None else None
        time, _ = self._times.leading(line, ctx)
        if time is None and tag_start > 0:
            time = timestamps.parse_bsd(line[:tag_start].strip(" :"), ctx)
        if fields.time_text:
            time = timestamps.parse_iso(fields.time_text, ctx) or time
        src_ip, src_port = fields.src
        dst_ip, dst_port = fields.dst
        return [
            validate.make_event(
                format=self.name,
                raw=line,
                time=time,
                src_ip=src_ip,
                src_port=src_port,
                dst_ip=dst_ip,
                dst_port=dst_port,
                proto_name=fields.proto,
                action_word=fields.action,
                flags=fields.flags,
                evidence=fields.evidence,
                direction=fields.direction,
            )
        ]


class _Fields:
    __slots__ = ("action", "direction", "dst", "evidence", "flags", "proto", "src", "time_text")

    def __init__(
        self,
        proto: str,
        src: tuple[str, str | None],
        dst: tuple[str | None, str | None],
        action: Action,
        flags: str | None = None,
        evidence: str | None = None,
        time_text: str | None = None,
        direction: str | None = None,
    ) -> None:
        self.proto, self.src, self.dst, self.action = proto, src, dst, action
        self.flags, self.evidence, self.time_text = flags, evidence, time_text
        self.direction = direction


def _proto_word(word: str) -> str:
    return "ICMPV6" if word.lower() in ("ipv6-icmp", "icmp6", "icmpv6") else word


def _zone(token: str) -> str | None:
    """The interface name of an "iface:addr/port" token ("v1:outside:addr": the second);
    None for a bare address (IPv6 has colons too)."""
    address = token.partition("/")[0]
    if ":" not in address or is_ip(address):
        return None
    parts = address.split(":", 2)
    if len(parts) == 3 and parts[0][:1] == "v" and parts[0][1:].isdigit():
        return parts[1]
    return parts[0]


def _direction(way: str | None, src: str | None, dst: str | None) -> str | None:
    """The message's own "inbound"/"outbound", else what the interface names of the
    "iface:addr/port" tokens `src` and `dst` say."""
    if way:
        return "in" if way.lower() == "inbound" else "out"
    if src is None or dst is None:
        return None
    return zone_direction(_zone(src), _zone(dst))


def _fields(message_id: str, body: str) -> _Fields | None:
    """What the message says about the traffic, or None for messages about other things."""
    if message_id.startswith("106"):  # the common deny messages first: no detour
        return _deny_106(message_id, body)
    more = cisco_asa_more.fields(message_id, body)
    if more is not None:
        dst = endpoint(more.dst) if more.dst else (None, None)
        return _Fields(_proto_word(more.proto.upper()), endpoint(more.src), dst, more.action,
                       evidence=more.evidence,
                       direction=_direction(None, more.src, more.dst))  # fmt: skip
    if message_id in _DROPS:
        return _dropped(message_id, body)
    family = message_id[:3]
    if family == "313":
        match = _ICMP_DENIED.match(body) or _ICMP_INVALID.match(body)
        if match is None:
            return None
        proto = "ICMP" if match.re is _ICMP_INVALID else _proto_word(match.group("proto"))
        dst = endpoint(match.group("dst")) if match.group("dst") else (None, None)
        return _Fields(proto, endpoint(match.group("src")), dst, "block")
    if family == "710":
        match = _ACL_DENIED.match(body)
        if match is None:
            return None
        action: Action = "allow" if match.group("verdict") == "access permitted" else "block"
        return _Fields(match.group("proto"), endpoint(match.group("src")),
                       endpoint(match.group("dst")), action)  # fmt: skip
    if family == "302":
        return _connection(body)
    if family == "434":
        match = _BYPASS.search(body)
        if match is None:
            return None
        return _Fields(match.group("proto"), endpoint(match.group("src")),
                       endpoint(match.group("dst")), "unknown")  # fmt: skip
    if family == "400":
        match = _IDS.match(body)
        if match is None:
            return None
        return _Fields(_ids_proto(match.group("sig")), (match.group("src"), None),
                       (match.group("dst"), None), "unknown", evidence="ids")  # fmt: skip
    if family == "430":
        return _ftd_event(message_id, body)
    return None


def _dropped(message_id: str, body: str) -> _Fields | None:
    """The _DROPS messages: a packet/flow named by protocol, source and destination."""
    action, default_proto, flags = _DROPS[message_id]
    if message_id == "401004":
        match = _SHUNNED.match(body)
    elif message_id == "418001":
        match = _DROP_SRC_DST.search(body)
    else:
        match = _DROP_FROM_TO.search(body)
        if match is None:  # "Invalid transport field for protocol=17, from A/p to B/q"
            number = _PROTOCOL_NUMBER.search(body)
            if number:
                named = validate.proto(number.group(1))
                match = _DROP_FROM_TO.search(f"{named} {body[number.end() :]}")
    if match is None:
        if default_proto is None or message_id == "401004":
            return None
        match = _DROP_FROM_TO.search(f"{default_proto} {body}")
        if match is None:
            return None
    groups = match.groupdict()
    proto = groups.get("proto") or default_proto or "IP"
    if message_id == "108004":
        proto = "TCP"
    src, dst = match.group("src"), match.group("dst")
    return _Fields(_proto_word(proto.upper()), endpoint(src), endpoint(dst), action,
                   flags=flags, direction=_direction(None, src, dst))  # fmt: skip


def _deny_106(message_id: str, body: str) -> _Fields | None:
    if message_id in ("106100", "106102", "106103"):
        match = _ACCESS_LIST.match(body)
        if match is None:
            return None
        action = verdict("permitted" if match.group("verdict") != "denied" else "denied")
        return _Fields(
            _proto_word(match.group("proto")),
            (match.group("src"), match.group("sport")),
            (match.group("dst"), match.group("dport")),
            action,
            direction=zone_direction(match.group("si"), match.group("di")),
        )
    listed = _OUTBOUND_LIST.match(body) if "outbound list" in body else None  # 106002
    if listed:
        return _Fields(listed.group("proto"), (listed.group("src"), listed.group("sp")),
                       (listed.group("dst"), listed.group("dp")), "block",
                       direction="out")  # fmt: skip
    # Each pattern is anchored on its first word: ask only the ones that can match.
    if body.startswith("Deny "):
        match = _DENY_SRC_DST.match(body) or _DENY_FROM_TO.match(body)
    elif body.startswith(("Inbound ", "Outbound ")):
        match = _INBOUND_DENIED.match(body)
    else:
        match = None
    if match is None:
        return None
    flags = _flags(body)
    return _Fields(
        _proto_word(match.group("proto")),
        endpoint(match.group("src")),
        endpoint(match.group("dst")),
        "block",
        flags=flags.group(1) if flags else None,
        direction=_direction(match.group("way"), match.group("src"), match.group("dst")),
    )


def _flags(body: str) -> re.Match[str] | None:
    """The first `flags SYN ACK` in `body` that starts a word."""
    match = _FLAGS.search(body)
    while match is not None and match.start() > 0:
        before = body[match.start() - 1]
        if not (before.isalnum() or before == "_"):
            break
        match = _FLAGS.search(body, match.start() + 1)
    return match


def _connection(body: str) -> _Fields | None:
    built = _BUILT.match(body)
    if built:
        first, second = endpoint(built.group("a")), endpoint(built.group("b"))
        # "outbound": the second (inside) endpoint opened the connection.
        src, dst = (second, first) if built.group("dir") == "outbound" else (first, second)
        tcp = built.group("proto") == "TCP"
        return _Fields(built.group("proto"), src, dst, "allow",
                       evidence="established" if tcp else None,
                       direction=_direction(built.group("dir"), None, None))  # fmt: skip
    teardown = _TEARDOWN.match(body)
    if teardown:
        tcp = teardown.group("proto") == "TCP"
        handshake = tcp and not any(reason in body for reason in _NOT_ESTABLISHED)
        return _Fields(teardown.group("proto"), endpoint(teardown.group("a")),
                       endpoint(teardown.group("b")), "allow",
                       evidence="established" if handshake else None)  # fmt: skip
    icmp = _ICMP_CONN.match(body)
    if icmp:
        foreign, local = (icmp.group("f"), None), (icmp.group("l"), None)
        src, dst = (local, foreign) if icmp.group("dir") == "outbound" else (foreign, local)
        way = _direction(icmp.group("dir"), None, None) if icmp.group("dir") else None
        return _Fields(_proto_word(icmp.group("proto")), src, dst, "allow", direction=way)
    return None


def _ftd_event(message_id: str, body: str) -> _Fields | None:
    found = cisco_ftd.fields(message_id, body)
    if found is None:
        return None
    return _Fields(found.proto, found.src, found.dst, found.action, evidence=found.evidence,
                   time_text=found.time_text)  # fmt: skip


PARSER = CiscoAsaParser()
