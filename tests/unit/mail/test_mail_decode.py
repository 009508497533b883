"""Charsets, format=flowed, quote markers and HTML, each on its own."""

from __future__ import annotations

from email import message_from_bytes

import pytest

from probewatch.mail.decode import decode_bytes, part_text, strip_quotes, unflow
from probewatch.mail.forwards import find_forward
from probewatch.mail.html_text import html_to_text


@pytest.mark.parametrize(
    ("data", "declared", "expected"),
    [
        ("naïve".encode(), "utf-8", "naïve"),
        ("naïve".encode("latin-1"), "iso-8859-1", "naïve"),
        ("naïve".encode("latin-1"), "utf-8", "naïve"),  # mislabelled: falls back
        ("“q”".encode("cp1252"), None, "“q”"),  # undeclared 8-bit, Windows quotes
        ("naïve".encode(), "x-unknown-thing", "naïve"),
        ("naïve".encode(), "us-ascii", "naïve"),  # 8-bit bytes cannot be ascii
        (b"\x81\x8d\x8f", None, "\x81\x8d\x8f"),  # undefined in cp1252: latin-1 never fails
    ],
)
def test_decode_bytes(data: bytes, declared: str | None, expected: str) -> None:
    assert decode_bytes(data, declared) == expected


def test_unflow_joins_soft_breaks_per_quote_depth() -> None:
    text = "SRC=1.2.3.4 DST=5.6.7.8 \nPROTO=TCP\n> quoted \n> rest\n>> deeper \n>> end\n-- \nsig"
    assert unflow(text).split("\n") == [
        "SRC=1.2.3.4 DST=5.6.7.8 PROTO=TCP",
        "> quoted rest",
        ">> deeper end",
        "-- ",
        "sig",
    ]


def test_unflow_delsp_removes_the_break_space() -> None:
    assert unflow("abc \ndef", delsp=True) == "abcdef"


def test_strip_quotes_any_depth() -> None:
    assert strip_quotes("> a\n>> b\n> > c\n  > d\ne > f") == "a\nb\nc\nd\ne > f"


def test_html_to_text_keeps_lines() -> None:
    html = (
        "<html><head><title>t</title><style>p {}</style><script>x()</script></head><body>"
        "<p>one<br>two&nbsp;&amp;</p><div>three\n  continued</div>"
        "<pre>  keep\n  spacing</pre><table><tr><td>a</td><td>b</td></tr>"
        "<tr><th>c</th><td>d</td></tr></table>tail</body></html>"
    )
    assert (
        html_to_text(html) == "one\ntwo &\nthree continued\n  keep\n  spacing\na\tb\nc\td\ntail\n"
    )


def test_html_to_text_survives_broken_markup() -> None:
    assert "SRC=1.2.3.4" in html_to_text("<div><p>SRC=1.2.3.4<td><<</div")


@pytest.mark.parametrize(
    ("text", "style"),
    [
        ("hi\n---------- Forwarded message ---------\nFrom: x", "gmail"),
        ("-------- Forwarded Message --------\nSubject: y", "thunderbird"),
        ("-----Original Message-----\nFrom: z", "outlook"),
        ("From: Router <r@example.net>\nSent: Tuesday, November 24, 2026 2:05 PM", "outlook"),
        ("Begin forwarded message:\n\nFrom: a", "apple-mail"),
        ("---------- Weitergeleitete Nachricht ---------\nVon: x", "gmail"),
        ("-------- Message transféré --------\nSujet : y", "thunderbird"),
        ("----- Forwarded Message -----\nFrom: yahoo", "thunderbird"),
        ("-----Ursprüngliche Nachricht-----\nVon: z", "outlook"),
        ("Von: root <r@example.org>\nGesendet: Dienstag, 24. November 2026 20:05", "outlook"),
        ("De : root <r@example.org>\nEnvoyé : mardi 24 novembre 2026 20:05", "outlook"),
        ("Anfang der weitergeleiteten Nachricht:\n\nVon: a", "apple-mail"),
        ("just a log line\nFrom: nobody", None),
    ],
)
def test_find_forward(text: str, style: str | None) -> None:
    found = find_forward(text)
    assert (found.style if found else None) == style


def test_an_rfc2231_encoded_format_parameter_does_not_break_decoding() -> None:
    # get_param returns a (charset, language, value) tuple for format*=: no crash on it.
    part = message_from_bytes(
        b"Content-Type: text/plain; charset=us-ascii; format*=us-ascii''flowed\r\n\r\n"
        b"DROP IN=eth0 SRC=203.0.113.9\r\n"
    )
    assert part_text(part) == "DROP IN=eth0 SRC=203.0.113.9\r\n"
