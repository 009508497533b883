"""The dispatcher: order, fallbacks, rejections, counting."""

from __future__ import annotations

from datetime import UTC, datetime

from probewatch.model import ProbeEvent
from probewatch.parsers import parse_text
from probewatch.parsers.base import LineRejected, ParseContext
from probewatch.parsers.netfilter import PARSER as NETFILTER

UFW = (
    "Jan 14 10:00:0{n} h kernel: [UFW BLOCK] IN=eth0 OUT= SRC=203.0.113.{n} DST=198.51.100.1 "
    "LEN=40 PROTO=TCP SPT=1000 DPT=22 WINDOW=1024 RES=0x00 SYN URGP=0"
)


class Greedy:
    """A fallback that claims every line: it must never win over a specific parser."""

    name = "greedy"
    fallback = True

    def can_parse(self, line: str) -> bool:
        return True

    def parse(self, line: str, ctx: ParseContext) -> list[ProbeEvent] | None:
        if "bad" in line:
            raise LineRejected("bad-address")
        return [ProbeEvent(None, "192.0.2.1", None, None, None, "IP", "unknown", self.name, line)]


def test_counts_formats_lines_and_latest_time() -> None:
    text = "\n".join(UFW.format(n=n) for n in range(1, 4)) + "\nsome prose\n"
    result = parse_text(text, received_at=datetime(2026, 1, 15, tzinfo=UTC))
    assert result.lines == 4
    assert result.formats == {"netfilter": 3}
    assert [e.line_no for e in result.events] == [1, 2, 3]
    assert result.latest_time == datetime(2026, 1, 14, 10, 0, 3, tzinfo=UTC)


def test_specific_parsers_win_over_fallbacks_even_after_a_fallback_line() -> None:
    text = "hello\n" + UFW.format(n=1) + "\nbad line"
    result = parse_text(text, parsers=[Greedy(), NETFILTER])
    assert [e.format for e in result.events] == ["greedy", "netfilter"]
    assert [(r.reason, r.format) for r in result.rejected] == [("bad-address", "greedy")]


def test_window_rejections_keep_the_line() -> None:
    result = parse_text(UFW.format(n=1), received_at=datetime(2026, 2, 1, tzinfo=UTC))
    assert not result.events
    assert result.rejected[0].reason == "too-old"
    assert result.rejected[0].raw.startswith("Jan 14")
    assert result.rejected_by_reason() == {"too-old": 1}


def test_reporter_is_stamped_on_every_event() -> None:
    result = parse_text(UFW.format(n=1), reporter="r@example.org")
    assert result.events[0].reporter == "r@example.org"


def test_empty_and_non_firewall_text() -> None:
    assert parse_text("").events == []
    assert parse_text("Dear abuse team,\n\nthanks.\n").events == []


def test_nested_quoting_and_crlf() -> None:
    result = parse_text("> > " + UFW.format(n=1) + "\r\n")
    assert len(result.events) == 1
    assert result.events[0].raw.startswith("Jan 14")


def test_no_break_spaces_from_html_mail() -> None:
    line = "[DoS Attack: RST Scan] from source: 203.0.113.101, port 443, Wednesday, January 14, 2026 17:39:12"
    result = parse_text(line.replace(" ", "\xa0"))
    assert [(e.format, e.src_ip, e.src_port) for e in result.events] == [
        ("netgear", "203.0.113.101", 443)
    ]
