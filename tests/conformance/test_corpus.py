"""Conformance: per corpus folder, how many expected fields our parsers get right.

Every folder of ../shared/corpus is its own test. Folders with expectations must reach
THRESHOLD of their expected fields (src/dst address and port, protocol, time where upstream
gives them; see corpus_expectations.py). A folder whose format no registered parser claims
yet is xfailed, naming the missing format, instead of failing the suite. Folders without
expectations must still yield events. Ports upstream gave ICMP lines (ids, codes) are not
scored: ICMP has no ports in our model. An expected value that cannot exist (port 123123)
scores as right only when the line is rejected. Run with `-s` to see the accuracy table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from corpus_expectations import (
    SCORED,
    field_matches,
    folders,
    has_expectations,
    impossible,
    load,
    log_files,
    portless,
)

from probewatch.parsers import parse_text
from probewatch.parsers.registry import PARSERS

THRESHOLD = 0.97
CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"

# Which registered format names can serve each folder (any one of them).
FOLDER_FORMATS: dict[str, tuple[str, ...]] = {
    "crowdsec-hub/cef-logs": ("cef",),
    "crowdsec-hub/unifi-cef": ("cef",),
    "crowdsec-hub/palo-alto-threat": ("paloalto", "palo-alto"),
    "crowdsec-hub/suricata-logs-fastlog": ("suricata", "suricata-fast", "snort-fast"),
    "crowdsec-hub/suricata-logs-evelog": ("suricata", "suricata-eve"),
    "elastic-cisco_asa": ("cisco-asa",),
    "elastic-fortinet_fortigate": ("fortigate",),
    "elastic-checkpoint": ("checkpoint",),
    "elastic-juniper_srx": ("juniper-srx",),
    "elastic-sonicwall_firewall": ("sonicwall",),
    "elastic-cisco_meraki": ("cisco-meraki", "meraki"),
}

_ALL = folders(CORPUS) if (CORPUS / "SUMMARY.tsv").exists() else []


def _score(folder: str) -> tuple[int, int, list[str]]:
    right = total = 0
    misses: list[str] = []
    for case in load(CORPUS, folder):
        result = parse_text(case.line, tz=case.tz, check_age=False)
        ours = [event.to_json() for event in result.events]
        where = f"{case.log.name}:{case.line_no}"
        for index, spec in enumerate(case.events):
            if impossible(spec):
                # Upstream copied an impossible value (port 123123): the line must be rejected.
                total += 1
                if result.rejected and not ours:
                    right += 1
                elif len(misses) < 8:
                    misses.append(f"{where}: impossible value {spec}, expected a rejection")
                continue
            actual: dict[str, Any] = ours[index] if index < len(ours) else {}
            for name in SCORED:
                if name not in spec or (name in ("src_port", "dst_port") and portless(spec)):
                    continue
                total += 1
                if actual and field_matches(name, spec[name], actual, spec):
                    right += 1
                elif len(misses) < 8:
                    got = actual.get(name, "<no event>") if actual else "<no event>"
                    misses.append(f"{where} {name}: expected {spec[name]!r}, got {got!r}")
    return right, total, misses


@pytest.mark.parametrize("folder", _ALL)
def test_folder_accuracy(folder: str, shared_dir: Path) -> None:
    registered = {parser.name for parser in PARSERS}
    wanted = FOLDER_FORMATS.get(folder)
    missing_format = wanted is not None and not registered.intersection(wanted)
    if not has_expectations(CORPUS, folder):
        events = sum(
            len(parse_text(path.read_text(errors="replace"), check_age=False).events)
            for path in log_files(CORPUS, folder)
        )
        print(f"\n{folder}: no expectations; {events} events")
        assert events > 0, f"{folder}: no events from a firewall log"
        return
    right, total, misses = _score(folder)
    accuracy = right / total if total else 1.0
    print(f"\n{folder}: {right}/{total} expected fields right ({accuracy:.1%})")
    for miss in misses:
        print(f"    {miss}")
    if accuracy < THRESHOLD and missing_format:
        pytest.xfail(f"no parser registered for {wanted}")
    if total == 0:
        pytest.skip(f"{folder}: upstream expectations name no connection fields")
    assert accuracy >= THRESHOLD, f"{folder}: {accuracy:.1%} < {THRESHOLD:.0%}\n" + "\n".join(
        misses
    )
