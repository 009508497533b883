"""`probewatch parse`: the DESIGN.md contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from probewatch.cli import main

LINE = (
    "Jan 14 10:00:01 h kernel: [UFW BLOCK] IN=eth0 OUT= SRC=203.0.113.7 DST=198.51.100.1 "
    "LEN=40 PROTO=TCP SPT=1000 DPT=22 WINDOW=1024 RES=0x00 SYN URGP=0\n"
)


def test_json_events_carry_the_input_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "fw.log"
    log.write_text("prose\n" + LINE)
    assert main(["parse", "--json", str(log)]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert len(rows) == 1
    row = rows[0]
    assert row["input"] == str(log)
    assert row["format"] == "netfilter"
    assert row["time"].endswith("Z") and row["time"][5:] == "01-14T10:00:01Z"
    assert (row["src_ip"], row["src_port"], row["dst_ip"], row["dst_port"]) == (
        "203.0.113.7",
        1000,
        "198.51.100.1",
        22,
    )
    assert (row["proto"], row["action"], row["tcp_flags"]) == ("TCP", "block", "SYN")


def test_tz_applies_to_times_without_a_zone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "fw.log"
    log.write_text(LINE)
    assert main(["parse", "--json", "--tz", "America/New_York", str(log)]) == 0
    assert json.loads(capsys.readouterr().out)["time"].endswith("01-14T15:00:01Z")


def test_non_firewall_text_gives_nothing_and_exit_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    note = tmp_path / "note.txt"
    note.write_text(
        "Jan 14 10:00:01 host sshd[1]: Accepted password for bob from 192.0.2.1 port 2 ssh2\n"
    )
    assert main(["parse", "--json", str(note)]) == 0
    assert capsys.readouterr().out == ""


def test_stats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "fw.log"
    log.write_text(LINE * 3 + LINE.replace("203.0.113.7", "203.0.113.300"))
    assert main(["parse", "--stats", "--json", str(log)]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["lines"] == 4 and stats["events"] == 3
    assert stats["formats"] == {"netfilter": 3}
    assert stats["rejected"] == {"bad-address": 1}
    assert stats["lines_per_second"] > 0


def test_eml_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mail = tmp_path / "alert.eml"
    mail.write_text(
        "From: router@example.org\nTo: report@example.org\nSubject: log\n"
        "Date: Thu, 15 Jan 2026 08:00:00 +0000\nMIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\n\n"
        "[DoS Attack: SYN/ACK Scan] from source: 203.0.113.100, port 80, Wednesday, January 14, 2026 17:35:23\n"
    )
    assert main(["parse", "--json", str(mail)]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [(r["input"], r["format"], r["src_ip"], r["time"]) for r in rows] == [
        (str(mail), "netgear", "203.0.113.100", "2026-01-14T17:35:23Z")
    ]


def test_missing_file_and_bad_zone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", "--json", str(tmp_path / "nope.log")]) == 2
    assert main(["parse", "--json", "--tz", "Mars/Base", str(tmp_path / "nope.log")]) == 2


def test_json_says_which_way_and_stats_count_without_keeping(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "fw.log"
    log.write_text(LINE + LINE.replace("IN=eth0 OUT= ", "IN= OUT=eth0 "))
    assert main(["parse", "--json", str(log)]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [row["direction"] for row in rows] == ["in", "out"]
    assert main(["parse", "--stats", "--json", str(log)]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert (stats["lines"], stats["events"], stats["formats"]) == (2, 2, {"netfilter": 2})


def test_stderr_says_what_was_read_understood_and_not_understood(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "fw.log"
    bad_port = LINE.replace("SPT=1000", "SPT=x")
    log.write_text("prose one\n\n" + LINE * 3 + bad_port + "prose two\n")
    for mode in ("--json", "--stats"):
        assert main(["parse", mode, str(log)]) == 0
        captured = capsys.readouterr()
        err = captured.err.splitlines()
        assert err[0] == (
            f"probewatch parse: {log}: 7 lines read, 3 understood (3 events), "
            "1 rejected (bad-port 1), 2 not understood"
        )
        assert err[1:] == [
            "  not understood, line 1: 'prose one'",
            "  not understood, line 7: 'prose two'",
        ]
    # stdout of --json stays one JSON object per event, and nothing else
    assert main(["parse", "--json", str(log)]) == 0
    assert [json.loads(x)["line"] for x in capsys.readouterr().out.splitlines()] == [3, 4, 5]


def test_empty_stdin_and_a_binary_file_say_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    assert main(["parse", "--json", "-"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip() == "probewatch parse: stdin: empty input, nothing to parse"
    blob = tmp_path / "fw.log.gz"
    blob.write_bytes(bytes(range(256)) * 40)
    assert main(["parse", "--json", str(blob)]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "looks like binary data" in captured.err.splitlines()[0]


def test_the_fast_json_writer_writes_what_json_dumps_writes() -> None:
    from datetime import UTC, datetime, timedelta, timezone

    from probewatch.event_lines import input_json, json_lines
    from probewatch.model import ProbeEvent

    events = [
        ProbeEvent(time, src, sport, dst, dport, proto, "block", fmt, raw, flags, None, ev,
                   n, direction)  # fmt: skip
        for n, (time, src, sport, dst, dport, proto, fmt, raw, flags, ev, direction) in enumerate(
            [
                (datetime(2026, 1, 14, 10, tzinfo=UTC), "203.0.113.7", 1, "198.51.100.1", 22,
                 "TCP", "netfilter", "plain", "SYN", None, "in"),
                (None, "2001:db8::1", None, None, None, "ICMPV6", "x", 'q"uo\\te\x00\ud800\u2028',
                 None, "ids", None),
                (datetime(2026, 1, 14, 10, 0, 0, 123456, tzinfo=UTC), "1.2.3.4", 0, "1.2.3.5",
                 65535, 'P"RO', "f\u00e9", "\U0001f525", "ACK SYN", "established", "out"),
                (datetime(2026, 1, 14, 10, tzinfo=timezone(timedelta(hours=2))), "1.2.3.4",
                 None, "1.2.3.5", None, "UDP", "f", "", None, None, "forward"),
            ]
        )
    ]  # fmt: skip
    for path in ("fw.log", 'we"ird\\path\u00e9.log', "-"):
        got = json_lines(events, input_json(path))
        assert got == [json.dumps(e.to_json(input=path, line=e.line_no)) + "\n" for e in events]
