"""The XARF v4 attachment: schema-valid, only on opt-in, and checked by the report rules.

The schema parts are the repo's own copy (tests/fixtures/xarf/README.md names the source).
"""

from __future__ import annotations

import json
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from test_report_golden import ABUSE, CASES, SENT_AT, SETTINGS

from probewatch.clock import frozen
from probewatch.report import render_report
from probewatch.report_rules import report_violations

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "xarf"


def _validator() -> Draft202012Validator:
    core = json.loads((FIXTURES / "xarf-core.json").read_text())
    port_scan = json.loads((FIXTURES / "connection-port-scan.json").read_text())
    registry: Registry = Registry().with_resources(
        [
            (core["$id"], Resource.from_contents(core)),
            (port_scan["$id"], Resource.from_contents(port_scan)),
        ]
    )
    return Draft202012Validator(
        port_scan, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


VALIDATOR = _validator()


def render(name: str, xarf: bool) -> bytes:
    case, reporters = CASES[name]
    with frozen(SENT_AT):
        return render_report(case, ABUSE, SETTINGS, reporters, xarf=xarf).as_bytes()


def xarf_document(raw: bytes) -> dict[str, Any]:
    msg = message_from_bytes(raw, policy=policy.default)
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "application/json"]
    return dict(json.loads(parts[1].get_payload(decode=True)))


@pytest.mark.parametrize("name", sorted(CASES))
def test_attached_xarf_is_valid_against_the_v4_port_scan_schema(name: str) -> None:
    raw = render(name, xarf=True)
    document = xarf_document(raw)
    errors = sorted(VALIDATOR.iter_errors(document), key=str)
    assert errors == [], [e.message for e in errors]
    case, reporters = CASES[name]
    assert document["source_identifier"] == case.src_ip
    assert document["category"] == "connection" and document["type"] == "port_scan"
    assert "destination_ip" not in document  # destinations are only ever shown masked
    anonymous = [r.email for r in reporters if not r.identify]
    assert report_violations(raw, forbidden=anonymous, allow_xarf=True) == []


def test_the_schema_copy_really_rejects_what_v4_forbids() -> None:
    document = xarf_document(render("syn_only", xarf=True))
    for broken in (
        {k: v for k, v in document.items() if k != "source_port"},  # IP source needs a port
        {**document, "category": "messaging"},
        {**document, "protocol": "TCP"},
        {**document, "report_id": "PW-20261125-0a1b2c3d"},  # not a UUID
        {**document, "reporter": {"org": "x", "contact": "not an address", "domain": "x.org"}},
        {k: v for k, v in document.items() if k != "sender"},
    ):
        assert list(VALIDATOR.iter_errors(broken)), broken


def test_plain_text_stays_the_default() -> None:
    raw = render("syn_only", xarf=False)
    msg = message_from_bytes(raw, policy=policy.default)
    assert not msg.is_multipart() and msg.get_content_type() == "text/plain"
    assert b"application/json" not in raw


def test_text_part_is_the_same_report_with_or_without_xarf() -> None:
    plain = message_from_bytes(render("udp", xarf=False), policy=policy.default)
    mixed = message_from_bytes(render("udp", xarf=True), policy=policy.default)
    first = next(mixed.iter_parts())
    assert first.get_content() == plain.get_content()
    assert first.get("Content-Disposition") is None


def test_xarf_rendering_is_reproducible() -> None:
    assert render("many_events", xarf=True) == render("many_events", xarf=True)


def test_rules_refuse_an_attachment_the_mailbox_did_not_ask_for() -> None:
    raw = render("syn_only", xarf=True)
    problems = report_violations(raw)
    assert any("not a single text/plain part" in p for p in problems)


def _tampered(raw: bytes, change: dict[str, Any]) -> bytes:
    msg = message_from_bytes(raw, policy=policy.default)
    parts = list(msg.iter_parts())
    document = {**json.loads(parts[1].get_payload(decode=True)), **change}
    parts[1].set_content(
        json.dumps(document, indent=2).encode(),
        maintype="application",
        subtype="json",
        cte="7bit",
        filename=parts[1].get_filename(),
    )
    return msg.as_bytes()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"destination_ip": "203.0.113.9"}, "names a destination address"),
        ({"source_identifier": "198.51.100.1"}, "source_identifier is not the subject's"),
        ({"type": "ddos"}, "not category connection / type port_scan"),
        ({"description": "seen by 198.51.100.77"}, "another address appears: 198.51.100.77"),
    ],
)
def test_rules_check_what_the_xarf_part_says(change: dict[str, Any], expected: str) -> None:
    raw = _tampered(render("syn_only", xarf=True), change)
    problems = report_violations(raw, allow_xarf=True)
    assert any(expected in p for p in problems), problems


def test_rules_refuse_a_third_part() -> None:
    msg = message_from_bytes(render("syn_only", xarf=True), policy=policy.default)
    msg.add_attachment(b"hello", maintype="application", subtype="octet-stream", filename="x.bin")
    problems = report_violations(msg.as_bytes(), allow_xarf=True)
    assert any("3 parts" in p for p in problems), problems


def test_no_attachment_when_no_valid_xarf_exists() -> None:
    case, reporters = CASES["syn_only"]
    lines = [type(line)(**{**_fields(line), "src_port": None}) for line in case.evidence_lines]
    from dataclasses import replace

    portless = replace(case, evidence_lines=lines)
    with frozen(SENT_AT):
        raw = render_report(portless, ABUSE, SETTINGS, reporters, xarf=True).as_bytes()
    assert not message_from_bytes(raw, policy=policy.default).is_multipart()


def _fields(line: object) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(line)  # type: ignore[call-overload]
