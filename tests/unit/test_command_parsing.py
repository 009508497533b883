"""Which mails are commands (strictly), and how SETTINGS are validated. Pure code."""

from __future__ import annotations

import pytest

from probewatch.commands import (
    Command,
    apply_settings,
    command_in_line,
    new_code,
    normalize_code,
    parse_command,
)
from probewatch.model import Reporter


@pytest.mark.parametrize(
    ("subject", "body", "expected"),
    [
        ("SUBSCRIBE", "", Command("SUBSCRIBE")),
        ("subscribe", "", Command("SUBSCRIBE")),
        ("pause.", "Sent from my phone", Command("PAUSE")),
        ("Re: Re: SUBSCRIBE", "CONFIRM K7QF-M2XD", Command("CONFIRM", ("K7QF-M2XD",))),
        ("HELP", "STOP", Command("STOP")),  # the body's own line wins
        (
            "Re: probewatch digest 2026-11-25",
            "\n\n  CANCEL i-192.0.2.4 \n> old text",
            Command("CANCEL", ("i-192.0.2.4",)),
        ),
        ("Re: digest", "> CANCEL i-1234\n\nRESUME\n", Command("RESUME")),  # quoted line skipped
        (
            "",
            "SETTINGS tz=Europe/Berlin review=on",
            Command("SETTINGS", ("tz=Europe/Berlin", "review=on")),
        ),
        ("", "unsubscribe", Command("STOP")),
        ("Re: probewatch", "confirm k7qf-m2xd", Command("CONFIRM", ("K7QF-M2XD",))),
        ("", "K7QFM2XD", Command("CONFIRM", ("K7QF-M2XD",), bare_code=True)),
    ],
)
def test_commands_are_found_in_subject_or_first_own_line(
    subject: str, body: str, expected: Command
) -> None:
    assert parse_command(subject, body) == expected


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("Fwd: NETGEAR Security Alert", "[DoS Attack: SYN Flood] from source: 203.0.113.5"),
        ("Fwd: HELP", "log lines"),  # a forward is a submission, whatever its subject
        ("Re: SUBSCRIBE", "> CONFIRM K7QF-M2XD"),  # an echoed subject, a quoted line
        ("RE: Re: pause.", ""),
        ("help me please", "STOP scanning me\nanother line"),  # not the exact shape
        ("", "Hello,\nSTOP"),  # the command must be the first own line
        ("", "CANCEL"),  # no incident
        ("", "CONFIRM 12345"),  # not a code
        ("", "Nov 25 10:00:00 gw kernel: [UFW BLOCK] IN=eth0 SRC=203.0.113.9"),
        ("", ""),
    ],
)
def test_other_mail_is_not_a_command(subject: str, body: str) -> None:
    assert parse_command(subject, body) is None


def test_codes_are_unambiguous_and_normalised() -> None:
    code = new_code()
    assert normalize_code(code) == code
    assert normalize_code(code.lower().replace("-", "")) == code
    assert not set(code) & set("01IO")
    assert normalize_code("ABCD-EFG0") is None
    assert command_in_line("SUBSCRIBE now") is None


def test_settings_change_only_what_is_given() -> None:
    before = Reporter(email="a@example.net")
    after = apply_settings(before, {"tz": "Europe/Berlin", "mask": "3", "review": "ON"})
    assert (after.tz, after.mask_octets, after.review, after.digest) == (
        "Europe/Berlin",
        3,
        True,
        "daily",
    )
    assert before.tz == "UTC"  # the original is not modified
    assert apply_settings(after, {"digest": "off"}).digest == "off"


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        ({"tz": "Mars/Olympus"}, "tz=Mars/Olympus"),
        ({"tz": "../../etc/passwd"}, "not a time zone"),
        ({"mask": "1"}, "must be 2 or 3"),
        ({"review": "maybe"}, "must be on or off"),
        ({"digest": "weekly"}, "must be daily or off"),
        ({"colour": "blue"}, "unknown setting"),
    ],
)
def test_bad_settings_are_refused_with_a_reason(pairs: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace(".", r"\.")):
        apply_settings(Reporter(email="a@example.net"), pairs)
