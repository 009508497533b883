"""RDAP 429/500/timeouts and DNS SERVFAIL during aggregate runs: the incident waits for a
later run instead of failing or being mailed to a guess; nothing is lost or doubled."""

from __future__ import annotations

import pytest
from fault_checks import assert_nothing_lost_or_doubled

pytestmark = pytest.mark.network


@pytest.mark.parametrize("scenario", ["rdap-429", "rdap-500", "rdap-timeout", "dns-servfail"])
def test_lookup_faults_delay_reports_but_lose_none(scenario: str) -> None:
    assert_nothing_lost_or_doubled(scenario)
