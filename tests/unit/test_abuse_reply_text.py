"""The excerpt of an abuse desk's reply that reporters see: short, their own words, ASCII."""

from __future__ import annotations

from probewatch.abuse_replies import EXCERPT_CHARS, reply_excerpt


def test_excerpt_keeps_the_reply_and_drops_the_quoted_report() -> None:
    text = (
        "Hello,\r\n\r\nThank you, the customer has been notified\u2014ticket #4411.\n\n"
        "On Wed, 25 Nov 2026 at 04:00, probewatch <reports@probes.example.org> wrote:\n"
        "> To whom it may concern,\n> 2026-11-25 03:14:07 UTC TCP 45.155.205.12:51234\n"
    )
    assert reply_excerpt(text) == "Hello, Thank you, the customer has been notified-ticket #4411."


def test_excerpt_stops_at_an_outlook_style_original_and_skips_quote_marks() -> None:
    text = (
        "We blocked it.\n> quoted\n-----Original Message-----\nFrom: probewatch\nSecret report text"
    )
    assert reply_excerpt(text) == "We blocked it."


def test_excerpt_is_bounded_and_free_of_control_characters() -> None:
    excerpt = reply_excerpt("word\x00\x1b[31m " * 500)
    assert len(excerpt) <= EXCERPT_CHARS and excerpt.endswith("...")
    assert all(32 <= ord(ch) < 127 for ch in excerpt)
