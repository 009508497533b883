"""Commands and self-service registration by email, end to end on moto (DynamoDB + SES)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from reporter_mail_helpers import inbound, sent_mail, text_of

from probewatch.commands import handle_command_mail
from probewatch.config import IngestSettings, load
from probewatch.model import Reporter
from probewatch.store import reporters as store

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
ALICE = "alice@example.net"


@pytest.fixture
def settings(aws_stack: object) -> IngestSettings:
    return load(IngestSettings)


@pytest.fixture
def alice(settings: IngestSettings) -> Reporter:
    reporter = Reporter(email=ALICE, tz="Europe/Berlin")
    store.put_reporter(settings.table_name, reporter)
    return reporter


def test_subscribe_code_confirm_registers_the_sender(settings: IngestSettings) -> None:
    newcomer = "new@example.org"
    assert handle_command_mail(inbound(newcomer, "SUBSCRIBE"), settings, NOW) is True
    assert store.get_reporter(settings.table_name, newcomer) is None  # not before confirming
    [reply] = sent_mail()
    assert reply["To"] == newcomer and reply["Auto-Submitted"] == "auto-replied"
    assert reply["In-Reply-To"]
    code = re.search(r"CONFIRM ([A-Z0-9]{4}-[A-Z0-9]{4})", text_of(reply))
    assert code, text_of(reply)

    wrong = inbound(newcomer, "Re: SUBSCRIBE", "CONFIRM AAAA-BBBB")
    assert handle_command_mail(wrong, settings, NOW + timedelta(minutes=1)) is True
    assert store.get_reporter(settings.table_name, newcomer) is None
    assert "not valid" in text_of(sent_mail()[-1])

    right = inbound(newcomer, "Re: SUBSCRIBE", f"{code[1].lower()}\n\n> quoted text")
    assert handle_command_mail(right, settings, NOW + timedelta(minutes=2)) is True
    reporter = store.get_reporter(settings.table_name, newcomer)
    assert reporter is not None and reporter.status == "active"
    assert "Welcome" in text_of(sent_mail()[-1])
    # The code is used up.
    assert store.get_confirmation(settings.table_name, newcomer, NOW) is None


def test_expired_code_does_not_register(settings: IngestSettings) -> None:
    handle_command_mail(inbound("late@example.org", "SUBSCRIBE"), settings, NOW)
    code = re.search(r"CONFIRM (\S+)", text_of(sent_mail()[-1]))
    assert code
    later = NOW + timedelta(hours=49)
    handle_command_mail(inbound("late@example.org", "Re:", f"CONFIRM {code[1]}"), settings, later)
    assert store.get_reporter(settings.table_name, "late@example.org") is None


def test_self_service_can_be_switched_off(
    aws_stack: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROBEWATCH_SELF_SERVICE", "false")
    settings = load(IngestSettings)
    assert handle_command_mail(inbound("x@example.org", "SUBSCRIBE"), settings, NOW) is True
    assert store.get_confirmation(settings.table_name, "x@example.org", NOW) is None
    assert "switched off" in text_of(sent_mail()[-1])


FAILED_AUTH = [
    {"spf": "fail", "dkim": "none", "dmarc": "none"},
    {"spf": "pass", "dkim": "pass", "dmarc": "fail"},
    {"spf": "softfail", "dkim": "fail", "dmarc": "none"},
]


def test_unauthenticated_commands_change_nothing_and_get_no_reply(
    settings: IngestSettings, alice: Reporter
) -> None:
    for auth in FAILED_AUTH:
        for subject in ("STOP", "SETTINGS tz=UTC", "SUBSCRIBE"):
            assert handle_command_mail(inbound(ALICE, subject, **auth), settings, NOW) is True
        stranger = inbound("stranger@example.org", "SUBSCRIBE", **auth)
        assert handle_command_mail(stranger, settings, NOW) is True
    assert store.get_reporter(settings.table_name, ALICE) == alice
    assert store.get_confirmation(settings.table_name, "stranger@example.org", NOW) is None
    assert sent_mail() == []


def test_automated_mail_gets_no_reply_and_changes_nothing(
    settings: IngestSettings, alice: Reporter
) -> None:
    for headers in (
        {"Auto-Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"List-Id": "<x.lists.example>"},
    ):
        assert handle_command_mail(inbound(ALICE, "PAUSE", headers=headers), settings, NOW)
    assert store.get_reporter(settings.table_name, ALICE) == alice
    assert sent_mail() == []


def test_pause_resume_settings_stop(settings: IngestSettings, alice: Reporter) -> None:
    table = settings.table_name
    settings = settings.model_copy(update={"replies_per_day": 50})

    def command(subject: str, body: str = "") -> str:
        assert handle_command_mail(inbound(ALICE, subject, body), settings, NOW) is True
        return text_of(sent_mail()[-1])

    assert "Paused" in command("PAUSE")
    assert store.get_reporter(table, ALICE).status == "paused"  # type: ignore[union-attr]
    assert "Resumed" in command("Re: probewatch digest", "resume\n")
    assert store.get_reporter(table, ALICE).status == "active"  # type: ignore[union-attr]

    reply = command("", "SETTINGS tz=America/Chicago mask=3 review=on digest=off")
    assert "Settings saved" in reply
    changed = store.get_reporter(table, ALICE)
    assert changed is not None
    assert (changed.tz, changed.mask_octets, changed.review, changed.digest) == (
        "America/Chicago",
        3,
        True,
        "off",
    )

    reply = command("SETTINGS tz=Nowhere/Land mask=4")
    assert "Nothing was changed" in reply and "tz=Nowhere/Land" in reply and "mask=4" in reply
    assert store.get_reporter(table, ALICE) == changed

    assert "Stopped" in command("STOP")
    stopped = store.get_reporter(table, ALICE)
    assert stopped is not None and (stopped.status, stopped.digest) == ("stopped", "off")

    assert "PAUSE" in command("HELP")  # help lists the commands
    # Commands are in the reporter's log, for the digest.
    logged = [e["data"]["command"] for e in store.read_log(table, ALICE, NOW, NOW + timedelta(1))]
    assert "PAUSE" in logged and "STOP" in logged


def test_unregistered_sender_is_told_how_to_register(settings: IngestSettings) -> None:
    assert handle_command_mail(inbound("who@example.org", "PAUSE"), settings, NOW) is True
    reply = text_of(sent_mail()[-1])
    assert "not registered" in reply and "SUBSCRIBE" in reply
    assert store.get_reporter(settings.table_name, "who@example.org") is None


def test_replies_are_rate_limited_per_sender_per_day(
    settings: IngestSettings, alice: Reporter
) -> None:
    for _ in range(settings.replies_per_day + 3):
        assert handle_command_mail(inbound(ALICE, "HELP"), settings, NOW) is True
    assert len(sent_mail()) == settings.replies_per_day
    # Commands still work when the replies run out; only the answer is skipped.
    handle_command_mail(inbound(ALICE, "PAUSE"), settings, NOW)
    assert store.get_reporter(settings.table_name, ALICE).status == "paused"  # type: ignore[union-attr]
    assert len(sent_mail()) == settings.replies_per_day
    # Another sender, and the next day, have their own allowance.
    handle_command_mail(inbound("bob@example.org", "HELP"), settings, NOW)
    handle_command_mail(inbound(ALICE, "HELP"), settings, NOW + timedelta(days=1))
    assert len(sent_mail()) == settings.replies_per_day + 2


def test_ordinary_submissions_are_not_commands(settings: IngestSettings, alice: Reporter) -> None:
    mail = inbound(
        ALICE,
        "Fwd: NETGEAR Security Alert",
        "[DoS Attack: SYN Flood] from source: 203.0.113.5, port 4444",
    )
    assert handle_command_mail(mail, settings, NOW) is False
    # A lone code-shaped line with no pending confirmation is not a command either.
    assert handle_command_mail(inbound(ALICE, "", "ABCD2345"), settings, NOW) is False
    assert sent_mail() == []


def held_incident(table: str, incident_id: str, status: str = "held") -> None:
    from probewatch.model import Incident
    from probewatch.store.incidents import save_incident

    seen = NOW - timedelta(hours=20)
    save_incident(
        table,
        Incident(
            incident_id=incident_id,
            src_ip="198.51.100.20",
            status=status,  # type: ignore[arg-type]
            opened_at=seen,
            first_seen=seen,
            last_seen=seen,
            reporters=[ALICE],
            hold_until=NOW + timedelta(hours=2),
        ),
    )


def test_cancel_only_by_the_incidents_reporter_and_only_while_held(
    settings: IngestSettings, alice: Reporter
) -> None:
    from probewatch.store.incidents import get_incident

    table = settings.table_name
    settings = settings.model_copy(update={"replies_per_day": 50})
    held_incident(table, "i-held")
    held_incident(table, "i-queued", status="queued")
    store.put_reporter(table, Reporter(email="bob@example.org"))

    # Someone else, or a forged Alice, cannot cancel it.
    handle_command_mail(inbound("bob@example.org", "CANCEL i-held"), settings, NOW)
    assert "No incident i-held of yours" in text_of(sent_mail()[-1])
    handle_command_mail(inbound(ALICE, "CANCEL i-held", spf="fail", dkim="fail"), settings, NOW)
    assert get_incident(table, "i-held").status == "held"  # type: ignore[union-attr]

    handle_command_mail(inbound(ALICE, "Re: digest", "CANCEL i-held"), settings, NOW)
    assert "Cancelled" in text_of(sent_mail()[-1])
    cancelled = get_incident(table, "i-held")
    assert cancelled is not None and cancelled.status == "cancelled"

    handle_command_mail(inbound(ALICE, "CANCEL i-queued"), settings, NOW)
    assert "can no longer be cancelled: it is queued" in text_of(sent_mail()[-1])
    assert get_incident(table, "i-queued").status == "queued"  # type: ignore[union-attr]
    handle_command_mail(inbound(ALICE, "CANCEL i-missing"), settings, NOW)
    assert "No incident i-missing of yours" in text_of(sent_mail()[-1])

    # The digest hears of it: the cancel is logged against the incident.
    log = store.read_log(table, ALICE, NOW, NOW + timedelta(seconds=1))
    assert {"command": "CANCEL i-held", "result": "cancelled", "incident_id": "i-held"} in [
        e["data"] for e in log
    ]
