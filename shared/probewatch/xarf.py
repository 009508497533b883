"""The XARF v4 copy of a report (category "connection", type "port_scan"), for desks that opt in.

Built from the same parsed incident fields as the plain text, per the xarf-spec v4 schemas
(github.com/xarf/xarf-spec: schemas/v4/xarf-core.json and types/connection-port-scan.json;
the repo's test fixture tests/fixtures/xarf/ holds the parts we validate against). What we
leave out on purpose: `destination_ip` (the schema wants an exact address; reports only ever
show masked destinations) and `evidence` payloads (the evidence lines are in the text part,
and base64 there would hide them from the report checker). `source_port` and
`destination_port` are those of the first event; every event is in the text part.

`xarf_report` returns None when no schema-valid copy can be made (no event with a source
port, or a protocol XARF's port_scan does not know): the desk then gets the plain text only.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from probewatch.model import EvidenceLine, Incident, iso_z

XARF_VERSION = "4.0.0"
# Stable per incident, so a desk's tooling sees a re-sent report (next mailbox) as the same.
_REPORT_NAMESPACE = uuid.UUID("4f1d1a52-6c3e-4f7b-9a57-70726f626577")
_PROTOCOLS = {"TCP": "tcp", "UDP": "udp", "ICMP": "icmp", "SCTP": "sctp"}
# How far the evidence goes, from the aggregate's decision code (evidence.py): a handshake or
# an IDS match cannot be forged; independent reporters beat one reporter's volume.
CONFIDENCE = {
    "strong-evidence": 0.9,
    "corroborated-reporters": 0.75,
    "corroborated-volume": 0.6,
}
DEFAULT_CONFIDENCE = 0.5


def attachment_name(incident_id: str) -> str:
    return f"xarf-{incident_id}.json"


def xarf_report(
    incident: Incident, *, sender_name: str, contact: str, judged: str
) -> dict[str, Any] | None:
    """The XARF document for `incident`, or None when a valid one cannot be made."""
    first = _first_line(incident)
    if first is None or first.src_port is None or not 1 <= first.src_port <= 65535:
        return None
    protocol = _PROTOCOLS.get((first.proto or "").upper())
    if protocol is None:
        return None
    domain = contact.rpartition("@")[2].lower()
    party = {"org": sender_name, "contact": contact, "domain": domain}
    report: dict[str, Any] = {
        "xarf_version": XARF_VERSION,
        "report_id": str(uuid.uuid5(_REPORT_NAMESPACE, incident.incident_id)),
        "timestamp": iso_z(incident.first_seen),
        "reporter": dict(party),
        "sender": dict(party),
        "source_identifier": incident.src_ip,
        "source_port": first.src_port,
        "category": "connection",
        "type": "port_scan",
        "protocol": protocol,
        "first_seen": iso_z(incident.first_seen),
        "last_seen": iso_z(incident.last_seen),
        "evidence_source": "firewall_logs",
        "confidence": CONFIDENCE.get(incident.decision_code, DEFAULT_CONFIDENCE),
        "description": judged[:1000],
        "reporter_reference_id": incident.incident_id,
    }
    if first.dst_port is not None and 1 <= first.dst_port <= 65535:
        report["destination_port"] = first.dst_port
    return report


def xarf_json(report: dict[str, Any]) -> str:
    """ASCII only and short lines, so the part can travel as 7bit and be checked as text."""
    return json.dumps(report, indent=2, ensure_ascii=True, sort_keys=False) + "\n"


def _first_line(incident: Incident) -> EvidenceLine | None:
    lines = sorted(incident.evidence_lines, key=lambda line: (line.time, line.reporter_no))
    return next((line for line in lines if line.src_port is not None), lines[0] if lines else None)
