"""What abuse desks ask by reply, end to end through the real send and ingest handlers on
moto: LOOKUP (only the mailbox the report went to), OPT-OUT (the whole network and domain,
never just one mailbox), XARF ON, and ordinary replies relayed to the reporters at once."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email import message_from_string, policy
from typing import Any

import pytest
from desk_helpers import INCIDENT, desk_mail, flat, plain, send_desk_mail, to_of
from send_helpers import enqueue, log_lines, recipients, run_send, seed_incident, sent_messages

from probewatch.clock import frozen
from probewatch.model import Reporter
from probewatch.report_rules import report_violations
from probewatch.store import desks
from probewatch.store.incidents import get_incident, save_incident

ALICE = Reporter("alice@home.example")
BOB = Reporter("bob@mail.example")
NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
LATER = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)


@pytest.fixture
def reported(aws_stack: Any) -> Any:
    """One report sent to abuse@isp.example on behalf of Alice and Bob."""
    seed_incident(aws_stack.table_name, ["abuse@isp.example", "security@isp.example"], [ALICE, BOB])
    enqueue(aws_stack.send_queue_url, INCIDENT)
    with frozen(NOW):
        run_send(aws_stack.send_queue_url)
    [message] = sent_messages()
    assert recipients(message) == ["abuse@isp.example"]
    return aws_stack


def send_next(stack: Any, incident_id: str, src_ip: str = "45.155.205.12", **kw: Any) -> list[Any]:
    """Seed another incident of the same network and run the send handler on it."""
    before = len(sent_messages())
    network = kw.pop("network", None)
    seed_incident(
        stack.table_name,
        kw.pop("contacts", ["abuse@isp.example", "security@isp.example"]),
        [ALICE],
        incident_id=incident_id,
        src_ip=src_ip,
        **kw,
    )
    if network is not None:
        stored = get_incident(stack.table_name, incident_id)
        assert stored is not None
        stored.network = network
        save_incident(stack.table_name, stored)
    enqueue(stack.send_queue_url, incident_id)
    with frozen(LATER):
        run_send(stack.send_queue_url)
    return sent_messages()[before:]


def test_lookup_answers_the_mailbox_the_report_went_to_and_nobody_else(reported: Any) -> None:
    with frozen(LATER):
        [answer] = send_desk_mail(reported, desk_mail("abuse@isp.example", "LOOKUP"))
    assert to_of(answer) == "abuse@isp.example"
    text = plain(answer)
    assert f"Incident {INCIDENT}: source 45.155.205.12" in text
    assert "Status: sent (reported)" in text
    assert "How the evidence was judged:" in text
    assert "45.155.205.12:51000  -> 203.0.0.0/8 (masked)" in text  # the evidence lines
    assert "report sent to abuse@isp.example (attempt 1)" in text  # the history
    # Reporters are counted, never named, to a desk.
    assert ALICE.email not in answer.as_string() and BOB.email not in answer.as_string()

    # Another mailbox of the same domain, which the report did not go to: no record.
    with frozen(LATER):
        [refusal] = send_desk_mail(reported, desk_mail("noc@isp.example", f"LOOKUP {INCIDENT}"))
    assert to_of(refusal) == "noc@isp.example"
    assert "was sent to noc@isp.example, so nothing was done" in flat(refusal)
    assert "203.0.0.0" not in plain(refusal)

    # A forged sender (SPF/DKIM fail) gets nothing at all, not even a refusal.
    with frozen(LATER):
        assert (
            send_desk_mail(reported, desk_mail("abuse@isp.example", "LOOKUP", authenticated=False))
            == []
        )


def test_lookup_may_name_the_incident_in_a_fresh_mail(reported: Any) -> None:
    raw = desk_mail("abuse@isp.example", "Hello", subject=f"LOOKUP {INCIDENT}")
    with frozen(LATER):
        [answer] = send_desk_mail(reported, raw)
    assert f"Incident {INCIDENT}" in plain(answer)


def test_opt_out_by_reply_covers_every_mailbox_of_the_network(reported: Any) -> None:
    with frozen(LATER):
        out = send_desk_mail(reported, desk_mail("abuse@isp.example", "OPT-OUT\n\nRegards, NOC"))
    answers = [m for m in out if to_of(m) == "abuse@isp.example"]
    notes = sorted(to_of(m) for m in out if to_of(m) != "abuse@isp.example")
    assert len(answers) == 1 and "no more reports about 45.155.204.0/22, isp.example" in " ".join(
        plain(answers[0]).split()
    )
    assert notes == [ALICE.email, BOB.email]  # the reporters hear it at once
    kinds = {(o.kind, o.value, o.by) for o in desks.list_optouts(reported.table_name)}
    assert kinds == {("network", "45.155.204.0/22", "reply"), ("domain", "isp.example", "reply")}

    # Issue 12: the next report of that network must not go to security@ (or anyone) instead.
    assert send_next(reported, "PW-20261125-00000002") == []
    incident = get_incident(reported.table_name, "PW-20261125-00000002")
    assert incident is not None
    assert (incident.status, incident.decision_code) == ("not-reported", "opted-out")
    [line] = log_lines(reported.table_name, ALICE.email, "opted-out")
    assert line["data"]["src_ip"] == "45.155.205.12"
    assert line["data"]["optout_value"] in ("45.155.204.0/22", "isp.example")

    # Another address inside the opted-out network, with a contact of another domain: covered.
    assert send_next(reported, "PW-20261125-00000003", src_ip="45.155.206.1",
                     contacts=["abuse@other-noc.example"], ptr=None) == []  # fmt: skip
    # A mailbox of the opted-out domain named for an unrelated network is skipped too.
    other = send_next(reported, "PW-20261125-00000004", src_ip="198.51.100.7",
                      contacts=["security@isp.example", "abuse@elsewhere.example"],
                      ptr="host.elsewhere.example", network={"cidr": "198.51.100.0/24"})  # fmt: skip
    assert [recipients(m) for m in other] == [["abuse@elsewhere.example"]]


def test_opt_out_from_a_stranger_changes_nothing(reported: Any) -> None:
    with frozen(LATER):
        send_desk_mail(reported, desk_mail("abuse@evil.example", "OPT-OUT"))
        send_desk_mail(reported, desk_mail("abuse@isp.example", "OPT-OUT", authenticated=False))
    assert desks.list_optouts(reported.table_name) == []
    assert [recipients(m) for m in send_next(reported, "PW-20261125-00000002")] == [
        ["abuse@isp.example"]
    ]


def test_xarf_on_by_reply_attaches_xarf_to_later_reports_only_for_that_mailbox(
    reported: Any,
) -> None:
    with frozen(LATER):
        [answer] = send_desk_mail(reported, desk_mail("abuse@isp.example", "XARF ON"))
    assert "with a XARF v4 (JSON) attachment" in flat(answer)
    [report] = send_next(reported, "PW-20261125-00000002")
    raw = report.raw_data.encode("ascii")
    msg = message_from_string(report.raw_data, policy=policy.default)
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "application/json"]
    document = json.loads(parts[1].get_payload(decode=True))
    assert document["source_identifier"] == "45.155.205.12" and document["type"] == "port_scan"
    assert report_violations(raw, forbidden=[ALICE.email], allow_xarf=True) == []
    # Another desk still gets plain text.
    [plain_report] = send_next(reported, "PW-20261125-00000003", src_ip="198.51.100.7",
                               contacts=["abuse@elsewhere.example"], ptr="h.elsewhere.example",
                               network={"cidr": "198.51.100.0/24"})  # fmt: skip
    assert "application/json" not in plain_report.raw_data

    with frozen(LATER):
        send_desk_mail(reported, desk_mail("abuse@isp.example", "XARF OFF"))
    [again] = send_next(reported, "PW-20261125-00000005", src_ip="45.155.205.99")
    assert "application/json" not in again.raw_data


def test_an_ordinary_reply_is_relayed_to_each_reporter_at_once(reported: Any) -> None:
    raw = desk_mail("abuse@isp.example", "Thanks, the customer was notified.")
    with frozen(LATER):
        notes = send_desk_mail(reported, raw)
    assert sorted(to_of(m) for m in notes) == [ALICE.email, BOB.email]
    text = flat(notes[0])
    assert "They wrote: Thanks, the customer was notified." in text
    assert "(a mailbox our report went to)" in text
    assert BOB.email not in notes[0].as_string() or to_of(notes[0]) == BOB.email
    [line] = log_lines(reported.table_name, ALICE.email, "abuse-reply")
    assert sorted(line["data"]["relayed_to"]) == [ALICE.email, BOB.email]
    # The reply is part of the incident's history.
    history = desks.incident_history(reported.table_name, INCIDENT)
    assert [r["from"] for r in history.replies] == ["abuse@isp.example"]


def test_relays_are_rate_limited_and_automatic_acks_are_not_relayed(reported: Any) -> None:
    with frozen(LATER):
        ack = desk_mail(
            "abuse@isp.example", "Ticket 1 opened.", headers={"Auto-Submitted": "auto-replied"}
        )
        assert send_desk_mail(reported, ack) == []
        sent = [len(send_desk_mail(reported, desk_mail("abuse@isp.example", f"Update {n}")))
                for n in range(12)]  # fmt: skip
    assert sent == [2] * 10 + [0, 0]  # two reporters, ten notes each a day
    assert len(log_lines(reported.table_name, ALICE.email, "abuse-reply")) == 13  # digest: all


def test_a_complaint_opts_out_the_network_not_just_the_mailbox(reported: Any) -> None:
    from send_helpers import run_feedback, ses_event

    [message] = sent_messages()
    with frozen(LATER):
        run_feedback(ses_event("Complaint", message, tags=True))
    assert send_next(reported, "PW-20261125-00000002") == []  # not security@ of the same network
    values = {o.value for o in desks.list_optouts(reported.table_name)}
    assert values == {"45.155.204.0/22", "isp.example"}
