"""Fuzz the parsers (small budget; tests/bench/bench_fuzz.py runs 100,000+ inputs with
per-line timing): mutated real lines never raise and give only valid events."""

from __future__ import annotations

import sys
from pathlib import Path

from hypothesis import given, settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures" / "mail"))
from fuzz_inputs import check_text, log_texts  # noqa: E402


@settings(max_examples=300)
@given(log_texts())
def test_mutated_lines_give_only_valid_events(text: str) -> None:
    check_text(text)
