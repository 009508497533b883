"""Every hostile variant (tests/fixtures/mail/hostile.py) ends in a clear outcome at the mail
layer: read with its valid lines kept, or refused with a reason code; the sender is known
whenever the email says it anywhere; a reply to it carries only headers we set."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from probewatch.errors import MailRejected
from probewatch.mail.inbound import InboundMail, peek_sender, read_email
from probewatch.mail.limits import TOO_DEEP, TOO_MANY_PARTS
from probewatch.mail.outgoing import UnsafeHeader, serialize
from probewatch.mail.prescan import HEADER_TOO_LARGE
from probewatch.reporter_mail import build_reply

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "fixtures" / "mail"))
import hostile  # noqa: E402

LIGHT = [k.__name__ for k in hostile.KINDS if k.__name__ != "heavy_bombs"]
MAILS = {m.name: m for m in hostile.generate(kinds=LIGHT)}
REASONS = {HEADER_TOO_LARGE, TOO_DEEP, TOO_MANY_PARTS, "no-sender"}


def _words(texts: object) -> str:
    return "\n".join(" ".join(line.split()) for t in texts for line in t.split("\n"))  # type: ignore[attr-defined]


def _read(mail: hostile.Hostile) -> InboundMail | MailRejected:
    try:
        return read_email(mail.raw)
    except MailRejected as exc:
        return exc


@pytest.mark.parametrize("name", sorted(MAILS))
def test_every_variant_is_read_or_refused_with_a_reason(name: str) -> None:
    mail = MAILS[name]
    result = _read(mail)
    if isinstance(result, MailRejected):
        assert result.reason in REASONS, result
        assert not mail.lines or mail.kind == "bomb"  # only bombs may cost valid lines
        # ...and then the reporter can still be told: the sender comes from a bounded peek.
        assert peek_sender(mail.raw).sender == mail.sender
        return
    assert result.sender == mail.sender or not mail.sender
    text = _words(t.text for t in result.texts)
    for line in mail.lines:  # a separator inside a line became a space: compare the words
        assert " ".join(line.split()) in text, f"{name}: lost {line[:40]}"


@pytest.mark.parametrize("name", sorted(n for n in MAILS if MAILS[n].sender))
def test_a_reply_to_any_variant_has_only_our_headers_and_one_recipient(name: str) -> None:
    result = _read(MAILS[name])
    if isinstance(result, MailRejected):
        pytest.skip("refused: no reply is built from its text")
    reply = build_reply(result, "noreply@probes.example.org", "body", now=datetime.now(UTC))
    back = message_from_bytes(serialize(reply), policy=policy.default)
    assert not set(hostile.INJECTED) & set(back.keys())
    assert [a.addr_spec for a in back["To"].addresses] == [MAILS[name].sender]
    assert hostile.VICTIM not in str(back["To"])


@pytest.mark.parametrize("name", sorted(n for n in MAILS if n.startswith("recipient-")))
def test_quoted_local_parts_and_lists_never_give_a_victim_as_sender(name: str) -> None:
    result = _read(MAILS[name])
    sender = (
        result.sender if isinstance(result, InboundMail) else peek_sender(MAILS[name].raw).sender
    )
    assert hostile.VICTIM not in sender
    if isinstance(result, InboundMail) and "@" in result.sender:
        try:
            reply = build_reply(result, "noreply@probes.example.org", "b", now=datetime.now(UTC))
        except UnsafeHeader:
            return
        assert [a.addr_spec for a in reply["To"].addresses] == [result.sender]


@pytest.mark.parametrize("name", sorted(n for n in MAILS if n.startswith("loop-")))
def test_auto_replies_and_our_own_replies_are_recognised(name: str) -> None:
    result = _read(MAILS[name])
    assert isinstance(result, InboundMail)
    assert result.auto_submitted or result.own_reply


@pytest.mark.parametrize("name", sorted(n for n in MAILS if n.startswith("filename-")))
def test_file_names_never_carry_line_breaks_into_a_reply(name: str) -> None:
    result = _read(MAILS[name])
    assert isinstance(result, InboundMail)
    for text in [*result.notes, *(t.name for t in result.texts)]:
        assert "\r" not in text and "\n" not in text and "\x00" not in text


def test_a_header_bomb_is_refused_before_it_is_decoded() -> None:
    for name in ("bomb-subject-0", "bomb-from", "bomb-many-headers", "bomb-ctype-params"):
        result = _read(MAILS[name])
        assert isinstance(result, MailRejected) and result.reason == HEADER_TOO_LARGE, name
    assert _read(MAILS["bomb-many-parts"]).reason == TOO_MANY_PARTS  # type: ignore[union-attr]


def test_a_too_deep_email_still_names_its_subject_for_the_digest() -> None:
    mail = MAILS["bomb-too-deep"]
    result = _read(mail)
    assert isinstance(result, MailRejected) and result.reason == TOO_DEEP
    assert peek_sender(mail.raw).subject == "too deep to read"


def test_an_inner_message_bomb_costs_only_its_label() -> None:
    result = _read(MAILS["bomb-inner-subject"])
    assert isinstance(result, InboundMail)
    assert all(len(t.name) < 400 for t in result.texts)


def test_an_unreadable_part_is_named_in_the_notes() -> None:
    result = _read(MAILS["loss-bad-base64-0"])
    assert isinstance(result, InboundMail)
    assert any(note.startswith("unreadable-part: attached message") for note in result.notes)


def test_heavy_bombs_keep_the_valid_lines_beside_them() -> None:
    for mail in hostile.heavy_bombs():
        result = _read(mail)
        assert isinstance(result, InboundMail), mail.name
        text = "\n".join(t.text for t in result.texts)
        assert all(line in text for line in mail.lines), mail.name
        assert result.notes, mail.name  # the skipped line or archive is named
