"""Each limit stops the email (or the one archive) with a reason a reporter can read."""

from __future__ import annotations

import io
import zipfile

import pytest
from mime_samples import fixture, ufw_line

from probewatch.errors import MailRejected, ParseError
from probewatch.mail.archives import extract
from probewatch.mail.inbound import read_email
from probewatch.mail.limits import Budget, MailLimits


def rejection(name: str, limits: MailLimits | None = None) -> MailRejected:
    with pytest.raises(MailRejected) as caught:
        read_email(fixture(name), limits)
    return caught.value


def test_empty_message_raises_the_projects_parse_error() -> None:
    error = rejection("empty.eml")
    assert isinstance(error, ParseError)
    assert error.reason == "empty"


def test_size_limit() -> None:
    assert rejection("limit_size.eml", MailLimits(max_bytes=32 * 1024)).reason == "too-large"
    assert read_email(fixture("limit_size.eml")).texts  # fine under the default limit


def test_depth_limit() -> None:
    error = rejection("limit_depth.eml")
    assert (error.reason, error.detail) == ("too-deep", "nesting deeper than 5")
    deep_enough = MailLimits(max_depth=20)
    assert ufw_line(0) in read_email(fixture("limit_depth.eml"), deep_enough).texts[0].text


def test_depth_counts_across_attached_eml_files() -> None:
    # Each .eml is parsed on its own; the depth must still be counted from the outer message.
    assert rejection("limit_depth_eml_files.eml").reason == "too-deep"
    mail = read_email(fixture("limit_depth_eml_files.eml"), MailLimits(max_depth=30))
    assert ufw_line(0) in mail.texts[0].text
    assert mail.sender == "alice@example.net"


def test_part_count_limit() -> None:
    assert rejection("limit_parts.eml").reason == "too-many-parts"
    assert len(read_email(fixture("limit_parts.eml"), MailLimits(max_parts=300)).texts) == 250


@pytest.mark.parametrize("name", ["limit_zip_bomb.eml", "limit_gzip_bomb.eml"])
def test_decompression_bomb_costs_only_its_attachment(name: str) -> None:
    mail = read_email(fixture(name))
    assert any(note.startswith("decompressed-too-large:") for note in mail.notes)
    assert all(len(text.text) < 10_000 for text in mail.texts)


def test_zip_bomb_keeps_the_rest_of_the_email() -> None:
    mail = read_email(fixture("limit_zip_bomb.eml"))
    assert [t.name for t in mail.texts] == ["body"]
    assert ufw_line(1) in mail.texts[0].text


def test_decompression_budget_is_shared_by_all_archives_of_one_email() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.log", b"x" * 600)
        archive.writestr("b.log", b"y" * 600)
    budget = Budget(MailLimits(max_decompressed_bytes=1000))
    members = extract("zip", "logs.zip", buffer.getvalue(), budget)
    assert next(members) == ("a.log", b"x" * 600)
    with pytest.raises(MailRejected) as caught:
        next(members)
    assert caught.value.reason == "decompressed-too-large"


def test_sizes_claimed_inside_a_zip_are_not_trusted() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("big.log", b"z" * 5000)
    budget = Budget(MailLimits(max_decompressed_bytes=4096))
    with pytest.raises(MailRejected):
        list(extract("zip", "x.zip", buffer.getvalue(), budget))
    assert budget.decompressed <= 4096 + 1


def test_no_from_falls_back_to_the_envelope_sender_ses_recorded() -> None:
    mail = read_email(fixture("no_sender.eml"))
    assert mail.sender == "alice@example.net"  # Return-Path / smtp.mailfrom
    assert any("envelope" in note for note in mail.notes)


def test_no_sender_at_all() -> None:
    raw = fixture("no_sender.eml")
    kept = [
        line
        for line in raw.split(b"\n")
        if not line.startswith((b"Return-Path", b"Received-SPF", b"Authentication-Results", b" "))
    ]
    with pytest.raises(MailRejected) as caught:
        read_email(b"\n".join(kept))
    assert caught.value.reason == "no-sender"


def test_limits_come_from_ingest_settings() -> None:
    class Settings:
        max_email_bytes = 10
        max_depth = 2
        max_parts = 3
        max_decompressed_bytes = 4

    assert MailLimits.from_settings(Settings()) == MailLimits(10, 2, 3, 4)


def test_a_limit_missing_from_the_settings_keeps_its_default() -> None:
    class Settings:
        max_email_bytes = 10

    assert MailLimits.from_settings(Settings()) == MailLimits(max_bytes=10)
