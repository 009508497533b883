"""Shared assertions for tests/integration/test_faults_*.py (one clean run per module)."""

from __future__ import annotations

from fault_harness import FIRED
from fault_pipeline import Outcome, run_pipeline
from fault_scenarios import BY_NAME

_clean: list[Outcome] = []


def clean_run() -> Outcome:
    """The reference run, once per test process."""
    if not _clean:
        outcome = run_pipeline()
        assert sum(outcome.reports.values()) >= 4 and outcome.digests >= 3, outcome
        _clean.append(outcome)
    return _clean[0]


def run_scenario(name: str) -> tuple[Outcome, int]:
    scenario = BY_NAME[name]
    rdap_failed = {}

    def install(stack, rdap, dns):  # type: ignore[no-untyped-def]
        rdap_failed["server"] = rdap
        return scenario.install(stack, rdap, dns) if scenario.install else None

    FIRED["total"] = 0
    outcome = run_pipeline(install, redeliver=scenario.redeliver)
    fired = FIRED["total"] + rdap_failed["server"].requests["failed"]
    return outcome, fired


def assert_nothing_lost_or_doubled(name: str, *, isolated: bool = True) -> Outcome:
    clean = clean_run()
    outcome, fired = run_scenario(name)
    assert fired > 0 or BY_NAME[name].install is None, f"{name}: no fault ever fired"
    assert outcome.lost_against(clean) == 0, (name, outcome, clean)
    assert outcome.duplicated() == 0, (name, outcome)
    assert outcome.stuck == [] and outcome.unconfirmed == [], (name, outcome)
    if isolated:
        # A fault fails the record it hit, never the rest of its batch.
        assert outcome.retried_records <= fired, (name, outcome.retried_records, fired)
    return outcome
