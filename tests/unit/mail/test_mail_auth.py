"""The reporter's authentication comes from SES's own (topmost) headers only."""

from __future__ import annotations

from email import message_from_string, policy

import pytest
from mime_samples import fixture

from probewatch.mail.auth import AuthVerdict, automated_reason, read_auth
from probewatch.mail.inbound import read_email


@pytest.mark.parametrize(
    ("name", "passed"),
    [
        ("gmail_inline.eml", True),
        ("dkim_only.eml", True),  # SPF softfail but DKIM passed and DMARC passed
        ("auth_failed.eml", False),
        ("auth_dmarc_fail.eml", False),  # SPF passed for another domain: DMARC says no
        ("auth_forged_below.eml", False),  # a sender-written "pass" below SES's header
    ],
)
def test_fixture_verdicts(name: str, passed: bool) -> None:
    assert read_email(fixture(name)).auth.passed is passed


def test_forged_results_below_ses_do_not_count() -> None:
    auth = read_email(fixture("auth_forged_below.eml")).auth
    assert (auth.spf, auth.dkim, auth.dmarc) == ("softfail", "none", "none")


def test_results_from_another_server_are_ignored() -> None:
    message = message_from_string(
        "Authentication-Results: mx.google.com; spf=pass; dkim=pass; dmarc=pass\n\nbody",
        policy=policy.default,
    )
    assert read_auth(message) == AuthVerdict()
    assert not read_auth(message).passed


def test_received_spf_is_used_when_results_lack_spf() -> None:
    message = message_from_string(
        "Received-SPF: Pass (spfCheck: ok) client-ip=192.0.2.1;\n"
        "Authentication-Results: amazonses.com; dkim=none; dmarc=none\n\nbody",
        policy=policy.default,
    )
    auth = read_auth(message)
    assert (auth.spf, auth.dkim, auth.passed) == ("pass", "none", True)


def test_spam_and_virus_verdicts_are_kept() -> None:
    auth = read_email(fixture("gmail_inline.eml")).auth
    assert (auth.spam, auth.virus) == ("pass", "pass")


@pytest.mark.parametrize(
    ("header", "automated"),
    [
        ("Auto-Submitted: auto-replied", True),
        ("Auto-Submitted: no", False),
        ("Precedence: bulk", True),
        ("Precedence: junk", True),
        ("Precedence: first-class", False),
        ("List-Id: <x.lists.example>", True),
        ("X-Mailer: Thunderbird", False),
    ],
)
def test_automated_mail_is_recognised(header: str, automated: bool) -> None:
    message = message_from_string(f"{header}\n\nbody", policy=policy.default)
    assert (automated_reason(message) is not None) is automated


def test_automated_fixture() -> None:
    mail = read_email(fixture("auto_submitted_list.eml"))
    assert mail.auto_submitted
    assert mail.automated_reason == "auto-submitted: auto-generated"
