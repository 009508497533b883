"""Rendered abuse reports, compared byte for byte with the repo's golden files.

Regenerate after an intended wording change with
`UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/unit/test_report_golden.py` and review the diff.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from probewatch.clock import frozen
from probewatch.config import SendSettings
from probewatch.model import Contact, EvidenceLine, Incident, Reporter
from probewatch.report import render_report
from probewatch.report_rules import report_violations

GOLDEN = Path(__file__).parent / "golden"
SENT_AT = datetime(2026, 11, 26, 4, 0, 0, tzinfo=UTC)
SETTINGS = SendSettings(
    table_name="probewatch-test",
    send_queue_url="https://sqs.us-east-1.amazonaws.com/123456789012/probewatch-send",
    sender_address="reports@probes.example.org",
    reply_to_address="replies@probes.example.org",
    configuration_set="probewatch-outbound",
)
ABUSE = Contact(email="abuse@isp.example", source="rdap", confidence=0.9)
T0 = datetime(2026, 11, 25, 3, 14, 7, tzinfo=UTC)


def line(
    seconds: int,
    *,
    src: str = "45.155.205.12",
    sport: int | None = 51234,
    dst: str | None = "203.0.0.0/16 (masked)",
    dport: int | None = 23,
    proto: str = "TCP",
    flags: str | None = "SYN",
    reporter: int = 1,
) -> EvidenceLine:
    when = (T0 + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return EvidenceLine(when, proto, src, sport, dst, dport, flags, "block", reporter)


def incident(lines: list[EvidenceLine], reporters: list[str], **overrides: object) -> Incident:
    times = sorted(datetime.fromisoformat(e.time.replace("Z", "+00:00")) for e in lines)
    values: dict[str, object] = dict(
        incident_id="PW-20261125-0a1b2c3d",
        src_ip=lines[0].src_ip,
        status="queued",
        opened_at=times[0],
        first_seen=times[0],
        last_seen=times[-1],
        event_count=len(lines),
        reporters=reporters,
        evidence="unknown",
        evidence_lines=lines,
        contacts=[ABUSE],
        ptr="scan-12.hosting.example.",
        network={"cidr": "45.155.204.0/22", "name": "HOSTING-EXAMPLE-NET"},
    )
    values.update(overrides)
    return Incident(**values)  # type: ignore[arg-type]


ALICE, BOB, CAROL = "alice@home.example", "bob@mail.example", "carol@corp.example"

CASES: dict[str, tuple[Incident, list[Reporter]]] = {
    "single_event": (
        incident(
            [line(0, flags="ACK PSH")],
            [ALICE],
            evidence="established",
            decision_code="strong-evidence",
        ),
        [Reporter(ALICE)],
    ),
    "many_events": (
        incident(
            [
                line(n * 61, sport=40000 + n, dport=[22, 23, 80, 443, 2323, 3389][n % 6])
                for n in range(12)
            ],
            [ALICE],
            evidence="ids",
            decision_code="strong-evidence",
        ),
        [Reporter(ALICE)],
    ),
    "several_reporters": (
        incident(
            [
                line(0, reporter=1),
                line(95, dst="198.51.0.0/16 (masked)", dport=2323, reporter=2),
                line(
                    3600, dst="192.0.0.0 (masked)", dport=8080, reporter=3, flags=None, proto="UDP"
                ),
            ],
            [ALICE, BOB, CAROL],
            evidence="mixed",
            decision_code="corroborated-reporters",
        ),
        [Reporter(ALICE), Reporter(BOB, identify=True), Reporter(CAROL)],
    ),
    "ipv6": (
        incident(
            [
                line(0, src="2001:db8:4:1::be", dst="2001:db8:77::/48", dport=22),
                line(5, src="2001:db8:4:1::be", sport=51300, dst="2001:db8:77::/48", dport=23),
            ],
            [ALICE],
            evidence="syn-only",
            decision_code="corroborated-volume",
            ptr=None,
            network={"cidr": "2001:db8:4::/48", "name": "V6-EXAMPLE"},
        ),
        [Reporter(ALICE)],
    ),
    "syn_only": (
        incident(
            [line(0), line(2, sport=51240), line(9, sport=51301, dport=2323)],
            [ALICE],
            evidence="syn-only",
            decision_code="corroborated-volume",
        ),
        [Reporter(ALICE)],
    ),
    "udp": (
        incident(
            [
                line(0, proto="UDP", flags=None, dport=5060),
                line(30, proto="UDP", flags=None, dport=5060),
            ],
            [ALICE],
            evidence="udp",  # no decision code: the report says so rather than guess
        ),
        [Reporter(ALICE)],
    ),
    "three_octets": (
        incident(
            # Stored before destinations carried a prefix: the report infers the widest one.
            [line(0, dst="203.0.0.0"), line(4, dst="198.0.0.0 (masked)", dport=445)],
            [ALICE, BOB],
            evidence="syn-only",
            decision_code="corroborated-reporters",
        ),
        [Reporter(ALICE, mask_octets=3), Reporter(BOB, mask_octets=3)],
    ),
}


def render(name: str) -> bytes:
    case, reporters = CASES[name]
    with frozen(SENT_AT):
        return render_report(case, ABUSE, SETTINGS, reporters).as_bytes()


@pytest.mark.parametrize("name", sorted(CASES))
def test_report_matches_golden_file(name: str) -> None:
    text = render(name).decode("ascii").replace("\r\n", "\n")
    path = GOLDEN / f"report_{name}.eml"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="ascii")
    assert path.exists(), f"missing golden file {path}; run with UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="ascii")


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_golden_case_meets_every_rule(name: str) -> None:
    case, reporters = CASES[name]
    anonymous = [r.email for r in reporters if not r.identify]
    assert report_violations(render(name), forbidden=anonymous) == []


def test_spoofing_note_only_where_the_evidence_can_be_forged() -> None:
    def flat(name: str) -> str:
        return " ".join(render(name).decode("ascii").split())

    warning = "so this traffic may not have come from your network"
    for name in ("syn_only", "udp", "ipv6", "three_octets", "several_reporters"):
        assert warning in flat(name), name
    for name in ("single_event", "many_events"):
        assert warning not in flat(name), name
    assert "Stronger evidence: at least one of these connections completed" in flat("single_event")
    assert "Stronger evidence: an intrusion detection system" in flat("many_events")


def test_opted_in_reporter_is_named_and_the_others_are_not() -> None:
    text = render("several_reporters").decode("ascii")
    assert BOB in text
    assert ALICE not in text and CAROL not in text
    assert "Independent reporters: 3" in text


def test_masked_destinations_carry_their_prefix_length() -> None:
    """Issue 19: a desk reads `203.0.0.0/8 (masked)`, never a bare 203.0.0.0."""
    assert "-> 203.0.0.0/16 (masked)" in render("syn_only").decode("ascii")
    assert "-> 2001:db8:77::/48 (masked)" in render("ipv6").decode("ascii")
    three = render("three_octets").decode("ascii")
    assert "-> 203.0.0.0/8 (masked)" in three and "-> 198.0.0.0/8 (masked)" in three
    assert "0.0 (masked)" not in three.replace("0.0/8 (masked)", "")


def test_every_report_says_how_to_opt_out_in_one_line() -> None:
    for name in CASES:
        lines = render(name).decode("ascii").replace("\r\n", "\n").split("\n")
        assert "Reply OPT-OUT to receive no more reports about your network." in lines, name


def test_every_report_says_how_the_evidence_was_judged() -> None:
    def judged(name: str) -> str:
        flat = " ".join(render(name).decode("ascii").split())
        assert flat.count("How the evidence was judged:") == 1, name
        return flat.split("How the evidence was judged: ", 1)[1].split(". ", 1)[0]

    assert judged("single_event") == (
        "not spoofable (a completed TCP handshake): 1 event from 1 reporter"
    )
    assert judged("many_events").startswith("not spoofable (an IDS matched the payload)")
    assert judged("several_reporters") == (
        "spoofable (lone SYN/UDP packets), corroborated by 3 independent reporters (3 events)"
    )
    assert judged("syn_only") == (
        "spoofable (lone SYN/UDP packets), corroborated by volume: 3 events from 1 reporter "
        "over 2 destination ports and 1 minute"
    )
