"""Evidence rules: how much a set of events proves, honestly.

A blocked TCP SYN, a UDP packet or an ICMP message carries a source address nobody checked:
it may be forged. An incident made only of such events is reportable only when corroborated
by independent reporters (default 2: different reporters whose destinations are not in the
same /24, or IPv6 /48 — two people behind one router are one witness).
A completed handshake ("established": the parser saw the connection set up, e.g. conntrack
ESTABLISHED, an ASA teardown with bytes, an allowed session's data) or an IDS alert on
payload ("ids") cannot come from a forged address: one such event is enough, and the report
says the evidence is stronger.

Volume from ONE reporter (many SYNs over several ports or minutes) proves nothing about the
source address: a forger can send as many packets as it likes. It corroborates only where
the operator turns `single_reporter_volume` on (then: at least `min_events` events over at
least `min_spread` distinct destination ports or minutes).

Settings live in AggregateSettings (PROBEWATCH_MIN_INDEPENDENT_REPORTERS,
PROBEWATCH_SINGLE_REPORTER_VOLUME, PROBEWATCH_MIN_EVENTS_UNCORROBORATED,
PROBEWATCH_MIN_PORTS_OR_MINUTES_UNCORROBORATED). The verdict's reason is the incident's
decision, and is shown in the report and the reporter's digest.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from probewatch.model import ProbeEvent

STRONG = ("ids", "established")


@dataclass(frozen=True)
class EvidenceRules:
    min_events: int = 3
    min_spread: int = 2
    min_reporters: int = 2
    single_reporter_volume: bool = False

    @classmethod
    def from_settings(cls, settings: object) -> EvidenceRules:
        return cls(
            min_events=int(getattr(settings, "min_events_uncorroborated", cls.min_events)),
            min_spread=int(
                getattr(settings, "min_ports_or_minutes_uncorroborated", cls.min_spread)
            ),
            min_reporters=int(getattr(settings, "min_independent_reporters", cls.min_reporters)),
            single_reporter_volume=bool(
                getattr(settings, "single_reporter_volume", cls.single_reporter_volume)
            ),
        )


@dataclass(frozen=True)
class EvidenceVerdict:
    reportable: bool
    label: str  # "ids", "established", "syn-only", "udp", "spoofable", "none"
    code: str  # "strong-evidence", "corroborated-reporters", "corroborated-volume", "uncorroborated", "no-events"
    reason: str  # one sentence for people (digest, operator)


def label_events(events: Sequence[ProbeEvent]) -> str:
    """The report's evidence label (report.py explains each one to the abuse desk)."""
    kinds = {e.evidence for e in events}
    if "ids" in kinds:
        return "ids"
    if "established" in kinds:
        return "established"
    protos = {e.proto for e in events}
    if protos == {"TCP"}:
        return "syn-only"
    if protos == {"UDP"}:
        return "udp"
    return "spoofable" if events else "none"


def independent_reporters(events: Sequence[ProbeEvent]) -> int:
    """Reporters that are separate witnesses: distinct emails whose destinations do not share
    a /24 (IPv6 /48). A reporter without a usable destination counts on their own."""
    sites: dict[str, set[str]] = {}
    for event in events:
        if event.reporter:
            sites.setdefault(event.reporter.lower(), set()).add(_site(event.dst_ip))
    witnesses: list[set[str]] = []
    for reporter_sites in sites.values():
        known = reporter_sites - {""}
        if known and any(known & other for other in witnesses):
            continue  # same household (or same office) as a reporter already counted
        witnesses.append(known)
    return len(witnesses)


def judge_evidence(events: Sequence[ProbeEvent], rules: EvidenceRules) -> EvidenceVerdict:
    """Decide whether the kept (unfiltered) events of one source may be reported."""
    label = label_events(events)
    if not events:
        return EvidenceVerdict(False, "none", "no-events", "no events left after the filters")
    strong = [e for e in events if e.evidence in STRONG]
    if strong:
        what = "an IDS alert on payload" if label == "ids" else "a completed TCP handshake"
        return EvidenceVerdict(
            True, label, "strong-evidence", f"stronger evidence: {what} cannot be spoofed"
        )
    witnesses = independent_reporters(events)
    if witnesses >= rules.min_reporters:
        return EvidenceVerdict(
            True,
            label,
            "corroborated-reporters",
            f"{len(events)} spoofable events seen by {witnesses} independent reporters",
        )
    ports = {e.dst_port for e in events if e.dst_port is not None}
    minutes = {e.time.replace(second=0, microsecond=0) for e in events if e.time is not None}
    spread = max(len(ports), len(minutes))
    volume = len(events) >= rules.min_events and spread >= rules.min_spread
    if volume and rules.single_reporter_volume:
        return EvidenceVerdict(
            True,
            label,
            "corroborated-volume",
            f"{len(events)} spoofable events over {len(ports)} destination ports "
            f"and {len(minutes)} distinct minutes",
        )
    needs = f"needs {rules.min_reporters} independent reporters or a completed handshake/IDS alert"
    if rules.single_reporter_volume:
        needs += f", or {rules.min_events} events over {rules.min_spread} ports or minutes"
    return EvidenceVerdict(
        False,
        label,
        "uncorroborated",
        f"only {len(events)} spoofable event(s) (blocked SYN/UDP/ICMP) over {len(ports)} port(s) "
        f"and {len(minutes)} minute(s) from {witnesses} independent reporter(s): the source "
        f"address may be forged; {needs}",
    )


def _site(ip: str | None) -> str:
    if not ip:
        return ""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return ""
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))
