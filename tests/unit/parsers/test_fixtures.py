"""Fixture-driven parser tests, generated from the registry (see fixtures/README.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from probewatch.model import parse_iso
from probewatch.parsers import parse_text
from probewatch.parsers.registry import PARSERS

FIXTURES = Path(__file__).parent / "fixtures"
YEAR_REFERENCE = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


@dataclass
class Sample:
    folder: str
    where: str  # file:line, for failure messages
    data: dict[str, Any]

    @property
    def text(self) -> str:
        if "lines" in self.data:
            return "\n".join(self.data["lines"])
        return self.data["line"]

    @property
    def kind(self) -> str:
        if self.data.get("match") is False:
            return "negative"
        if "reject" in self.data:
            return "reject"
        return "positive"


def _samples() -> list[Sample]:
    found = []
    for path in sorted(FIXTURES.glob("*/*.jsonl")):
        for number, raw in enumerate(path.read_text().splitlines(), 1):
            if not raw.strip() or raw.lstrip().startswith("//"):
                continue
            where = f"{path.relative_to(FIXTURES)}:{number}"
            try:
                data = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise AssertionError(f"{where}: not JSON: {exc}") from exc
            found.append(Sample(path.parent.name, where, data))
    return found


SAMPLES = _samples()
FORMAT_FOLDERS = {p.name for p in FIXTURES.iterdir() if p.is_dir() and not p.name.startswith("_")}


def test_registry_is_not_empty() -> None:
    assert len(PARSERS) >= 10, "the registry lost its parsers: discovery would test nothing"
    assert SAMPLES, "no fixture samples found"


@pytest.mark.parametrize("parser", PARSERS, ids=lambda p: p.name)
def test_every_registered_parser_has_fixtures(parser: Any) -> None:
    kinds = {s.kind for s in SAMPLES if s.folder == parser.name}
    assert parser.name in FORMAT_FOLDERS, (
        f"no fixture folder tests/unit/parsers/fixtures/{parser.name}/"
    )
    assert "positive" in kinds, f"{parser.name}: no sample with expected fields"
    assert "negative" in kinds, f'{parser.name}: no negative sample ("match": false)'


def test_every_fixture_folder_names_a_registered_parser() -> None:
    names = {p.name for p in PARSERS}
    assert names >= FORMAT_FOLDERS, f"fixture folders without a parser: {FORMAT_FOLDERS - names}"


def test_parser_names_are_unique() -> None:
    names = [p.name for p in PARSERS]
    assert len(names) == len(set(names))


def _parse(sample: Sample):  # type: ignore[no-untyped-def]
    received = sample.data.get("received_at")
    return parse_text(
        sample.text,
        tz=sample.data.get("tz", "UTC"),
        received_at=parse_iso(received) if received else YEAR_REFERENCE,
        check_age=received is not None,
        reporter="reporter@example.org",
    )


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.where)
def test_sample(sample: Sample) -> None:
    result = _parse(sample)
    shown = f"{sample.where}\n  sample: {sample.text!r}"
    if sample.data.get("note"):
        shown += f"\n  note: {sample.data['note']}"
    actual = [e.to_json() for e in result.events]
    if sample.kind == "negative":
        assert not actual, f"{shown}\n  expected no event, got {actual}"
        return
    if sample.kind == "reject":
        reasons = [(r.reason, r.format) for r in result.rejected]
        assert not actual, f"{shown}\n  expected rejection, got events {actual}"
        assert (sample.data["reject"], sample.folder) in reasons, (
            f"{shown}\n  expected rejection {sample.data['reject']!r} by {sample.folder}, got {reasons}"
        )
        return
    expected = sample.data.get("events") or [sample.data["expect"]]
    assert len(actual) == len(expected), (
        f"{shown}\n  expected {len(expected)} event(s), got {len(actual)}: {actual}"
        f"\n  rejected: {[(r.reason, r.format) for r in result.rejected]}"
    )
    for want, got in zip(expected, actual, strict=True):
        assert got["format"] == sample.folder, f"{shown}\n  claimed by {got['format']!r}"
        diff = {k: (v, got.get(k)) for k, v in want.items() if got.get(k) != v}
        assert not diff, f"{shown}\n  field: (expected, actual)\n  {diff}"
        assert got["raw"], f"{shown}\n  event without its raw line"
    assert all(e.reporter == "reporter@example.org" for e in result.events)
    assert all(e.line_no for e in result.events)
