"""`parse_text` never raises for any text, and never writes a time the store cannot read:
hostile characters in every position of real lines of every format, years outside
1000-9999, and a parser that fails on a line (a bug) costing that line only."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from probewatch.model import ProbeEvent
from probewatch.parsers import parse_text
from probewatch.parsers.dispatch import UNPARSEABLE
from probewatch.parsers.registry import PARSERS

FIXTURES = Path(__file__).parent / "fixtures"
HOSTILE = ["\x00", "\ud800", "\u2028", "\u0663", "\U0001f525", "%", '"', "=", ",", "\t", "-",
           ""]  # fmt: skip


def _samples() -> list[str]:
    lines: list[str] = []
    for path in sorted(FIXTURES.glob("*/*.jsonl")):
        for row in path.read_text().splitlines():
            if row.startswith("{"):
                sample = json.loads(row)
                lines.extend(sample["lines"] if "lines" in sample else [sample["line"]])
    return lines


SAMPLES = _samples()


def _words_replaced(line: str, hostile: str) -> list[str]:
    """The line with each word in turn replaced by `hostile`, or suffixed with it."""
    words = line.split(" ")
    out = []
    for i, word in enumerate(words):
        for new in (hostile, word + hostile):
            out.append(" ".join([*words[:i], new, *words[i + 1 :]]))
    return out


@pytest.mark.parametrize("hostile", HOSTILE)
def test_no_parser_fails_on_hostile_text_in_any_word_of_any_sample(hostile: str) -> None:
    lines = [variant for line in SAMPLES for variant in _words_replaced(line, hostile)]
    assert len(lines) > 5000
    result = parse_text("\n".join(lines), received_at=datetime(2026, 1, 14, 12, tzinfo=UTC))
    failed = [r.raw for r in result.rejected if r.reason == UNPARSEABLE]
    assert failed == []  # the safety net in the dispatcher caught nothing: no parser broke
    for event in result.events:  # and what came out is what the store can hold
        assert event.time is None or 1000 <= event.time.year <= 9999


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(SAMPLES),
    st.integers(min_value=0, max_value=400),
    st.text(min_size=1, max_size=8),
)
def test_any_text_inserted_anywhere_never_raises(line: str, at: int, text: str) -> None:
    mutated = line[:at] + text + line[at:]
    result = parse_text(mutated + "\n" + line)
    assert [r.raw for r in result.rejected if r.reason == UNPARSEABLE] == []


def test_the_ipfilter_service_name_with_a_nul_or_a_surrogate_is_a_bad_port() -> None:
    line = ("Jan 14 12:32:12 fw ipmon[123]: 12:32:11.883012 fxp0 @0:1 b 203.0.113.70,{s} -> "
            "198.51.100.2,22 PR tcp len 20 44 -S IN")  # fmt: skip
    assert parse_text(line.format(s="51000")).events  # the sample itself parses
    for service in ("ss\x00h", "ss\ud800h", "\u0663\u0663"):
        result = parse_text(line.format(s=service))
        assert result.events == [] and result.rejected_by_reason() == {"bad-port": 1}


@pytest.mark.parametrize(
    "line",
    [
        # a written year below 1000 or above 9999, in the forms that carry a year
        "0226-01-10T10:00:00Z fw kernel: DROP IN=eth0 OUT= SRC=203.0.113.7 DST=198.51.100.1 "
        "LEN=40 PROTO=UDP SPT=1 DPT=2",
        "2026/01/10 10:00:00 gw kernel: DROP IN=eth0 OUT= SRC=203.0.113.7 DST=198.51.100.1 "
        "LEN=40 PROTO=UDP SPT=1 DPT=2".replace("2026/", "0226/"),
        # 1000-01-01 00:30 at +01:00 is year 999 in UTC; 9999-12-31 23:30 at -01:00 overflows
        "1000-01-01T00:30:00+01:00 fw kernel: DROP IN=eth0 OUT= SRC=203.0.113.7 "
        "DST=198.51.100.1 LEN=40 PROTO=UDP SPT=1 DPT=2",
        "9999-12-31T23:30:00-01:00 fw kernel: DROP IN=eth0 OUT= SRC=203.0.113.7 "
        "DST=198.51.100.1 LEN=40 PROTO=UDP SPT=1 DPT=2",
    ],
)
def test_a_year_outside_1000_to_9999_is_a_bad_time(line: str) -> None:
    result = parse_text(line, check_age=False)
    assert result.events == []
    assert result.rejected_by_reason() == {"bad-time": 1}, line


def test_a_four_digit_year_still_parses() -> None:
    line = ("1000-01-02T00:00:00Z fw kernel: DROP IN=eth0 OUT= SRC=203.0.113.7 "
            "DST=198.51.100.1 LEN=40 PROTO=UDP SPT=1 DPT=2")  # fmt: skip
    (event,) = parse_text(line, check_age=False).events
    assert event.time == datetime(1000, 1, 2, tzinfo=UTC)


class _Broken:
    """A format whose parser has a bug on some lines."""

    name = "broken"

    def can_parse(self, line: str) -> bool:
        return line.startswith("broken")

    def parse(self, line: str, ctx: object) -> list[ProbeEvent] | None:
        if "boom" in line:
            raise KeyError("a bug")
        return None


def test_a_parser_bug_costs_only_its_line() -> None:
    netfilter = ("Jan 14 10:00:01 gw kernel: DROP IN=eth0 OUT= SRC=203.0.113.7 "
                 "DST=198.51.100.1 LEN=40 PROTO=UDP SPT=1 DPT=2")  # fmt: skip
    text = "\n".join([netfilter, "broken boom", netfilter, "broken boom", "broken fine"])
    result = parse_text(text, parsers=[_Broken(), *PARSERS])
    assert len(result.events) == 2
    assert [(r.reason, r.raw) for r in result.rejected] == [(UNPARSEABLE, "broken boom")] * 2
    assert (result.understood, result.unrecognised) == (2, 1)
    assert result.unrecognised_examples == [(5, "broken fine")]
