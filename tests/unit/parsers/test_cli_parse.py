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
