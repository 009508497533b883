"""The shortcuts that make parsing fast must give exactly what the slow paths give, and the
direction helpers must say "out" only when a line says so."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from probewatch.parsers import parse_text, timestamps, validate
from probewatch.parsers.base import LineRejected, ParseContext
from probewatch.parsers.vendor_helpers import is_ip, zone_direction

RECEIVED = datetime(2026, 1, 14, 10, 0, 30, tzinfo=UTC)


def ctx(zone: str = "UTC", received: datetime | None = RECEIVED) -> ParseContext:
    return ParseContext(tz=timestamps.resolve_zone(zone), received_at=received)


def _header_lines(minute: str) -> list[str]:
    return [f"{minute}{second:02d} host kernel: x" for second in range(60)]


@pytest.mark.parametrize(
    "minute",
    [
        "Jan 14 10:00:",  # the receipt bound (10:10:30) is far: one year for the whole minute
        "Jan 14 10:10:",  # the bound falls inside: late seconds belong to last year
        "Jan 14 2026 10:10:",  # a written year: no inference at all
        "Jan  9 23:59:",
    ],
)
def test_minute_memo_agrees_with_parsing_each_line(minute: str) -> None:
    context = ctx()
    times = timestamps.HeaderTimes()
    for line in _header_lines(minute) + list(reversed(_header_lines(minute))):
        expected = timestamps.parse_bsd(line, context)
        assert times.leading(line, context)[0] == expected, line


def test_minute_memo_follows_a_new_zone_for_the_same_minute_text() -> None:
    times = timestamps.HeaderTimes()
    line = "Jan 14 09:00:05 host kernel: x"
    utc, berlin = ctx(), ctx("Europe/Berlin")
    assert times.leading(line, utc)[0] == datetime(2026, 1, 14, 9, 0, 5, tzinfo=UTC)
    assert times.leading(line, berlin)[0] == datetime(2026, 1, 14, 8, 0, 5, tzinfo=UTC)
    assert times.leading("Jan 14 09:00:06 host k", berlin)[0] == datetime(
        2026, 1, 14, 8, 0, 6, tzinfo=UTC
    )


def test_minute_memo_never_hides_an_impossible_second_or_a_zone_word() -> None:
    context = ctx()
    times = timestamps.HeaderTimes()
    assert times.leading("Jan 14 10:00:05 host x", context)[0] is not None
    with pytest.raises(LineRejected):
        times.leading("Jan 14 10:00:61 host x", context)
    # an upper-case word after the time is a zone (here CET): not the memo's UTC minute
    assert times.leading("Jan 14 10:00:07 CET x", context)[0] == datetime(
        2026, 1, 14, 9, 0, 7, tzinfo=UTC
    )


def test_asa_year_headers_in_a_run() -> None:
    text = "\n".join(
        f"Jan 14 2026 09:59:{s:02d} fw : %ASA-2-106001: Inbound TCP connection denied from "
        f"203.0.113.9/4000{s % 10} to 198.51.100.3/23 flags SYN  on interface outside"
        for s in range(0, 60, 7)
    )
    result = parse_text(text, received_at=RECEIVED)
    assert [e.time for e in result.events] == [
        datetime(2026, 1, 14, 9, 59, s, tzinfo=UTC) for s in range(0, 60, 7)
    ]


def test_netgear_minute_memo_across_minutes_and_an_impossible_second() -> None:
    lines = [
        "[DoS Attack: SYN/ACK Scan] from source: 203.0.113.5, port 80, "
        f"Wednesday, January 14, 2026 09:{m:02d}:{s:02d}"
        for m, s in ((58, 59), (59, 0), (59, 30), (59, 61))
    ]
    events = parse_text("\n".join(lines), tz="Europe/Berlin").events
    expected = [
        datetime(2026, 1, 14, 8, m, s, tzinfo=UTC) for m, s in ((58, 59), (59, 0), (59, 30))
    ]
    assert [e.time for e in events] == [*expected, None]


NETFILTER = (
    "Jan 14 10:00:01 gw kernel: [UFW BLOCK] IN={i} OUT={o} MAC=00:11:22:33:44:55:66:77:88:99:aa"
    ":bb:08:00 SRC={src} DST=198.51.100.1 LEN=40 TTL=50 ID=1 PROTO=TCP SPT=1000 DPT=22 "
    "WINDOW=1024 RES=0x00 SYN URGP=0"
)


@pytest.mark.parametrize(
    ("inside", "outside", "direction"),
    [("eth0", "", "in"), ("", "eth0", "out"), ("eth1", "eth0", "forward"), ("", "", None)],
)
def test_netfilter_direction_from_the_interfaces(
    inside: str, outside: str, direction: str | None
) -> None:
    for src in ("203.0.113.7", "2001:db8::7"):  # the fast (IPv4) and the general path
        line = NETFILTER.format(i=inside, o=outside, src=src)
        (event,) = parse_text(line).events
        assert (event.src_ip, event.direction) == (src, direction)


def test_netfilter_fast_path_leaves_padded_and_bad_addresses_to_the_checks() -> None:
    padded = parse_text(NETFILTER.format(i="eth0", o="", src="203.000.113.007")).events
    assert [e.src_ip for e in padded] == ["203.0.113.7"]
    bad = parse_text(NETFILTER.format(i="eth0", o="", src="203.0.113.256"))
    assert bad.events == [] and [r.reason for r in bad.rejected] == ["bad-address"]
    digits = parse_text(NETFILTER.format(i="eth0", o="", src="203.0.113.\u0667"))  # Arabic 7
    assert digits.events == [] and [r.reason for r in digits.rejected] == ["bad-address"]


def test_counting_without_keeping_events_gives_the_same_numbers() -> None:
    text = "\n".join(
        [NETFILTER.format(i="eth0", o="", src=f"203.0.113.{n}") for n in range(1, 6)]
        + [NETFILTER.format(i="eth0", o="", src="999.0.0.1"), "prose"]
    )
    kept = parse_text(text)
    counted = parse_text(text, keep_events=False)
    assert counted.events == []
    assert counted.event_count == kept.event_count == len(kept.events) == 5
    assert (counted.formats, counted.lines, counted.latest_time) == (
        kept.formats,
        kept.lines,
        kept.latest_time,
    )
    assert counted.rejected_by_reason() == kept.rejected_by_reason() == {"bad-address": 1}


def test_plain_ipv4_cache_never_admits_what_ipaddress_refuses() -> None:
    for text in ("1.2.3.4", "1.2.3.4"):  # the second answer comes from the cache
        assert validate.is_plain_ipv4(text) and validate.ip(text) == "1.2.3.4"
    for text in ("01.2.3.4", "1.2.3.256", "1.2.3.\u0664", "1.2.3"):
        assert not validate.is_plain_ipv4(text)
    assert validate.ip("01.2.3.4") == "1.2.3.4"  # padded: read as decimal, as before
    with pytest.raises(LineRejected):
        validate.ip("1.2.3.\u0664")
    assert validate.optional_ip("fe80::1%eth0") is None  # masked-looking, as before


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.2.3.4", True),
        ("2001:db8::1", True),
        ("fe80::1%eth0", True),
        ("::ffff:1.2.3.4", True),
        ("outside:1.2.3.4", False),
        ("v1:outside:fe80::1", False),
        ("001.2.3.4", False),
        ("gggg::1", False),
    ],
)
def test_is_ip_quick_rejects_match_ipaddress(text: str, expected: bool) -> None:
    assert is_ip(text) is expected


@pytest.mark.parametrize(
    ("src", "dst", "expected"),
    [
        ("outside", "inside", "in"),
        ("inside", "outside", "out"),
        ("WAN1", "LAN1", "in"),
        ("lan", "wan", "out"),
        ("0-External", "1-Trusted", "in"),
        ("Trust", "Untrust", "out"),
        ("dmz", "lab", None),  # neither side is the outside world
        ("untrust", "untrust", None),
        ("outside", None, None),  # one side unknown: no claim
        (None, None, None),
    ],
)
def test_zone_direction(src: str | None, dst: str | None, expected: str | None) -> None:
    assert zone_direction(src, dst) == expected


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("in", "in"),
        ("RECEIVE", "in"),
        ("Inbound", "in"),
        ("ingress", "in"),
        ("0", "in"),
        ("out", "out"),
        ("SEND", "out"),
        ("outgoing", "out"),
        ("egress", "out"),
        ("1", "out"),
        ("FORWARD", "forward"),
        ("sideways", None),
        (None, None),
    ],
)
def test_direction_words(word: str | None, expected: str | None) -> None:
    assert validate.direction(word) == expected


def test_a_minute_of_seconds_is_sixty_seconds() -> None:
    # the memo's exactness check compares second 59 with second 0 of the same minute
    start = timestamps.parse_bsd("Jan 14 2026 10:00:00", ctx())
    assert timestamps.parse_bsd("Jan 14 2026 10:00:59", ctx()) - start == timedelta(seconds=59)


def _netfilter_variants() -> list[str]:
    """Lines around the fast path's edges: each must parse exactly as the general path does."""
    heads = [
        "Jan 14 10:00:01 gw kernel: [UFW BLOCK] IN=eth0 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 ",
        "Jan 14 10:00:02 gw kernel: DROP IN= OUT=eth0 ",
        "Jan 14 10:00:03 gw kernel: FWD IN=eth1 OUT=eth0 PHYSIN=eth1 ",
        "kernel: ACCEPT IN=eth0 OUT= XSRC=9.9.9.9 ",
        # the whole-line shape (_COMMON): uptime stamps, rule codes, odd dates and hosts
        "Jan  9 23:59:59 gw kernel: [ 1234.567890] [WAN_IN-default-D]IN=eth0 OUT= ",
        "Jan 14 10:10:59 fw-1.lan kernel:[99.1] ACCEPT IN=eth0 OUT= MAC= ",
        "Feb 30 10:00:01 gw kernel: DROP IN=eth0 OUT= ",
        "Jan 14 10:00:01 Gw kernel: DROP IN=eth0 OUT= ",
        "Jan 14 10:00:01 gw kernel: a=b IN=eth0 OUT= ",
    ]
    addresses = [
        ("203.0.113.7", "198.51.100.1"),
        ("203.0.113.007", "198.51.100.1"),
        ("203.0.113.256", "198.51.100.1"),
        ("2001:db8::7", "2001:db8::1"),
        ("203.0.113.7", "X.X.X.X"),
        ("203.0.113.\u0667", "198.51.100.1"),
    ]
    middles = [
        "LEN=40 TOS=0x00 PREC=0x00 TTL=50 ID=1 ",
        "LEN=40 XPROTO=UDP ",
        "LEN=40\tTTL=50 ",
    ]
    tails = [
        "PROTO=TCP SPT=1000 DPT=22 WINDOW=1024 RES=0x00 SYN URGP=0",
        "PROTO=TCP SPT=1000 DPT=22 WINDOW=1024 RES=0x00 ACK PSH URGP=0 MARK=0x1",
        "PROTO=TCP SPT=1000 DPT=22 SEQ=1 ACK=0 WINDOW=1024 RES=0x00 SYN URGP=0 [SRC=1.2.3.4 RST ]",
        "PROTO=TCP SPT=1000 DPT=22 WINDOW=1024 RES=0x00 URGP=0",
        "PROTO=TCP SPT=1000 DPT=99999 WINDOW=1024 RES=0x00 SYN URGP=0",
        "PROTO=TCP SPT=1000 DPT=000022 WINDOW=1024 RES=0x00 SYN URGP=0",
        "PROTO=TCP SPT= DPT=22 SYN",
        "PROTO=TCP SPT=1000 DPT=\u0662\u0662 SYN",
        "PROTO=TCP SPT=1000 DPT=22 SYN\tACK URGP=0 FIN",
        "PROTO=TCP",
        "PROTO=UDP SPT=5353 DPT=5353 LEN=20",
        "PROTO=UDP SPT=5353",
        "PROTO=ICMP TYPE=8 CODE=0 ID=1 SEQ=1",
        "PROTO=ICMP SPT=70000 DPT=1",
        "PROTO=47",
        "PROTO=ICMPv6 TYPE=128 CODE=0",
    ]
    return [
        f"{head}SRC={src} DST={dst} {middle}{tail}"
        for head in heads
        for src, dst in addresses
        for middle in middles
        for tail in tails
    ]


def test_netfilter_fast_path_equals_the_general_path(monkeypatch: pytest.MonkeyPatch) -> None:
    from probewatch.parsers import netfilter

    lines = _netfilter_variants()
    fast = [parse_text(line, received_at=RECEIVED, check_age=False) for line in lines]
    # each shortcut takes lines of its own (_COMMON the whole-line ones, _FAST the rest)
    assert any(netfilter._COMMON.match(line) for line in lines)
    assert any(netfilter._FAST.search(line) and not netfilter._COMMON.match(line) for line in lines)
    never = re.compile("(?!)")
    monkeypatch.setattr(netfilter, "_FAST", never)
    monkeypatch.setattr(netfilter, "_COMMON", never)
    slow = [parse_text(line, received_at=RECEIVED, check_age=False) for line in lines]
    for line, one, other in zip(lines, fast, slow, strict=True):
        assert [e.to_json() for e in one.events] == [e.to_json() for e in other.events], line
        assert one.rejected_by_reason() == other.rejected_by_reason(), line
    assert sum(len(r.events) for r in fast) > len(lines) // 3  # the variants do parse
