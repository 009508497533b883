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
RULES = EvidenceRules()  # the default: 2 independent reporters, or a handshake / IDS alert
# Where the operator lets one reporter's volume count: 3 events over 2 ports or minutes.
VOLUME = EvidenceRules(single_reporter_volume=True)


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
    # Issue 12: one reporter's SYNs, however many, could all come from a forger.
    (
        False,
        "uncorroborated",
        "syn-only",
        [syn(), syn(port=23), syn(port=80)],
        "three ports from one reporter are not enough by default",
    ),
    (
        False,
        "uncorroborated",
        "syn-only",
        [syn(m, port=p) for m in range(10) for p in (22, 23, 80, 445)],
        "forty SYNs from one reporter are not enough by default",
    ),
    (
        False,
        "uncorroborated",
        "udp",
        [syn(m, proto="UDP", tcp_flags=None, port=p) for m, p in ((0, 53), (1, 123), (2, 161))],
        "one reporter's UDP packets are not enough by default",
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


VOLUME_CASES: list[tuple[bool, str, str, list[ProbeEvent], str]] = [
    (True, "corroborated-volume", "syn-only", [syn(), syn(port=23), syn(port=80)], "three ports"),
    (True, "corroborated-volume", "syn-only", [syn(0), syn(1), syn(2)], "one port, three minutes"),
    (False, "uncorroborated", "syn-only", [syn(), syn(), syn()], "no spread"),
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
]


@pytest.mark.parametrize(
    ("reportable", "code", "label", "events", "why"), VOLUME_CASES, ids=[c[4] for c in VOLUME_CASES]
)
def test_single_reporter_volume_counts_only_when_turned_on(
    reportable: bool, code: str, label: str, events: list[ProbeEvent], why: str
) -> None:
    verdict = judge_evidence(events, VOLUME)
    assert (verdict.reportable, verdict.code, verdict.label) == (reportable, code, label), why
    assert not judge_evidence(events, RULES).reportable  # never by default


def test_the_default_comes_from_settings_and_can_be_turned_on() -> None:
    base = {
        "table_name": "probes",
        "send_queue_url": "https://sqs.example/q",
        "sender_address": "probewatch@probes.example",
    }
    assert EvidenceRules.from_settings(AggregateSettings(**base)) == EvidenceRules()
    assert not EvidenceRules().single_reporter_volume
    on = AggregateSettings(**base, single_reporter_volume=True, min_independent_reporters=3)
    assert EvidenceRules.from_settings(on) == EvidenceRules(
        min_reporters=3, single_reporter_volume=True
    )


def test_thresholds_come_from_settings() -> None:
    settings = AggregateSettings(
        table_name="probes",
        send_queue_url="https://sqs.example/q",
        sender_address="probewatch@probes.example",
        min_events_uncorroborated=5,
        min_ports_or_minutes_uncorroborated=3,
        single_reporter_volume=True,
    )
    rules = EvidenceRules.from_settings(settings)
    assert rules == EvidenceRules(
        min_events=5, min_spread=3, min_reporters=2, single_reporter_volume=True
    )
    four = [syn(port=p) for p in (22, 23, 80, 443)]
    assert not judge_evidence(four, rules).reportable
    assert judge_evidence([*four, syn(port=8080)], rules).reportable


def test_uncorroborated_reason_names_what_would_be_needed() -> None:
    reason = judge_evidence([syn()], RULES).reason
    assert "spoof" in reason and "2 independent reporters" in reason and "handshake" in reason
    assert "3 events" not in reason  # volume is no way out by default
    assert "3 events" in judge_evidence([syn()], VOLUME).reason


def test_independent_reporters_counts_reporters_without_destinations() -> None:
    events = [syn(reporter="a@x.org", dst=None), syn(reporter="b@y.org", dst=None)]
    assert independent_reporters(events) == 2


def test_label_prefers_the_strongest_evidence() -> None:
    assert label_events([syn(), syn(evidence="established")]) == "established"
    assert label_events([syn(evidence="established"), syn(evidence="ids")]) == "ids"
