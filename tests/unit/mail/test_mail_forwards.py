"""Every forwarding style and encoding recovers the log lines intact, one per line."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from mime_samples import fixture, ufw_line

from probewatch.mail.inbound import InboundMail, read_email


def all_lines(mail: InboundMail) -> list[str]:
    texts = mail.texts + mail.alternates
    return [line.strip() for text in texts for line in text.text.split("\n")]


# fixture -> (UFW line numbers that must come out whole, forward style of the text holding them)
CASES = {
    "gmail_inline.eml": ([0, 1], "gmail"),
    "outlook_original_message.eml": ([2, 3], "outlook"),
    "outlook_html_only_qp.eml": ([4, 5], "outlook"),
    "apple_mail_flowed.eml": ([0, 1], "apple-mail"),
    "thunderbird_forward.eml": ([2, 3], "thunderbird"),
    "quoted_nested.eml": ([0, 1, 2, 3], None),
    "rfc822_attachment.eml": ([4, 5], None),
    "rfc822_nested.eml": ([4, 5], None),
    "log_attachments.eml": ([0, 1], None),
    "gzip_attachment.eml": ([2, 3], None),
    "zip_attachment.eml": ([4, 5], None),
    "qp_soft_breaks.eml": ([0, 5], None),
    "base64_body.eml": ([1], None),
    "charset_iso8859_base64.eml": ([2], None),
    "charset_mislabelled_8bit.eml": ([3], None),
    "charset_undeclared_8bit.eml": ([4], None),
    "charset_unknown.eml": ([5], None),
    "charset_koi8r_qp.eml": ([0], None),
    "wrapped_plain_alternative.eml": ([2, 3], None),
    "rfc822_base64_encoded.eml": ([4, 5], None),
    "outlook_german.eml": ([4, 5], "outlook"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_forward_style_recovers_whole_log_lines(name: str) -> None:
    expected, style = CASES[name]
    mail = read_email(fixture(name))
    lines = all_lines(mail)
    for n in expected:
        assert ufw_line(n) in lines, f"{name}: line {n} not recovered intact"
    if style:
        holder = next(t for t in mail.texts if ufw_line(expected[0]) in t.text)
        assert holder.forward_style == style


@pytest.mark.parametrize("name", sorted(CASES))
def test_reporter_is_the_outer_sender(name: str) -> None:
    mail = read_email(fixture(name))
    # The forwarded originals are from root@/router@gw.home.example or carol@: never the reporter.
    assert mail.sender in {"alice@example.net", "bob@example.org"}
    assert mail.auth.passed
    assert mail.received_at == datetime(2026, 11, 24, 20, 0, tzinfo=UTC)
    assert mail.date == datetime(2026, 11, 24, 19, 59, 58, tzinfo=UTC)


def test_html_table_and_pre_keep_line_structure() -> None:
    mail = read_email(fixture("html_table_pre.eml"))
    (text,) = mail.texts
    assert text.name == "body (html)"
    lines = text.text.split("\n")
    assert f"2026-11-24 14:00\t{ufw_line(0)}" in lines  # a table row is one line, cells tabbed
    for n in (1, 2, 3, 4):  # <pre> lines, <p> and <div>
        assert ufw_line(n) in lines


def test_alternatives_plain_first_the_others_kept_apart() -> None:
    mail = read_email(fixture("gmail_inline.eml"))
    assert [(t.name, t.alternative) for t in mail.texts] == [("body", 1)]
    assert [(t.name, t.alternative) for t in mail.alternates] == [("body (html)", 1)]
    assert [t.name for t in mail.versions(mail.texts[0])] == ["body", "body (html)"]
    assert mail.body_text.count(ufw_line(0)) == 1


def test_a_hard_wrapped_plain_version_leaves_the_html_one_intact() -> None:
    mail = read_email(fixture("wrapped_plain_alternative.eml"))
    plain, html = mail.versions(mail.texts[0])
    assert ufw_line(2) not in plain.text.split("\n")  # the phone wrapped it at 72
    assert ufw_line(2) in html.text.split("\n")


def test_an_encoded_attached_message_is_decoded() -> None:
    mail = read_email(fixture("rfc822_base64_encoded.eml"))
    attached = mail.texts[-1]
    assert attached.name == "attached message 'Firewall alert' / body"
    assert attached.original_date == datetime(2026, 11, 24, 19, 5, 58, tzinfo=UTC)


def test_attached_alert_keeps_its_own_date_and_arrival_for_the_clock_check() -> None:
    mail = read_email(fixture("rfc822_attachment.eml"))
    attached = next(t for t in mail.texts if ufw_line(4) in t.text)
    assert attached.name == "attached message 'Firewall alert' / body"
    assert attached.original_date == datetime(2026, 11, 24, 19, 5, 58, tzinfo=UTC)
    assert attached.original_received == datetime(2026, 11, 24, 19, 6, 2, tzinfo=UTC)
    assert mail.is_forward


def test_nested_attached_messages_are_named_by_their_path() -> None:
    mail = read_email(fixture("rfc822_nested.eml"))
    holder = next(t for t in mail.texts if ufw_line(4) in t.text)
    assert holder.name.startswith("attached message 'Fwd: Firewall alert' / attached message")


def test_thunderbird_block_date_is_the_alerts_date() -> None:
    mail = read_email(fixture("thunderbird_forward.eml"))
    assert mail.texts[0].original_date == datetime(2026, 11, 24, 19, 5, 7, tzinfo=UTC)


def test_gmail_block_date_without_zone_is_not_guessed() -> None:
    assert read_email(fixture("gmail_inline.eml")).texts[0].original_date is None


def test_binary_attachments_are_skipped_with_a_note() -> None:
    mail = read_email(fixture("log_attachments.eml"))
    assert "skipped: logo.png (a picture: please send the log text, not a screenshot)" in mail.notes
    names = [t.name for t in mail.texts]
    assert "attachment filter.csv" in names  # application/octet-stream, but a .csv name
    zipped = read_email(fixture("zip_attachment.eml"))
    assert not any("screenshot" in t.name for t in zipped.texts)


def test_eight_bit_text_is_decoded_not_mangled() -> None:
    undeclared = read_email(fixture("charset_undeclared_8bit.eml")).texts[0].text
    assert "entrée bloquée — détails" in undeclared
    mislabelled = read_email(fixture("charset_mislabelled_8bit.eml")).texts[0].text
    assert "Café router “alert”" in mislabelled  # cp1252 bytes labelled utf-8
    latin = read_email(fixture("charset_iso8859_base64.eml")).texts[0].text
    assert "détecté" in latin
    koi = read_email(fixture("charset_koi8r_qp.eml")).texts[0].text
    assert "Журнал" in koi


def test_not_firewall_mail_still_yields_its_text() -> None:
    mail = read_email(fixture("not_firewall.eml"))
    assert "Thank you for your order." in mail.texts[0].text
