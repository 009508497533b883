"""functions/send and functions/feedback end to end on moto: what SES sent, to whom, once;
redelivery; the whole bounce chain; complaints and suppression; registry desks; caps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from send_helpers import (
    enqueue,
    log_kinds,
    log_lines,
    receive_records,
    recipients,
    run_feedback,
    run_send,
    seed_incident,
    sent_messages,
    ses_event,
)

from probewatch import sending
from probewatch.clock import frozen
from probewatch.config import get_settings
from probewatch.model import Reporter
from probewatch.report_rules import report_violations
from probewatch.store import mailboxes
from probewatch.store.incidents import get_incident, save_incident

ALICE = Reporter("alice@home.example")
BOB = Reporter("bob@mail.example", identify=True)
NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock_near_the_events() -> Any:
    """The seeded events are from T0: send inside their 72 hours (the send function drops
    older ones, tests/integration/test_send_at_72_hours.py), unless a test sets the clock."""
    with frozen(NOW):
        yield


def test_report_goes_once_to_the_first_mailbox_and_meets_every_rule(aws_stack: Any) -> None:
    table = aws_stack.table_name
    seed_incident(table, ["abuse@isp.example"], [ALICE, BOB])
    enqueue(aws_stack.send_queue_url, "PW-20261125-0a1b2c3d")
    with frozen(NOW):
        assert run_send(aws_stack.send_queue_url) == set()

    [message] = sent_messages()
    assert recipients(message) == ["abuse@isp.example"]
    raw = message.raw_data.encode("ascii")
    assert report_violations(raw, forbidden=[ALICE.email]) == []
    assert BOB.email in message.raw_data  # opted in to being named
    assert f"Reply-To: {aws_stack.reply_to}" in message.raw_data

    incident = get_incident(table, "PW-20261125-0a1b2c3d")
    assert incident is not None and incident.status == "sent"
    assert incident.message_id == message.id and incident.sent_at == NOW
    attempt = mailboxes.get_send_attempt(table, incident.incident_id, 1)
    assert (
        attempt is not None and attempt["status"] == "sent" and attempt["message_id"] == message.id
    )
    for reporter in (ALICE, BOB):
        [line] = log_lines(table, reporter.email, "report-sent")
        assert line["data"]["mailbox"] == "abuse@isp.example"


def test_a_redelivered_send_message_sends_nothing_new(aws_stack: Any) -> None:
    table = aws_stack.table_name
    seed_incident(table, ["abuse@isp.example"], [ALICE])
    enqueue(aws_stack.send_queue_url, "PW-20261125-0a1b2c3d")
    records = receive_records(aws_stack.send_queue_url)
    run_send(aws_stack.send_queue_url, records)
    run_send(aws_stack.send_queue_url, records)  # SQS delivered it again
    assert len(sent_messages()) == 1

    # Even if the incident still looked "queued" (the function died after SES took the
    # report), the claim on the attempt stops a second copy and the bookkeeping is finished.
    from probewatch.store.incidents import save_incident

    incident = get_incident(table, "PW-20261125-0a1b2c3d")
    assert incident is not None
    incident.status, incident.message_id = "queued", None
    save_incident(table, incident)
    run_send(aws_stack.send_queue_url, records)
    assert len(sent_messages()) == 1
    repaired = get_incident(table, "PW-20261125-0a1b2c3d")
    assert (
        repaired is not None
        and repaired.status == "sent"
        and repaired.message_id == sent_messages()[0].id
    )
    assert len(log_lines(table, ALICE.email, "report-sent")) == 1


def test_permanent_bounces_walk_the_whole_chain_then_give_up(aws_stack: Any) -> None:
    table = aws_stack.table_name
    seed_incident(table, ["abuse@isp.example"], [ALICE], ptr="h1.dsl.isp.example")
    enqueue(aws_stack.send_queue_url, "PW-20261125-0a1b2c3d")
    results = []
    for round_no in range(10):
        run_send(aws_stack.send_queue_url)
        messages = sent_messages()
        if len(messages) == round_no:  # nothing new was sent: the chain is over
            break
        results += run_feedback(ses_event("Bounce", messages[-1], tags=round_no % 2 == 0))

    assert [recipients(m)[0] for m in sent_messages()] == [
        "abuse@isp.example",
        "security@isp.example",
        "postmaster@isp.example",
        "root@isp.example",
        "webmaster@isp.example",
    ]
    assert results == ["rerouted"] * 4 + ["undeliverable"]
    incident = get_incident(table, "PW-20261125-0a1b2c3d")
    assert incident is not None and incident.status == "undeliverable"
    kinds = log_kinds(table, ALICE.email)
    assert kinds.count("bounce") == 5 and kinds.count("rerouted") == 4
    assert kinds.count("undeliverable") == 1 and kinds.count("report-sent") == 5
    state = mailboxes.get_mailbox(table, "abuse@isp.example")
    assert state is not None and state.bad and "\n" not in (state.bad_reason or "")


def test_repeated_and_transient_bounces_change_nothing(aws_stack: Any) -> None:
    table = aws_stack.table_name
    seed_incident(table, ["abuse@isp.example", "noc@isp.example"], [ALICE])
    enqueue(aws_stack.send_queue_url, "PW-20261125-0a1b2c3d")
    run_send(aws_stack.send_queue_url)
    [first] = sent_messages()
    assert run_feedback(ses_event("Bounce", first, bounce_type="Transient")) == ["transient-bounce"]
    assert mailboxes.get_mailbox(table, "abuse@isp.example") is None
    bounce = ses_event("Bounce", first)
    # The aggregate may re-enqueue the first attempt meanwhile; it must not undo the move.
    enqueue(aws_stack.send_queue_url, "PW-20261125-0a1b2c3d", attempt=1)
    assert run_feedback(bounce) == ["rerouted"]
    assert run_feedback(bounce) == ["re-enqueued"]  # SNS delivered it twice
    run_send(aws_stack.send_queue_url)
    assert [recipients(m)[0] for m in sent_messages()] == ["abuse@isp.example", "noc@isp.example"]
    assert run_feedback(bounce) == ["stale"]  # the incident has moved on
    assert run_feedback(ses_event("Delivery", sent_messages()[1])) == ["delivered"]
    state = mailboxes.get_mailbox(table, "noc@isp.example")
    assert state is not None and state.deliveries == 1 and not state.bad


def test_a_complaint_suppresses_the_mailbox_and_later_reports_skip_it(aws_stack: Any) -> None:
    table = aws_stack.table_name
    seed_incident(table, ["abuse@isp.example"], [ALICE])
    enqueue(aws_stack.send_queue_url, "PW-20261125-0a1b2c3d")
    run_send(aws_stack.send_queue_url)
    assert run_feedback(ses_event("Complaint", sent_messages()[0])) == ["suppressed"]
    assert [s.email for s in mailboxes.list_suppressed(table)] == ["abuse@isp.example"]

    # Issue 12: the complaint covers the network owner, so no other mailbox (a transit
    # provider, security@) gets the next report about the same network instead.
    seed_incident(
        table,
        ["abuse@isp.example", "abuse@transit.example"],
        [ALICE],
        incident_id="PW-20261125-00000002",
    )
    enqueue(aws_stack.send_queue_url, "PW-20261125-00000002")
    run_send(aws_stack.send_queue_url)
    assert [recipients(m)[0] for m in sent_messages()] == ["abuse@isp.example"]
    incident = get_incident(table, "PW-20261125-00000002")
    assert incident is not None and incident.decision_code == "opted-out"

    # Another network whose chain lists the complaining mailbox first skips it.
    seed_incident(
        table,
        ["abuse@isp.example", "abuse@transit.example"],
        [ALICE],
        incident_id="PW-20261125-00000003",
        src_ip="198.51.100.7",
        ptr="host.transit.example",
    )
    stored = get_incident(table, "PW-20261125-00000003")
    assert stored is not None
    stored.network = {"cidr": "198.51.100.0/24"}
    save_incident(table, stored)
    enqueue(aws_stack.send_queue_url, "PW-20261125-00000003")
    run_send(aws_stack.send_queue_url)
    assert [recipients(m)[0] for m in sent_messages()][1:] == ["abuse@transit.example"]
    incident = get_incident(table, "PW-20261125-00000003")
    assert incident is not None and incident.contact_index == 1


def test_registry_desks_and_operator_suppressions_are_never_mailed(aws_stack: Any) -> None:
    table = aws_stack.table_name
    mailboxes.suppress(table, "abuse@isp.example", NOW, "asked us to stop", by="operator")
    seed_incident(
        table, ["abuse@lacnic.net", "ABUSE@isp.example", "security@isp.example"], [ALICE], ptr=None
    )
    enqueue(aws_stack.send_queue_url, "PW-20261125-0a1b2c3d")
    run_send(aws_stack.send_queue_url)
    assert [recipients(m)[0] for m in sent_messages()] == ["security@isp.example"]


def test_suppressed_abuse_and_security_never_fall_back_to_postmaster(aws_stack: Any) -> None:
    """Issue 12: postmaster@, root@, webmaster@ are for bounces only; mailboxes that said no
    (suppressed one by one here, no opt-out) do not send the report on to them."""
    table = aws_stack.table_name
    for mailbox in ("abuse@isp.example", "security@isp.example"):
        mailboxes.suppress(table, mailbox, NOW, "wrong contact", by="operator")
    seed_incident(table, ["abuse@isp.example"], [ALICE])
    enqueue(aws_stack.send_queue_url, "PW-20261125-0a1b2c3d")
    with frozen(NOW):
        run_send(aws_stack.send_queue_url)
    assert sent_messages() == []
    incident = get_incident(table, "PW-20261125-0a1b2c3d")
    assert incident is not None and incident.status == "undeliverable"


def test_no_usable_mailbox_makes_the_incident_undeliverable(aws_stack: Any) -> None:
    table = aws_stack.table_name
    seed_incident(table, ["helpdesk@apnic.net"], [ALICE], ptr=None)
    incident = get_incident(table, "PW-20261125-0a1b2c3d")
    assert incident is not None
    enqueue(aws_stack.send_queue_url, incident.incident_id)
    run_send(aws_stack.send_queue_url)
    assert sent_messages() == []
    incident = get_incident(table, "PW-20261125-0a1b2c3d")
    assert incident is not None and incident.status == "undeliverable"
    assert log_kinds(table, ALICE.email) == ["undeliverable"]


def test_daily_caps_defer_without_dropping(aws_stack: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROBEWATCH_PER_MAILBOX_DAILY_CAP", "1")
    monkeypatch.setenv("PROBEWATCH_GLOBAL_DAILY_CAP", "2")
    get_settings.cache_clear()
    table = aws_stack.table_name
    ids = ["PW-20261125-00000001", "PW-20261125-00000002", "PW-20261125-00000003"]
    seed_incident(table, ["abuse@isp.example"], [ALICE], incident_id=ids[0])
    seed_incident(table, ["abuse@isp.example"], [ALICE], incident_id=ids[1], src_ip="45.155.205.13")
    seed_incident(
        table, ["abuse@other.example"], [ALICE], incident_id=ids[2], src_ip="198.51.100.7"
    )
    for incident_id in ids:
        enqueue(aws_stack.send_queue_url, incident_id)
    records = receive_records(aws_stack.send_queue_url)
    assert len(records) == 3
    with frozen(NOW):
        failed = run_send(aws_stack.send_queue_url, records)
    assert len(failed) == 1  # the second report to abuse@isp.example waits for tomorrow
    assert sorted(recipients(m)[0] for m in sent_messages()) == [
        "abuse@isp.example",
        "abuse@other.example",
    ]
    assert mailboxes.sends_today(table, None, NOW.date()) == 2
    waiting = next(r for r in records if r["messageId"] in failed)
    assert receive_records(aws_stack.send_queue_url) == []  # kept hidden, not dropped

    with frozen(NOW + timedelta(hours=1)):
        assert run_send(aws_stack.send_queue_url, [waiting]) == {waiting["messageId"]}
    assert len(sent_messages()) == 2
    with frozen(NOW + timedelta(days=1)):
        assert run_send(aws_stack.send_queue_url, [waiting]) == set()
    assert len(sent_messages()) == 3
    assert all(get_incident(table, i).status == "sent" for i in ids)  # type: ignore[union-attr]


def test_throttling_retries_later_and_sends_once(
    aws_stack: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = aws_stack.table_name
    seed_incident(table, ["abuse@isp.example"], [ALICE])
    enqueue(aws_stack.send_queue_url, "PW-20261125-0a1b2c3d")
    records = receive_records(aws_stack.send_queue_url)
    real_deliver = sending._deliver

    def throttled(*args: Any, **kwargs: Any) -> str:
        raise ClientError(
            {"Error": {"Code": "TooManyRequestsException", "Message": "slow down"}}, "SendEmail"
        )

    monkeypatch.setattr(sending, "_deliver", throttled)
    assert run_send(aws_stack.send_queue_url, records) == {records[0]["messageId"]}
    attempt = mailboxes.get_send_attempt(table, "PW-20261125-0a1b2c3d", 1)
    assert attempt is not None and attempt["status"] == "retry"
    monkeypatch.setattr(sending, "_deliver", real_deliver)
    assert run_send(aws_stack.send_queue_url, records) == set()
    assert len(sent_messages()) == 1


def test_a_permanent_ses_rejection_is_recorded(
    aws_stack: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # moto rejects a sender identity that was never verified, as SES does.
    monkeypatch.setenv("PROBEWATCH_SENDER_ADDRESS", "reports@unverified.example")
    get_settings.cache_clear()
    table = aws_stack.table_name
    seed_incident(table, ["abuse@isp.example"], [ALICE])
    enqueue(aws_stack.send_queue_url, "PW-20261125-0a1b2c3d")
    assert run_send(aws_stack.send_queue_url) == set()  # not retried: it would fail again
    assert sent_messages() == []
    attempt = mailboxes.get_send_attempt(table, "PW-20261125-0a1b2c3d", 1)
    assert attempt is not None and attempt["status"] == "rejected"
    assert "MessageRejected" in attempt["error"]
    incident = get_incident(table, "PW-20261125-0a1b2c3d")
    assert incident is not None and incident.status == "undeliverable"
    assert log_kinds(table, ALICE.email) == ["undeliverable"]


def test_cancelled_or_unknown_incidents_are_not_sent(aws_stack: Any) -> None:
    from probewatch.store.incidents import save_incident

    table = aws_stack.table_name
    incident = seed_incident(table, ["abuse@isp.example"], [ALICE])
    incident.status = "cancelled"
    save_incident(table, incident)
    enqueue(aws_stack.send_queue_url, incident.incident_id)
    enqueue(aws_stack.send_queue_url, "PW-20261125-ffffffff")
    assert run_send(aws_stack.send_queue_url) == set()
    assert sent_messages() == []


def test_an_incident_without_contacts_uses_the_ptr_domain_chain(aws_stack: Any) -> None:
    table = aws_stack.table_name
    seed_incident(table, [], [ALICE], ptr="host-7.cable.isp.example")
    enqueue(aws_stack.send_queue_url, "PW-20261125-0a1b2c3d")
    run_send(aws_stack.send_queue_url)
    assert run_feedback(ses_event("Bounce", sent_messages()[0])) == ["rerouted"]
    run_send(aws_stack.send_queue_url)
    assert [recipients(m)[0] for m in sent_messages()] == [
        "abuse@isp.example",
        "security@isp.example",
    ]
