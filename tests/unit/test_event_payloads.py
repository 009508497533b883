"""Every trigger payload in events/*.json (for `sam local invoke`) is one its function
accepts: the Powertools model of its trigger validates it, and the function's own reading
of the record (S3 keys, send-queue body, scheduled time, SES event and its incident) finds
what the function needs. Pure: no AWS."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel, SnsModel, SqsModel

from probewatch.model import parse_iso
from probewatch.report import INCIDENT_ID_RE

REPO = Path(__file__).resolve().parents[2]
EVENTS = REPO / "events"


def app(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        f"payload_test_{name}", REPO / "functions" / name / "app.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_ingest(event: dict[str, Any]) -> None:
    records = SqsModel.model_validate(event).Records
    found = [pair for r in records for pair in app("ingest").s3_objects(json.loads(r.body))]
    assert found and all(bucket and key.startswith("raw/") for bucket, key in found)


def check_send(event: dict[str, Any]) -> None:
    for record in SqsModel.model_validate(event).Records:
        body = json.loads(record.body)
        assert INCIDENT_ID_RE.fullmatch(body["incident_id"]), body
        assert isinstance(body["attempt"], int) and body["attempt"] >= 0


def check_schedule(event: dict[str, Any]) -> None:
    EventBridgeModel.model_validate(event)
    assert parse_iso(event["time"]) is not None  # aggregate and digest run "as of" this time


def check_ses_event(event: dict[str, Any]) -> None:
    from probewatch.feedback import _sent_message

    for record in SnsModel.model_validate(event).Records:
        ses = json.loads(record.Sns.Message)
        assert ses["eventType"] in ("Bounce", "Complaint", "Delivery")
        # The tags the send function sets lead feedback to the incident without a lookup.
        tags = ses["mail"].get("tags") or {}
        assert tags.get("incident") and tags.get("attempt"), tags
        sent = _sent_message("unused-table", ses["mail"])
        assert sent is not None
        incident_id, attempt = sent
        assert INCIDENT_ID_RE.fullmatch(incident_id) and attempt >= 0
        assert ses["mail"]["commonHeaders"]["subject"].endswith(f"[{incident_id}]")


CHECKS = {
    "s3-sqs-ingest.json": check_ingest,
    "sqs-send.json": check_send,
    "schedule-aggregate.json": check_schedule,
    "schedule-digest.json": check_schedule,
    "sns-ses-bounce.json": check_ses_event,
    "sns-ses-complaint.json": check_ses_event,
    "sns-ses-delivery.json": check_ses_event,
}


def test_every_payload_has_a_check() -> None:
    assert sorted(p.name for p in EVENTS.glob("*.json")) == sorted(CHECKS)


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_payload_is_accepted_by_its_trigger_parsing(name: str) -> None:
    CHECKS[name](json.loads((EVENTS / name).read_text()))
