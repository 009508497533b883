"""The S3 -> SQS notification shapes the ingest handler accepts."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

APP = Path(__file__).resolve().parents[2] / "functions" / "ingest" / "app.py"


def app() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ingest_app_unit", APP)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
