"""Issue 2: one settings model per function; a missing or malformed setting fails with a
message naming it, and no AWS name has a default."""

from __future__ import annotations

import os

import pytest

from probewatch.config import (
    AggregateSettings,
    DigestSettings,
    FeedbackSettings,
    IngestSettings,
    SendSettings,
    load,
)
from probewatch.errors import ConfigError

MODELS = [IngestSettings, AggregateSettings, SendSettings, DigestSettings, FeedbackSettings]


@pytest.fixture(autouse=True)
def bare_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("PROBEWATCH_"):
            monkeypatch.delenv(name)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_nothing_set_names_every_required_setting(model: type) -> None:
    required = [
        "PROBEWATCH_" + name.upper()
        for name, field in model.model_fields.items()
        if field.is_required()
    ]
    assert "PROBEWATCH_TABLE_NAME" in required
    with pytest.raises(ConfigError) as caught:
        load(model)
    for name in required:
        assert name in str(caught.value), (name, str(caught.value))


def test_a_malformed_value_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROBEWATCH_TABLE_NAME", "probewatch-probes")
    monkeypatch.setenv("PROBEWATCH_INBOUND_ADDRESS", "alerts@probewatch.example")
    monkeypatch.setenv("PROBEWATCH_SENDER_ADDRESS", "reports@probewatch.example")
    monkeypatch.setenv("PROBEWATCH_MAX_PARTS", "many")
    with pytest.raises(ConfigError, match="PROBEWATCH_MAX_PARTS"):
        load(IngestSettings)
    monkeypatch.setenv("PROBEWATCH_MAX_PARTS", "50")
    assert load(IngestSettings).max_parts == 50


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_no_aws_name_has_a_default(model: type) -> None:
    aws_names = [
        n
        for n in model.model_fields
        if n.endswith(("table_name", "queue_url", "_address", "configuration_set", "bucket"))
    ]
    defaulted = [n for n in aws_names if not model.model_fields[n].is_required()]
    assert defaulted == []
