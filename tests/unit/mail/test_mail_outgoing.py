"""Reporter-written text never becomes a header line, a recipient, or a twice-decoded word.

The same checks run in a subprocess under python3.13 (the deployed Lambda runtime) when the
machine has it: the `email` package's folding of encoded words differs between 3.11 and 3.13.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from probewatch.mail.auth import AuthVerdict
from probewatch.mail.inbound import InboundMail, read_email
from probewatch.mail.outgoing import (
    UnsafeHeader,
    header_text,
    mailbox,
    message_ids,
    recipients,
    serialize,
    set_address,
)
from probewatch.reporter_mail import build_reply

SHARED = Path(__file__).resolve().parents[3] / "shared"
VICTIM = "victim@evil.example"
CRLF = f"hello\r\nBcc: {VICTIM}\r\nX-Injected: 1"
Q_WORD = "=?utf-8?q?hello=0D=0ABcc:_victim@evil.example=0D=0AX-Injected:_1?="
HOSTILE_TEXTS = [
    CRLF,
    Q_WORD,
    "Re: " + Q_WORD,
    "=?utf-8?b?aGVsbG8NCkJjYzogdmljdGltQGV2aWwuZXhhbXBsZQ0KWC1JbmplY3RlZDogMQ==?=",
    "a\x00b\x00 " + Q_WORD,
    "line\u2028Bcc: victim@evil.example\u0085X-Injected: 1",
    "\ud800 lone surrogate " + Q_WORD,
    "caf\u00e9 " + Q_WORD * 3,
]

# Runs unchanged under any Python with only the standard library and probewatch.mail.outgoing.
SCRIPT = r"""
import json, sys
from email import message_from_bytes, policy
from email.message import EmailMessage
from probewatch.mail.outgoing import serialize, set_address, set_text, set_threading
out = []
for text in json.loads(sys.stdin.read()):
    m = EmailMessage()
    set_address(m, "From", "noreply@probes.example.org", "probewatch")
    set_address(m, "To", "alice@example.net", text)
    set_text(m, "Subject", "Re: " + text)
    set_threading(m, "<a@b.example> " + text, "<r@x.example> " + text)
    m.set_content("body")
    data = serialize(m)
    back = message_from_bytes(data, policy=policy.default)
    out.append({"keys": [k.lower() for k in back.keys()], "subject": str(back["Subject"]),
                "to": [a.addr_spec for a in back["To"].addresses], "raw": data.decode("ascii")})
print(json.dumps(out))
"""


def _interpreters() -> list[str]:
    """This interpreter, plus python3.13 from PATH or pyenv when one of them really runs."""
    found = [sys.executable]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = [
        shutil.which("python3.13"),
        *map(str, pyenv.glob("versions/3.13*/bin/python3.13")),
    ]
    for candidate in filter(None, candidates):
        try:
            subprocess.run([candidate, "-c", "pass"], check=True, capture_output=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            continue  # a pyenv shim without that version selected
        found.append(candidate)
        break
    return found


@pytest.mark.parametrize("python", _interpreters())
def test_hostile_text_builds_the_same_safe_headers_on_every_interpreter(python: str) -> None:
    if python != sys.executable and "3.13" not in python:
        pytest.skip("no python3.13 on this machine")
    env = {**os.environ, "PYTHONPATH": str(SHARED)}
    done = subprocess.run(
        [python, "-c", SCRIPT],
        input=json.dumps(HOSTILE_TEXTS),
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    for text, result in zip(HOSTILE_TEXTS, json.loads(done.stdout), strict=True):
        assert "bcc" not in result["keys"] and "x-injected" not in result["keys"], text
        assert result["to"] == ["alice@example.net"]
        assert "\r\nBcc:" not in result["raw"] and "\r\nX-Injected:" not in result["raw"]
        assert "\x00" not in result["subject"] and "=?" not in result["subject"]


def test_python313_is_tested_when_the_machine_has_it() -> None:
    """The deployed runtime is python3.13 (infra/template.yaml): say so when it was not run."""
    if len(_interpreters()) < 2:
        pytest.skip("python3.13 not installed: the header checks ran on this interpreter only")


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_header_text_is_one_line_without_encoded_words(text: str) -> None:
    cleaned = header_text(text)
    assert "\r" not in cleaned and "\n" not in cleaned and "\x00" not in cleaned
    assert "=?" not in cleaned
    assert "\u2028" not in cleaned and "\x85" not in cleaned


@pytest.mark.parametrize(
    "address",
    [
        f'"a@x.example,{VICTIM},b"@example.com',
        f'"{VICTIM}"@example.com',
        f"alice@example.net, {VICTIM}",
        f"Alice <{VICTIM}>",
        "alice@example.net\r\nBcc: victim@evil.example",
        "alice@exam\x00ple.net",
        "a" * 65 + "@example.net",
        "alice@-bad-.example",
    ],
)
def test_only_plain_mailboxes_become_recipients(address: str) -> None:
    assert mailbox(address) is None
    message = EmailMessage()
    with pytest.raises(UnsafeHeader):
        set_address(message, "To", address)


def test_recipients_come_from_address_objects_not_commas() -> None:
    message = EmailMessage()
    message["To"] = '"a@x,victim@evil.example,b"@example.com'
    with pytest.raises(UnsafeHeader):
        recipients(message, "To")
    good = EmailMessage()
    set_address(good, "To", "Alice@Example.NET", "Alice, the reporter")
    assert recipients(good, "To") == ["Alice@example.net"]


def test_message_ids_keep_only_well_formed_ids() -> None:
    assert message_ids(f"<id.1@mail.example.net> {Q_WORD} <x=?y?=@z> <ok@b.c>") == [
        "<id.1@mail.example.net>",
        "<ok@b.c>",
    ]
    assert message_ids("no ids\r\nBcc: x@y") == []


def test_serialize_refuses_a_header_nobody_set() -> None:
    message = EmailMessage(policy=policy.compat32)
    message["From"] = "noreply@probes.example.org"
    message["Subject"] = "x\r\nBcc: victim@evil.example"  # compat32 writes it as given
    message.set_payload("x")
    with pytest.raises((UnsafeHeader, ValueError)):
        serialize(message)  # type: ignore[arg-type]


def _mail(**overrides: object) -> InboundMail:
    values: dict[str, object] = {
        "sender": "alice@example.net",
        "auth": AuthVerdict(spf="pass", dkim="pass", dmarc="pass"),
        "received_at": datetime(2026, 11, 24, tzinfo=UTC),
        "date": None,
        "message_id": f"<id@mail.example.net> {Q_WORD}",
        "subject": "Fwd: " + Q_WORD,
        "in_reply_to": None,
        "references": ["<r@x.example>", Q_WORD],
        "to": [],
        "auto_submitted": False,
    }
    values.update(overrides)
    return InboundMail(**values)  # type: ignore[arg-type]


def test_reply_to_an_injection_attempt_has_only_our_headers() -> None:
    reply = build_reply(_mail(), "noreply@probes.example.org", "body", now=datetime.now(UTC))
    data = serialize(reply)
    back = message_from_bytes(data, policy=policy.default)
    assert "Bcc" not in back and "X-Injected" not in back
    assert [a.addr_spec for a in back["To"].addresses] == ["alice@example.net"]
    assert back["In-Reply-To"] == "<id@mail.example.net>"
    assert str(back["References"]) == "<r@x.example> <id@mail.example.net>"
    assert "pw-reply" in str(back["Message-ID"]) and back["X-Probewatch-Reply"]


def test_reply_to_a_quoted_local_part_is_refused() -> None:
    with pytest.raises(UnsafeHeader):
        build_reply(
            _mail(sender=f'"a@x,{VICTIM},b"@example.com'),
            "noreply@probes.example.org",
            "body",
            now=datetime.now(UTC),
        )


def test_inbound_subject_that_decodes_to_an_encoded_word_stays_text() -> None:
    raw = (
        b"From: alice@example.net\r\nTo: report@probes.example.org\r\n"
        b"Subject: =?utf-8?b?PT91dGYtOD9xP2hlbGxvPTBEPTBBQmNjOl92aWN0aW1AZXZpbC5leGFtcGxlPz0=?=\r\n"
        b"\r\nbody\r\n"
    )
    mail = read_email(raw)
    reply = build_reply(mail, "noreply@probes.example.org", "body", now=datetime.now(UTC))
    back = message_from_bytes(serialize(reply), policy=policy.default)
    assert "Bcc" not in back
    assert "victim@evil.example" in str(back["Subject"])  # shown as text, not obeyed
