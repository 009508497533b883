"""SES notifications that need no table: junk, unknown kinds and transient bounces do nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from probewatch.config import FeedbackSettings
from probewatch.feedback import handle_sns_message

SETTINGS = FeedbackSettings(
    table_name="probewatch-test",
    send_queue_url="https://sqs.us-east-1.amazonaws.com/123456789012/probewatch-send",
    sender_address="reports@probes.example.org",
)
NOW = datetime(2026, 11, 25, tzinfo=UTC)


def test_junk_and_unknown_notifications_are_ignored() -> None:
    assert handle_sns_message("not json", SETTINGS, NOW) == "ignored"
    assert handle_sns_message("[1, 2]", SETTINGS, NOW) == "ignored"
    assert handle_sns_message(json.dumps({"eventType": "Open"}), SETTINGS, NOW) == "ignored"


def test_transient_and_undetermined_bounces_change_nothing() -> None:
    # Sockets are disabled in unit tests: any table access here would fail the test.
    for kind in ("Transient", "Undetermined"):
        event = {"eventType": "Bounce", "bounce": {"bounceType": kind, "bouncedRecipients": []}}
        assert handle_sns_message(json.dumps(event), SETTINGS, NOW) == "transient-bounce"
    legacy = {"notificationType": "Bounce", "bounce": {"bounceType": "Transient"}}
    assert handle_sns_message(json.dumps(legacy), SETTINGS, NOW) == "transient-bounce"
