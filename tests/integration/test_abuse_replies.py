"""Replies from abuse desks find their incident (subject or In-Reply-To) and reach the
reporters' log as a short excerpt; anything else is left alone."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from send_helpers import enqueue, log_lines, run_send, seed_incident, sent_messages

from probewatch.abuse_replies import record_reply
from probewatch.clock import frozen
from probewatch.config import IngestSettings, get_settings
from probewatch.mail.inbound import read_email
from probewatch.model import Reporter

ALICE, BOB = Reporter("alice@home.example"), Reporter("bob@mail.example")
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def reply(
    subject: str, in_reply_to: str = "", body: str = "Thanks, the customer was notified."
) -> Any:
    headers = [
        "From: ISP Abuse Desk <abuse@isp.example>",
        "To: replies@probes.example.org",
        f"Subject: {subject}",
        "Message-ID: <r-1@isp.example>",
        "Date: Wed, 25 Nov 2026 11:00:00 +0000",
        "Content-Type: text/plain; charset=utf-8",
    ]
    if in_reply_to:
        headers += [f"In-Reply-To: {in_reply_to}", f"References: {in_reply_to}"]
    quoted = "\n\nOn Wed, 25 Nov 2026 probewatch wrote:\n> 2026-11-25 03:14:07 UTC  TCP  45.155.205.12:51000\n"
    return read_email(("\r\n".join(headers) + "\r\n\r\n" + body + quoted).encode())


@pytest.fixture
def sent_report(aws_stack: Any) -> Any:
    seed_incident(aws_stack.table_name, ["abuse@isp.example"], [ALICE, BOB])
    enqueue(aws_stack.send_queue_url, "PW-20261125-0a1b2c3d")
    with frozen(datetime(2026, 11, 25, 6, 0, tzinfo=UTC)):  # within 72 h of the events
        run_send(aws_stack.send_queue_url)
    [message] = sent_messages()
    return message


def test_reply_quoting_the_ses_message_id_is_stored_for_every_reporter(
    aws_stack: Any, sent_report: Any
) -> None:
    mail = reply(
        "Re: Security issue - Source IP: 45.155.205.12", f"<{sent_report.id}@email.amazonses.com>"
    )
    assert record_reply(mail, get_settings(IngestSettings), NOW) is True
    for reporter in (ALICE, BOB):
        [line] = log_lines(aws_stack.table_name, reporter.email, "abuse-reply")
        assert line["data"]["incident_id"] == "PW-20261125-0a1b2c3d"
        assert line["data"]["from"] == "abuse@isp.example"
        assert line["data"]["excerpt"] == "Thanks, the customer was notified."
        assert line["data"]["from_contacted_domain"] is True
    # The same reply delivered twice is one line.
    assert record_reply(mail, get_settings(IngestSettings), NOW) is True
    assert len(log_lines(aws_stack.table_name, ALICE.email, "abuse-reply")) == 1


def test_subject_ids_match_and_everything_else_is_left_alone(
    aws_stack: Any, sent_report: Any
) -> None:
    settings = get_settings(IngestSettings)
    seed_incident(
        aws_stack.table_name, ["abuse@isp.example"], [ALICE], incident_id="PW-20261125-00000009"
    )
    assert record_reply(reply("Re: hello"), settings, NOW) is False
    assert record_reply(reply("Re: [PW-20261125-ffffffff]"), settings, NOW) is False
    assert record_reply(reply("Re: x", "<unknown-id@email.amazonses.com>"), settings, NOW) is False
    # An incident that was never reported cannot be answered.
    assert record_reply(reply("Re: [PW-20261125-00000009]"), settings, NOW) is False
    # A reporter writing about their own incident is not an abuse desk.
    mine = replace(reply("Re: [PW-20261125-0a1b2c3d]"), sender=ALICE.email)
    assert record_reply(mine, settings, NOW) is False
    assert log_lines(aws_stack.table_name, ALICE.email, "abuse-reply") == []

    mail = reply("[Ticket#4411] Re: Security issue [PW-20261125-0a1b2c3d]", body="Closed.\u2014NOC")
    assert record_reply(mail, settings, NOW) is True
    [line] = log_lines(aws_stack.table_name, ALICE.email, "abuse-reply")
    assert line["data"]["excerpt"] == "Closed.-NOC"
