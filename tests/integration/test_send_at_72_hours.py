"""Issue 12: no event older than 72 hours reaches an abuse desk, whatever delayed the send
(a review hold, a daily cap, throttling, the next mailbox after a bounce). functions/send on
moto; the incident's events start at T0 (send_helpers)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from send_helpers import (
    T0,
    enqueue,
    log_lines,
    recipients,
    run_feedback,
    run_send,
    seed_incident,
    sent_messages,
    ses_event,
)

from probewatch.clock import frozen
from probewatch.model import EvidenceLine, Reporter, iso_z
from probewatch.report_rules import EVIDENCE_RE
from probewatch.store.incidents import get_incident, save_incident

ALICE = Reporter("alice@home.example")
ID = "PW-20261125-0a1b2c3d"


def test_a_report_whose_events_all_passed_72_hours_is_not_sent(aws_stack: Any) -> None:
    table = aws_stack.table_name
    seed_incident(table, ["abuse@isp.example"], [ALICE])
    enqueue(aws_stack.send_queue_url, ID)
    # e.g. held for review and then deferred by a daily cap: 82 hours after the events
    with frozen(T0 + timedelta(hours=82)):
        assert run_send(aws_stack.send_queue_url) == set()
    assert sent_messages() == []
    incident = get_incident(table, ID)
    assert incident is not None
    assert (incident.status, incident.decision_code) == ("not-reported", "expired")
    assert incident.stale_at_send == 3
    [line] = log_lines(table, ALICE.email, "decision")
    assert line["data"]["code"] == "expired" and "72 hours" in line["data"]["reason"]


def test_only_the_fresh_events_are_reported_when_some_passed_72_hours(aws_stack: Any) -> None:
    table = aws_stack.table_name
    incident = seed_incident(table, ["abuse@isp.example"], [ALICE])
    late = T0 + timedelta(hours=30)
    incident.evidence_lines.append(
        EvidenceLine(iso_z(late) or "", "TCP", incident.src_ip, 52000, "203.0.0.0 (masked)",
                     445, "SYN", "block", 1)  # fmt: skip
    )
    incident.event_count, incident.last_seen = 4, late
    save_incident(table, incident)
    enqueue(aws_stack.send_queue_url, ID)
    with frozen(T0 + timedelta(hours=73)):
        assert run_send(aws_stack.send_queue_url) == set()
    [message] = sent_messages()
    evidence = [ln for ln in message.raw_data.splitlines() if EVIDENCE_RE.match(ln)]
    assert evidence == [next(ln for ln in evidence if "port 445" in ln)]
    assert late.strftime("%Y-%m-%d %H:%M:%S UTC") in evidence[0]
    assert re.search(r"^  Events:\s+1\r?$", message.raw_data, re.MULTILINE)
    stored = get_incident(table, ID)
    assert stored is not None and stored.status == "sent"
    assert (stored.event_count, stored.stale_at_send, stored.first_seen) == (1, 3, late)
    [sent] = log_lines(table, ALICE.email, "report-sent")
    assert sent["data"]["stale_at_send"] == 3 and sent["data"]["events"] == 1


def test_the_resend_to_the_next_mailbox_after_a_bounce_obeys_72_hours(aws_stack: Any) -> None:
    table = aws_stack.table_name
    seed_incident(table, ["abuse@isp.example", "noc@isp.example"], [ALICE])
    enqueue(aws_stack.send_queue_url, ID)
    with frozen(T0 + timedelta(hours=71)):
        run_send(aws_stack.send_queue_url)
    [first] = sent_messages()
    assert recipients(first) == ["abuse@isp.example"]
    # The bounce comes in late: the next mailbox would get events past 72 hours.
    with frozen(T0 + timedelta(hours=72, minutes=30)):
        assert run_feedback(ses_event("Bounce", first)) == ["rerouted"]
        run_send(aws_stack.send_queue_url)
    assert len(sent_messages()) == 1
    incident = get_incident(table, ID)
    assert incident is not None and incident.decision_code == "expired"
