"""`probewatch parse` on an .eml reads every rendering of each text and keeps the best one,
as ingest does (InboundMail.versions): a hard-wrapped plain body loses to its intact HTML
alternative, and the two versions never give the same event twice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from probewatch.cli import main

MAIL = Path(__file__).resolve().parents[1] / "fixtures" / "mail"


def test_wrapped_plain_body_is_read_from_its_html_alternative(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = str(MAIL / "wrapped_plain_alternative.eml")
    assert main(["parse", "--json", path]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["input"], r["src_ip"], r["dst_port"], r["time"]) for r in rows] == [
        (path, "45.155.205.12", 3391, "2026-11-24T14:02:12Z"),
        (path, "45.155.205.13", 3392, "2026-11-24T14:03:13Z"),
    ]
    assert all(
        (r["format"], r["proto"], r["action"]) == ("netfilter", "TCP", "block") for r in rows
    )


def test_stats_count_the_chosen_version_only(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", "--stats", "--json", str(MAIL / "wrapped_plain_alternative.eml")]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["events"] == 2 and stats["formats"] == {"netfilter": 2}


def test_a_plain_and_html_pair_with_the_same_lines_gives_each_event_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = str(MAIL / "gmail_inline.eml")
    assert main(["parse", "--json", path]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    keys = [(r["time"], r["src_ip"], r["src_port"], r["dst_port"]) for r in rows]
    assert rows and len(keys) == len(set(keys))
