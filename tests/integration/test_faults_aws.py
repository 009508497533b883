"""DynamoDB, S3 and SES faults in the real handlers on moto: nothing lost, nothing doubled,
each fault isolated to its own record (figures: RELIABILITY.md, tests/bench/bench_faults.py)."""

from __future__ import annotations

import pytest
from fault_checks import assert_nothing_lost_or_doubled

pytestmark = pytest.mark.network


@pytest.mark.parametrize(
    "scenario",
    ["s3-nosuchkey", "s3-timeout", "ses-throttling", "ses-sending-paused"],
)
def test_transient_aws_faults_lose_and_double_nothing(scenario: str) -> None:
    outcome = assert_nothing_lost_or_doubled(scenario)
    assert sum(outcome.reports.values()) >= 4


def test_dynamodb_unprocessed_items_are_written_on_the_next_round() -> None:
    assert_nothing_lost_or_doubled("dynamodb-unprocessed")


def test_ses_message_rejected_stops_only_that_report_and_is_recorded() -> None:
    from fault_checks import clean_run, run_scenario

    clean = clean_run()
    outcome, fired = run_scenario("ses-message-rejected")
    assert fired == 1
    # The refused report is not retried (it would be refused again) and nothing is doubled;
    # every other report goes out and every reporter still gets a digest.
    assert sum(outcome.reports.values()) == sum(clean.reports.values()) - 1
    assert outcome.duplicated() == 0 and outcome.stuck == []
    assert {who for who, _ in outcome.to_reporters} == {who for who, _ in clean.to_reporters}


@pytest.mark.xfail(
    strict=False,
    reason="found by the fault run, not yet fixed: throttled UpdateItem in aggregate's "
    "set_next_look can dead-letter a report under 20% throttling (RELIABILITY.md)",
)
def test_dynamodb_throttling_loses_nothing() -> None:
    assert_nothing_lost_or_doubled("dynamodb-throttling")


def test_dynamodb_throttling_loses_no_report_and_leaves_nothing_stuck() -> None:
    # The report half of the rule holds: a store error after the send claim frees the claim
    # (sending.py), so the redelivery sends; before that fix 3 of 5 reports were lost here.
    from fault_checks import clean_run, run_scenario

    clean = clean_run()
    outcome, fired = run_scenario("dynamodb-throttling")
    assert fired > 20
    assert set(outcome.reports) == set(clean.reports) and outcome.duplicated() == 0
    assert outcome.stuck == [] and outcome.unconfirmed == []


@pytest.mark.xfail(
    strict=True,
    reason="found, not fixed: ingest drops an immediate reply SES throttled (a refused reply "
    "never fails the email, so it is never retried)",
)
def test_a_throttled_immediate_reply_is_not_lost() -> None:
    assert_nothing_lost_or_doubled("ses-throttling-reply")
