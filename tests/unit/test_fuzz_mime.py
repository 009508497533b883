"""Fuzz the MIME layer (small budget; tests/bench/bench_fuzz.py runs 100,000+ inputs): no
exception escapes read_email but MailRejected, every event is valid, replies stay safe."""

from __future__ import annotations

import sys
from pathlib import Path

from hypothesis import given, settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures" / "mail"))
from fuzz_inputs import check_mail, emails  # noqa: E402


@settings(max_examples=150)
@given(emails())
def test_any_email_ends_in_a_clear_outcome(raw: bytes) -> None:
    check_mail(raw)
