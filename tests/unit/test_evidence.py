"""Evidence rules: lone SYN/UDP events need corroboration; handshakes and IDS alerts do not."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from probewatch.config import AggregateSettings
from probewatch.evidence import EvidenceRules, independent_reporters, judge_evidence, label_events
from probewatch.model import ProbeEvent

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
RULES = EvidenceRules()  # 3 events over 2 ports or minutes, or 2 independent reporters


def syn(
    minute: int = 0,
    port: int = 22,
    reporter: str = "a@example.org",
    dst: str = "24.60.11.22",
    **kw: Any,
) -> ProbeEvent:
    base = ProbeEvent(
        time=T0 + timedelta(minutes=minute),
        src_ip="81.2.69.142",
        src_port=40000,
        dst_ip=dst,
        dst_port=port,
        proto="TCP",
        action="block",
        format="netfilter",
        raw="x",
        tcp_flags="SYN",
        reporter=reporter,
    )
    return replace(base, **kw)


CASES: list[tuple[bool, str, str, list[ProbeEvent], str]] = [
    (False, "uncorroborated", "syn-only", [syn()], "one lone SYN may be spoofed"),
    (False, "uncorroborated", "syn-only", [syn(), syn(port=23)], "two events are not enough"),
    (
        False,
        "uncorroborated",
        "syn-only",
        [syn(), syn(), syn()],
        "three SYNs, same port, same minute: no spread",
    ),
    (True, "corroborated-volume", "syn-only", [syn(), syn(port=23), syn(port=80)], "three ports"),
    (
        True,
        "corroborated-volume",
        "syn-only",
        [syn(0), syn(1), syn(2)],
        "same port over three minutes",
    ),
    (
        True,
        "corroborated-reporters",
        "syn-only",
        [syn(reporter="a@example.org"), syn(reporter="b@example.net", dst="81.10.0.1")],
        "two independent reporters",
    ),
    (
        False,
        "uncorroborated",
        "syn-only",
        [syn(reporter="a@example.org"), syn(reporter="b@example.net", dst="24.60.11.23")],
        "two reporters behind one /24 are one witness",
    ),
    (
        True,
        "strong-evidence",
        "established",
        [syn(evidence="established", tcp_flags=None)],
        "a completed handshake cannot be spoofed",
    ),
    (
        True,
        "strong-evidence",
        "ids",
        [syn(evidence="ids"), syn(evidence="established")],
        "IDS alert on payload",
    ),
    (False, "uncorroborated", "udp", [syn(proto="UDP", tcp_flags=None)], "one UDP packet"),
    (
        True,
        "corroborated-volume",
        "spoofable",
        [
            syn(),
            syn(proto="UDP", tcp_flags=None, port=53),
            syn(proto="ICMP", port=None, tcp_flags=None),
        ],
        "three mixed spoofable events over two ports",
    ),
    (False, "no-events", "none", [], "nothing left"),
]


@pytest.mark.parametrize(
    ("reportable", "code", "label", "events", "why"), CASES, ids=[c[4] for c in CASES]
)
def test_evidence_rules(
    reportable: bool, code: str, label: str, events: list[ProbeEvent], why: str
) -> None:
    verdict = judge_evidence(events, RULES)
    assert (verdict.reportable, verdict.code, verdict.label) == (reportable, code, label), why
    assert verdict.reason  # every verdict says why, for people


def test_thresholds_come_from_settings() -> None:
    settings = AggregateSettings(
        table_name="probes",
        send_queue_url="https://sqs.example/q",
        min_events_uncorroborated=5,
        min_ports_or_minutes_uncorroborated=3,
    )
    rules = EvidenceRules.from_settings(settings)
    assert rules == EvidenceRules(min_events=5, min_spread=3, min_reporters=2)
    four = [syn(port=p) for p in (22, 23, 80, 443)]
    assert not judge_evidence(four, rules).reportable
    assert judge_evidence([*four, syn(port=8080)], rules).reportable


def test_uncorroborated_reason_names_what_would_be_needed() -> None:
    reason = judge_evidence([syn()], RULES).reason
    assert "spoof" in reason and "2 independent reporters" in reason and "3 events" in reason


def test_independent_reporters_counts_reporters_without_destinations() -> None:
    events = [syn(reporter="a@x.org", dst=None), syn(reporter="b@y.org", dst=None)]
    assert independent_reporters(events) == 2


def test_label_prefers_the_strongest_evidence() -> None:
    assert label_events([syn(), syn(evidence="established")]) == "established"
    assert label_events([syn(evidence="established"), syn(evidence="ids")]) == "ids"
