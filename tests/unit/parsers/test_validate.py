"""Address, port, protocol, flag and action normalisation."""

from __future__ import annotations

import pytest

from probewatch.parsers import validate
from probewatch.parsers.base import LineRejected
from probewatch.parsers.kv import parse_kv, parse_kv_lower


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("fe80::1%eth0", "fe80::1"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("192.168.001.010", "192.168.1.10"),
    ],
)
def test_addresses_are_normalised(text: str, expected: str) -> None:
    assert validate.ip(text) == expected


@pytest.mark.parametrize("text", ["203.0.113.256", "1.2.3", "example.org", "", "2001:db8::g"])
def test_impossible_addresses_are_rejected(text: str) -> None:
    with pytest.raises(LineRejected, match="bad-address"):
        validate.ip(text)


def test_ports() -> None:
    assert validate.port("0") == 0
    assert validate.port("65535") == 65535
    assert validate.port("-") is None
    assert validate.port(None) is None
    for bad in ("65536", "-1", "http", "12a"):
        with pytest.raises(LineRejected, match="bad-port"):
            validate.port(bad)


def test_protocols() -> None:
    assert validate.proto("tcp") == "TCP"
    assert validate.proto("6") == "TCP"
    assert validate.proto("17") == "UDP"
    assert validate.proto("ipv6-icmp") == "ICMPV6"
    assert validate.proto("ICMPv6") == "ICMPV6"
    assert validate.proto("58") == "ICMPV6"
    assert validate.proto("253") == "253"  # unassigned: the decimal number, as written
    assert validate.proto("0162") == "162"
    assert validate.proto("ip-proto-162") == "162"
    assert validate.proto("PROTO-162") == "162"


def test_flags() -> None:
    assert validate.tcp_flags("S") == "SYN"
    assert validate.tcp_flags("SA") == "ACK SYN"
    assert validate.tcp_flags("ACK PSH") == "ACK PSH"
    assert validate.tcp_flags(["RST", "ACK"]) == "ACK RST"
    assert validate.tcp_flags("syn,ack") == "ACK SYN"
    assert validate.tcp_flags("-") is None
    assert validate.tcp_flags(None) is None


def test_actions() -> None:
    assert validate.action("DROP") == "block"
    assert validate.action("Deny") == "block"
    assert validate.action("pass") == "allow"
    assert validate.action("alert") == "unknown"
    assert validate.action(None) == "unknown"


def test_make_event_drops_ports_and_flags_where_they_cannot_be() -> None:
    event = validate.make_event(
        format="x",
        raw="r",
        time=None,
        src_ip="203.0.113.9",
        src_port="0",
        dst_ip=None,
        dst_port="8",
        proto_name="1",
        action_word="block",
        flags="S",
    )
    assert (event.proto, event.src_port, event.dst_port, event.tcp_flags) == (
        "ICMP",
        None,
        None,
        None,
    )


def test_kv_pairs() -> None:
    pairs = parse_kv(
        'date=2026-01-14 devname="FG 100" srcip=203.0.113.9 note=a,b,c x=1,y=2 e= z=3 srcip=1.1.1.1'
    )
    assert pairs == {
        "date": "2026-01-14",
        "devname": "FG 100",
        "srcip": "203.0.113.9",
        "note": "a,b,c",
        "x": "1",
        "y": "2",
        "e": "",
        "z": "3",
    }
    assert parse_kv_lower("SRC=1 src=2") == {"src": "1"}
    assert parse_kv("no pairs here") == {}
