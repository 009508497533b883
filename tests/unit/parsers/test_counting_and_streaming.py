"""`probewatch parse --stats` must count exactly what the full parse keeps (one code path:
events are built, then kept or only counted), the CLI reading a log a chunk at a time must
see the lines a whole-text read sees, and patterns compiled on first use behave as compiled."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from probewatch import cli_parse
from probewatch.cli import main
from probewatch.parsers import parse_text
from probewatch.parsers.patterns import lazy

FIXTURES = Path(__file__).parent / "fixtures"
HEAD = "Jan 14 10:00:{s:02d} gw kernel: [UFW BLOCK] IN=eth0 OUT= MAC=00:11:22:33:44:55:66:77 "
# Dresses on both sides of the netfilter fast path, and lines it must leave to the checks.
NETFILTER_TAILS = [
    "SRC=203.0.113.7 DST=198.51.100.1 LEN=40 TTL=9 ID=1 PROTO=TCP SPT=1000 DPT=22 "
    "WINDOW=1024 RES=0x00 SYN URGP=0",
    "SRC=203.0.113.7 DST=198.51.100.1 LEN=40 PROTO=TCP SPT=70000 DPT=22 WINDOW=1 RES=0x00 "
    "SYN URGP=0",  # impossible port in the fast dress
    "SRC=203.0.113.7 DST=198.51.100.1 LEN=40 PROTO=TCP SPT=1000 DPT=99999 WINDOW=1 RES=0x00 "
    "ACK RST URGP=0",
    "SRC=203.0.113.7 DST=198.51.100.1 LEN=40 PROTO=UDP SPT=53 DPT=65535 LEN=20",
    "SRC=203.0.113.7 DST=198.51.100.1 LEN=40 PROTO=ICMP TYPE=8 CODE=0 ID=1 SEQ=1",
    "SRC=203.0.113.7 DST=198.51.100.1 LEN=40 PROTO=TCP SPT=1000 DPT=22 SYN URGP=0",  # no tail
    "SRC=203.0.113.7 DST=198.51.100.1 LEN=40 XPROTO=UDP PROTO=TCP SPT=1 DPT=2 WINDOW=1 "
    "RES=0x00 SYN URGP=0",  # an earlier PROTO= inside a word
    "SRC=203.000.113.7 DST=198.51.100.1 LEN=40 PROTO=UDP SPT=1 DPT=2",  # padded address
    "SRC=203.0.113.256 DST=198.51.100.1 LEN=40 PROTO=UDP SPT=1 DPT=2",  # bad address
    "SRC=2001:db8::7 DST=2001:db8::1 LEN=40 PROTO=UDP SPT=1 DPT=2",
    "SRC=203.0.113.7 DST=198.51.100.1 LEN=40 PROTO=UDP SPT=x DPT=2",
]


def _fixture_lines() -> list[str]:
    lines: list[str] = []
    for path in sorted(FIXTURES.glob("*/*.jsonl")):
        for row in path.read_text().splitlines():
            if row.startswith("{"):
                sample = json.loads(row)
                lines.extend(sample["lines"] if "lines" in sample else [sample["line"]])
    return lines


def _netfilter_lines() -> list[str]:
    lines = [HEAD.format(s=n) + tail for n, tail in enumerate(NETFILTER_TAILS)]
    lines.append("Jan 14 10:00:61 gw kernel: DROP IN=eth0 OUT= SRC=203.0.113.7 DST=1.2.3.4 "
                 "LEN=1 PROTO=UDP SPT=1 DPT=2")  # fmt: skip
    lines.append("IN=eth0 OUT= SRC=203.0.113.7 DST=198.51.100.1 LEN=1 PROTO=UDP SPT=1 DPT=2")
    return lines


def _summary(text: str, keep: bool, received: datetime | None) -> tuple[object, ...]:
    result = parse_text(text, received_at=received, keep_events=keep)
    return (
        result.event_count,
        result.lines,
        list(result.formats.items()),  # the order formats first appeared in, too
        [(r.reason, r.format, r.raw) for r in result.rejected],
        result.latest_time,
    )


@pytest.mark.parametrize("received", [None, datetime(2026, 1, 14, 10, 5, tzinfo=UTC)])
@pytest.mark.parametrize("source", ["netfilter", "all fixtures", "interleaved"])
def test_counting_gives_what_the_full_parse_keeps(source: str, received: datetime | None) -> None:
    netfilter, fixtures = _netfilter_lines(), _fixture_lines()
    lines = {
        "netfilter": netfilter * 3,
        "all fixtures": fixtures,
        # formats taking turns: the tallying parser leaves and rejoins the recent ones
        "interleaved": [
            line for pair in zip(fixtures, netfilter * 20, strict=False) for line in pair
        ],
    }[source]
    text = "\n".join(lines)
    kept = _summary(text, True, received)
    assert kept[0] != 0
    assert _summary(text, False, received) == kept


def test_counting_sees_every_check_the_full_parse_makes() -> None:
    counted = parse_text("\n".join(_netfilter_lines()), keep_events=False)
    # SPT=x on UDP is no port: rejected, as the general path (make_event) rejects it
    assert counted.rejected_by_reason() == {"bad-port": 3, "bad-address": 1, "bad-time": 1}
    assert counted.event_count == len(parse_text("\n".join(_netfilter_lines())).events) == 8


def test_stats_count_what_json_prints(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "fw.log"
    path.write_text("\n".join(_netfilter_lines() + _fixture_lines() + ["prose"]) + "\n")
    assert main(["parse", "--json", str(path)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert main(["parse", "--stats", "--json", str(path)]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["events"] == len(printed) > 8
    assert sum(stats["formats"].values()) == len(printed)
    assert stats["unrecognised"] >= 1  # "prose"


@pytest.mark.parametrize(
    "data",
    [
        b"a\nb\r\nc\rd\x0be\x0cf\x1cg\xc2\x85h\xe2\x80\xa8i\n\nj",  # every splitlines break
        b"\xef\xbb\xbfBOM first\r\n\r\nlast\r\n",
        "\u00e9t\u00e9 \u2603 \U0001f525\n".encode() * 5,  # multi-byte characters across chunks
        b"no newline at all, longer than a chunk",
        b"",
        b"\n\n\n",
    ],
)
@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64])
def test_log_lines_split_as_the_whole_text_would(
    data: bytes, chunk: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_parse, "CHUNK", chunk)
    path = tmp_path / "x.log"
    path.write_bytes(data)
    with path.open("rb") as handle:
        got = list(cli_parse._log_lines(handle, handle.read(chunk)))
    assert got == cli_parse._decode(data).splitlines()


def test_a_log_that_is_not_utf8_late_in_the_file_is_read_as_latin1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    line = HEAD.format(s=1) + NETFILTER_TAILS[0]
    data = (line + "\r\n").encode() * 50 + b"caf\xe9 " + line.encode() + b"\n"
    path = tmp_path / "fw.log"
    path.write_bytes(data)
    monkeypatch.setattr(cli_parse, "CHUNK", 256)  # the bad byte is chunks away
    assert main(["parse", "--json", str(path)]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert len(rows) == 51 and rows[-1]["line"] == 51
    assert rows[-1]["raw"].startswith("caf\u00e9 Jan 14")  # Latin-1, as a whole-file read gives
    assert main(["parse", "--stats", "--json", str(path)]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert (stats["lines"], stats["events"]) == (51, 51)


def test_lazy_patterns_behave_as_compiled_ones() -> None:
    source = r"(?P<word>[a-z]+)=(\d+)"
    pattern, compiled = lazy(source, re.IGNORECASE), re.compile(source, re.IGNORECASE)
    assert "lazy(" in repr(pattern) and pattern.pattern == source  # not compiled yet
    text = "A=1 b=22 c=x"
    assert pattern.search(text).groups() == compiled.search(text).groups()  # type: ignore[union-attr]
    assert pattern.findall(text) == compiled.findall(text)
    assert pattern.sub("-", text) == compiled.sub("-", text)
    assert pattern.match(text, 4).span() == (4, 8)  # type: ignore[union-attr]
    assert (pattern.groups, pattern.groupindex, pattern.flags) == (
        compiled.groups,
        compiled.groupindex,
        compiled.flags,
    )
    assert pattern.fullmatch("x=1") is not None and pattern.fullmatch("x=") is None
    assert [m.group(2) for m in pattern.finditer(text)] == ["1", "22"]
