"""Checking and normalising the fields a parser matched, and building the event.

Every parser should build its events with `make_event`, which validates what it is given:
  * addresses: IPv4 or IPv6 (`::ffff:a.b.c.d` becomes a.b.c.d; IPv6 is compressed;
    IPv4 with zero-padded octets like 192.168.001.010 is read as decimal, as routers mean it).
    Anything else raises LineRejected("bad-address"), except a destination the reporter
    masked (X.X.X.X, 203.0.x.x), which becomes None (see optional_ip).
  * ports: 0..65535, or None for "", "-", "*"; anything else raises LineRejected("bad-port").
  * protocol: a name or IANA number becomes upper case ("tcp"/"6" -> "TCP", "ipv6-icmp"/"58"
    -> "ICMPV6"); a number without a name stays the decimal number ("162"); ports of
    port-less protocols (ICMP...) are dropped.
  * TCP flags: any order/spelling ("S", "SA", "syn ack", "ACK PSH") becomes the full names,
    upper case, sorted alphabetically and space-separated ("ACK SYN"), or None.
  * action: a firewall's word for what it did becomes "block" / "allow" / "unknown".
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache

from probewatch.model import Action, ProbeEvent
from probewatch.parsers.base import LineRejected

# Canonical dotted-quad IPv4 (no zero padding): already in the form ip() would return.
# ASCII: \d would otherwise take other scripts' digits, which ipaddress refuses.
_PLAIN_IPV4 = re.compile(
    r"(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)",
    re.ASCII,
)


# Canonical IPv4 texts already seen: sources repeat endlessly, and a set lookup is much
# cheaper than the regex. Bounded; once full, the regex answers for newcomers.
_PLAIN_SEEN: set[str] = set()
_PLAIN_SEEN_MAX = 16384


def is_plain_ipv4(text: str) -> bool:
    """True for canonical dotted-quad IPv4 text (what ip() would return unchanged)."""
    if text in _PLAIN_SEEN:
        return True
    if _PLAIN_IPV4.fullmatch(text) is None:
        return False
    if len(_PLAIN_SEEN) < _PLAIN_SEEN_MAX:
        _PLAIN_SEEN.add(text)
    return True


def ip(text: str) -> str:
    """The canonical text of an IPv4/IPv6 address; LineRejected("bad-address") otherwise."""
    if text in _PLAIN_SEEN or is_plain_ipv4(text):  # the common case, without ipaddress
        return text
    return _ip_slow(text)


@lru_cache(maxsize=8192)
def _ip_slow(text: str) -> str:
    candidate = text.strip().strip("[]")
    if "%" in candidate:  # fe80::1%eth0: the scope is not part of the address
        candidate = candidate.split("%", 1)[0]
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        address = _padded_ipv4(candidate)
    if address.version == 6 and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def _padded_ipv4(candidate: str) -> ipaddress.IPv4Address:
    parts = candidate.split(".")
    if len(parts) == 4 and all(p.isascii() and p.isdigit() and len(p) <= 3 for p in parts):
        try:
            return ipaddress.IPv4Address(".".join(str(int(p)) for p in parts))
        except ValueError:
            pass
    raise LineRejected("bad-address")


# Reporters mask their own address before forwarding: X.X.X.X, 203.0.x.x, 1.2.*.*, <my ip>.
_MASKED = re.compile(r"[xX*#?<]|[g-wyzG-WYZ]")


def optional_ip(text: str | None) -> str | None:
    """Like ip() for a destination: None for "", "-", "*" and for masked addresses (the
    reporter's own, hidden: "X.X.X.X", "203.0.x.x"); LineRejected("bad-address") otherwise."""
    if text is None:
        return None
    if text in _PLAIN_SEEN or is_plain_ipv4(text):
        return text
    if text.strip() in ("", "-", "N/A", "n/a") or _MASKED.search(text):
        return None
    return ip(text)


# Port texts already read ("443" -> 443): ports repeat, and a dict lookup is cheaper than
# the checks. Only texts the checks passed; bounded.
_PORTS_SEEN: dict[str | int, int] = {}
_PORTS_SEEN_MAX = 8192


def port(text: str | int | None) -> int | None:
    """A port number 0..65535; None for missing ("", "-", "*", None);
    LineRejected("bad-port") for anything else."""
    if text is None:
        return None
    known = _PORTS_SEEN.get(text)
    if known is not None:
        return known
    if type(text) is str and text.isascii() and text.isdigit() and len(text) <= 5:  # "12345"
        value = int(text)
        if value <= 65535:
            if len(_PORTS_SEEN) < _PORTS_SEEN_MAX:
                _PORTS_SEEN[text] = value
            return value
        raise LineRejected("bad-port")
    if isinstance(text, int):
        value = text
    else:
        text = text.strip()
        if text in ("", "-", "*", "N/A", "n/a"):
            return None
        if not (text.isascii() and text.isdigit()):  # int() takes other scripts' digits too
            raise LineRejected("bad-port")
        value = int(text)
    if not 0 <= value <= 65535:
        raise LineRejected("bad-port")
    return value


_PROTO_NUMBERS = {
    "1": "ICMP",
    "2": "IGMP",
    "4": "IPIP",
    "6": "TCP",
    "17": "UDP",
    "41": "IPV6",
    "47": "GRE",
    "50": "ESP",
    "51": "AH",
    "58": "ICMPV6",
    "89": "OSPF",
    "103": "PIM",
    "112": "VRRP",
    "132": "SCTP",
    "136": "UDPLITE",
}
_PROTO_ALIASES = {"IPV6-ICMP": "ICMPV6", "ICMP6": "ICMPV6", "IPV6ICMP": "ICMPV6", "ICMPV4": "ICMP"}
PORTLESS = frozenset({"ICMP", "ICMPV6", "IGMP", "GRE", "ESP", "AH", "OSPF", "VRRP", "PIM"})


@lru_cache(maxsize=256)
def proto(text: str | int) -> str:
    """Upper-case protocol name from a name or IANA number; a number IANA gives no name we
    use stays the decimal number ("162"), as devices write it (tcpdump's `ip-proto-162` and
    a `PROTO-162` spelling become "162" too)."""
    word = str(text).strip().upper()
    if word.isdigit():
        return _PROTO_NUMBERS.get(str(int(word)), str(int(word)))
    if word.startswith(("PROTO-", "IP-PROTO-")) and word.rpartition("-")[2].isdigit():
        return proto(word.rpartition("-")[2])
    return _PROTO_ALIASES.get(word, word)


_FLAG_NAMES = {
    "S": "SYN",
    "A": "ACK",
    "F": "FIN",
    "R": "RST",
    "P": "PSH",
    "U": "URG",
    "E": "ECE",
    "C": "CWR",
    "W": "CWR",
    "SYN": "SYN",
    "ACK": "ACK",
    "FIN": "FIN",
    "RST": "RST",
    "PSH": "PSH",
    "URG": "URG",
    "ECE": "ECE",
    "CWR": "CWR",
    "RESET": "RST",
    "PUSH": "PSH",
}


def tcp_flags(flags: str | Iterable[str] | None) -> str | None:
    """Normalised flags. A string with spaces/commas/slashes/pipes is split into words; a
    single string like "SA" or "S." (pf/tcpdump letters) is read letter by letter."""
    if flags is None:
        return None
    if isinstance(flags, str):
        known = _FLAGS_SEEN.get(flags)
        if known is None:
            known = _tcp_flags_text(flags) or ""
            if len(_FLAGS_SEEN) < 1024:
                _FLAGS_SEEN[flags] = known
        return known or None
    words = [w.strip().upper() for w in flags]
    names = {_FLAG_NAMES[w] for w in words if w in _FLAG_NAMES}
    return " ".join(sorted(names)) or None


_FLAGS_SEEN: dict[str, str] = {}  # flag texts repeat endlessly; few distinct ones exist


def _tcp_flags_text(flags: str) -> str | None:
    text = flags.strip().upper().replace(".", "")
    for sep in ",/|+":
        text = text.replace(sep, " ")
    words = text.split()
    if len(words) == 1 and words[0] not in _FLAG_NAMES:
        words = list(words[0])
    names = {_FLAG_NAMES[w] for w in words if w in _FLAG_NAMES}
    return " ".join(sorted(names)) or None


_BLOCK_WORDS = frozenset(
    [
        "block",
        "blocked",
        "drop",
        "dropped",
        "deny",
        "denied",
        "reject",
        "rejected",
        "refuse",
        "refused",
        "discard",
        "discarded",
        "prevent",
        "prevented",
        "blocking",
        "filtered",
    ]
)
_ALLOW_WORDS = frozenset(
    ["allow", "allowed", "accept", "accepted", "pass", "passed", "permit", "permitted"]
)


def action(word: str | None) -> Action:
    """ "block" / "allow" / "unknown" from a firewall's action word (case-insensitive)."""
    if not word:
        return "unknown"
    lowered = word.strip().lower()
    if lowered in _BLOCK_WORDS:
        return "block"
    if lowered in _ALLOW_WORDS:
        return "allow"
    return "unknown"


# A firewall's word for which way a packet went -> "in" / "out" / "forward".
_DIRECTIONS = {
    "in": "in", "inbound": "in", "incoming": "in", "ingress": "in", "receive": "in",
    "recv": "in", "input": "in", "0": "in",
    "out": "out", "outbound": "out", "outgoing": "out", "egress": "out", "send": "out",
    "output": "out", "1": "out",
    "forward": "forward", "fwd": "forward",
}  # fmt: skip


def direction(word: str | None) -> str | None:
    """ "in" / "out" / "forward" from a firewall's direction word (case-insensitive: pf
    `in`/`out`, Windows `RECEIVE`/`SEND`, `inbound`, `ingress`, CEF deviceDirection 0/1);
    None when the word says nothing we know."""
    if not word:
        return None
    return _DIRECTIONS.get(word.strip().strip('"').lower())


def make_event(
    *,
    format: str,
    raw: str,
    time: datetime | None,
    src_ip: str,
    src_port: str | int | None,
    dst_ip: str | None,
    dst_port: str | int | None,
    proto_name: str | int,
    action_word: Action,
    flags: str | Iterable[str] | None = None,
    evidence: str | None = None,
    direction: str | None = None,
) -> ProbeEvent:
    """A validated ProbeEvent (raises LineRejected for impossible addresses or ports).

    `action_word` is already "block"/"allow"/"unknown" (use `action()` on the firewall's own
    word first). Ports of port-less protocols are dropped; flags only kept for TCP.
    `direction` is "in", "out" or "forward" when the line says so (see `direction()`).
    """
    name = proto(proto_name)
    sport, dport = port(src_port), port(dst_port)
    if name in PORTLESS:
        sport = dport = None
    # Positional: every format builds its events here, once per line.
    return ProbeEvent(
        time,
        ip(src_ip),
        sport,
        optional_ip(dst_ip),
        dport,
        name,
        action_word,
        format,
        raw,
        tcp_flags(flags) if name == "TCP" else None,
        None,
        evidence,
        None,
        direction,
    )
