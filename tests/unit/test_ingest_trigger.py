"""The S3 -> SQS notification shapes the ingest handler accepts."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from probewatch.local.handlers import load_handler


def app() -> ModuleType:
    return load_handler("ingest")


def notification(*keys: str, event: str = "ObjectCreated:Put") -> dict[str, object]:
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "eventName": event,
                "s3": {"bucket": {"name": "raw-bucket"}, "object": {"key": key, "size": 10}},
            }
            for key in keys
        ]
    }


def test_keys_are_url_decoded() -> None:
    objects = app().s3_objects(notification("raw/a+b%2Bc%C3%A9", "raw/plain"))
    assert objects == [("raw-bucket", "raw/a b+cé"), ("raw-bucket", "raw/plain")]


def test_s3_test_events_and_other_event_types_are_ignored() -> None:
    module = app()
    assert module.s3_objects({"Service": "Amazon S3", "Event": "s3:TestEvent"}) == []
    assert module.s3_objects(notification("raw/x", event="ObjectRemoved:Delete")) == []


def test_the_repo_sample_event_is_understood() -> None:
    import json

    sample = Path(__file__).resolve().parents[2] / "events" / "s3-sqs-ingest.json"
    body = json.loads(json.loads(sample.read_text())["Records"][0]["body"])
    assert app().s3_objects(body)
