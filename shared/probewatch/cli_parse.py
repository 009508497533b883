"""`probewatch parse`: firewall logs or .eml files -> one JSON event per line (or --stats).

Contract (DESIGN.md): `probewatch parse --json FILE...` (`-` = stdin) prints one JSON object
per event with `input` (the path as given) plus the ProbeEvent fields; `--tz ZONE` is the
zone for times written without one; `--stats` prints counts instead. Text with no firewall
lines prints nothing on stdout and exits 0. Exit 2 when a file cannot be read or the zone is
unknown. Whatever was skipped is said on stderr, per input: lines read, understood, rejected
(by reason) and not understood (with the first few), and an empty or binary input as such.
`--stats` counts what `--json` prints: both run the same parse (probewatch.parsers).
"""

from __future__ import annotations

import argparse
import codecs
import gc
import json
import os
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any, BinaryIO

from probewatch.event_lines import input_json, json_lines
from probewatch.parsers import ParseResult, parse_lines, parse_text
from probewatch.parsers.registry import PARSERS
from probewatch.parsers.timestamps import resolve_zone

# Header names that start an RFC 5322 message; a log file never starts with one of these.
_MAIL_HEADERS = (
    b"received:",
    b"return-path:",
    b"from:",
    b"message-id:",
    b"mime-version:",
    b"date:",
    b"delivered-to:",
    b"x-",
    b"subject:",
    b"to:",
    b"dkim-signature:",
    b"arc-",
    b"authentication-results:",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="log text or .eml; - for stdin")
    parser.add_argument("--json", action="store_true", help="one JSON object per event (default)")
    parser.add_argument("--stats", action="store_true", help="print counts instead of events")
    parser.add_argument("--tz", default="UTC", help="zone for times written without one")


def run(args: argparse.Namespace) -> int:
    try:
        zone = resolve_zone(args.tz)
    except ValueError as exc:
        print(f"probewatch parse: {exc}", file=sys.stderr)
        return 2
    status = 0
    total = ParseResult()
    seconds = 0.0
    out = sys.stdout
    for path in args.files:
        started = time.perf_counter()
        # Parsing creates an object or three per line that all live until the end, and no
        # reference cycles: the cyclic collector would only rescan them, again and again.
        gc.disable()
        try:
            result, size, binary = _parse_file(path, zone, keep_events=not args.stats)
        except OSError as exc:
            print(f"probewatch parse: {path}: {exc.strerror or exc}", file=sys.stderr)
            status = 2
            continue
        finally:
            gc.enable()
        seconds += time.perf_counter() - started
        if not args.stats:
            try:
                _write_events(out, result, path)
            except BrokenPipeError:  # `probewatch parse ... | head`: the reader has enough
                sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keep exit quiet
                return status
        result.events = []  # written: let them go before the next file
        total.extend(result)
        print(skipped_summary(path, result, size, binary), file=sys.stderr)
    if args.stats:
        _print_stats(total, seconds, as_json=args.json)
    return status


def _write_events(out: Any, result: ParseResult, path: str) -> None:
    """The events as `--json` lines, a thousand to a write (the cyclic collector off, as
    while parsing: it would only rescan the events, which are all still alive)."""
    path_json = input_json(path)
    events = result.events
    gc.disable()
    try:
        for begin in range(0, len(events), 1000):
            out.write("".join(json_lines(events[begin : begin + 1000], path_json)))
    finally:
        gc.enable()


def skipped_summary(path: str, result: ParseResult, size: int, binary: bool) -> str:
    """What stderr says about one input: how many lines were read, understood, rejected
    (by reason) and not understood, with the first few not understood."""
    label = "stdin" if path == "-" else path
    if size == 0:
        return f"probewatch parse: {label}: empty input, nothing to parse"
    rejected = result.rejected_by_reason()
    text = (
        f"probewatch parse: {label}: {result.lines:,} lines read, {result.understood:,} "
        f"understood ({result.event_count:,} events), "
        f"{sum(rejected.values()):,} rejected"
        + (
            " (" + ", ".join(f"{k} {v:,}" for k, v in sorted(rejected.items())) + ")"
            if rejected
            else ""
        )
        + f", {result.unrecognised:,} not understood"
    )
    if binary and not result.understood:
        text += " (this looks like binary data, not a text log: compressed or an image?)"
    for line_no, line in result.unrecognised_examples:
        shown = line if len(line) <= 160 else line[:157] + "..."
        text += f"\n  not understood, line {line_no}: {shown!r}"[: 200 + 30]
    return text


# A plain log file is read and split this much at a time: a 50 MB log is never held whole
# (nor its list of lines), and a chunk this size stays in the CPU's cache while it is
# decoded and split (1 MiB chunks take half as long again).
CHUNK = 1 << 16


def _parse_file(path: str, zone: Any, keep_events: bool) -> tuple[ParseResult, int, bool]:
    """(the parse of one input, its size as far as known (0: empty), whether its start
    looks binary): an email's texts, or a log file's lines (OSError if it cannot be read)."""
    if path == "-":
        data = sys.stdin.buffer.read()
        return _parse_data(path, data, zone, keep_events), len(data), _binary(data[:CHUNK])
    with open(path, "rb") as handle:
        head = handle.read(CHUNK)
        return _parse_handle(path, handle, head, zone, keep_events), len(head), _binary(head)


def _binary(head: bytes) -> bool:
    """Whether the start of an input is binary (NUL bytes or many control bytes), UTF-16
    text aside."""
    if not head or head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    controls = sum(head.count(bytes([c])) for c in (*range(0, 9), *range(14, 27), 127))
    return b"\0" in head or controls * 20 > len(head)


def _parse_handle(
    path: str, handle: BinaryIO, head: bytes, zone: Any, keep_events: bool
) -> ParseResult:
    """The parse of a file whose first CHUNK bytes are `head`."""
    stripped = head.lstrip()
    if (
        path.lower().endswith(".eml")
        or stripped[:40].lower().startswith(_MAIL_HEADERS)
        or (len(stripped) < 40 and len(head) == CHUNK)  # cannot tell yet: read it all
        or head.startswith((b"\xff\xfe", b"\xfe\xff"))
    ):
        return _parse_data(path, head + handle.read(), zone, keep_events)
    try:
        return parse_lines(
            _log_lines(handle, head),
            tz=zone,
            check_age=False,
            parsers=PARSERS,
            keep_events=keep_events,
        )
    except UnicodeDecodeError:  # not UTF-8: _decode's Latin-1 for the whole file
        handle.seek(0)
        return _parse_data(path, handle.read(), zone, keep_events)


def _parse_data(path: str, data: bytes, zone: Any, keep_events: bool) -> ParseResult:
    result = ParseResult()
    for versions, reference in _texts(path, data):
        result.extend(_best(versions, zone, reference, keep_events=keep_events))
    return result


def _log_lines(handle: BinaryIO, head: bytes) -> Iterator[str]:
    """The lines `_decode(whole file).splitlines()` gives, read a chunk at a time; raises
    UnicodeDecodeError when the file is not UTF-8. Each chunk is split up to its last
    newline (no line break, CR LF included, spans one), the rest joins the next chunk."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    carry = ""
    chunk = head
    while chunk:
        text = carry + decoder.decode(chunk)
        cut = text.rfind("\n") + 1
        if cut:
            yield from text[:cut].splitlines()
        carry = text[cut:]
        chunk = handle.read(CHUNK)
    yield from (carry + decoder.decode(b"", final=True)).splitlines()


def _best(
    versions: list[str], zone: Any, reference: datetime | None, keep_events: bool = True
) -> ParseResult:
    """The parse of the rendering that yields the most events (then the fewest rejected
    lines, then the preferred one), as ingest does: a hard-wrapped plain body loses to its
    HTML alternative that kept the log lines whole."""
    results = [
        parse_text(
            text,
            tz=zone,
            received_at=reference,
            check_age=False,
            parsers=PARSERS,
            keep_events=keep_events,
        )
        for text in versions
    ]
    return max(results, key=lambda r: (r.event_count, -len(r.rejected)))


def _texts(path: str, data: bytes) -> list[tuple[list[str], datetime | None]]:
    """(versions of one text, year reference) pairs: the file itself, or each text of an
    email with its other renderings (InboundMail.versions), preferred first."""
    if path.lower().endswith(".eml") or data.lstrip()[:40].lower().startswith(_MAIL_HEADERS):
        return _email_texts(data)
    return [([_decode(data)], None)]


def _email_texts(data: bytes) -> list[tuple[list[str], datetime | None]]:
    try:
        from probewatch.mail.inbound import read_email
    except ImportError:
        return _stdlib_email_texts(data)
    from probewatch.errors import MailRejected

    try:
        mail = read_email(data)
    except MailRejected as exc:
        print(f"probewatch parse: email not read: {exc.reason}", file=sys.stderr)
        return []
    reference = getattr(mail, "date", None) or getattr(mail, "received_at", None)
    return [([v.text for v in mail.versions(part)], reference) for part in mail.texts]


def _stdlib_email_texts(data: bytes) -> list[tuple[list[str], datetime | None]]:
    """Plain-text parts via the standard library, for when the mail module is absent."""
    from email import policy  # here: a log file never needs the email package
    from email.parser import BytesParser

    message = BytesParser(policy=policy.default).parsebytes(data)
    reference = None
    date = message["date"]
    if date is not None:
        try:
            reference = date.datetime
        except (AttributeError, TypeError, ValueError):
            reference = None
    texts = []
    for part in message.walk():
        if part.get_content_maintype() == "text" and not part.is_multipart():
            try:
                texts.append(([str(part.get_content())], reference))
            except (LookupError, ValueError):
                payload = part.get_payload(decode=True)
                texts.append(([_decode(payload if isinstance(payload, bytes) else b"")], reference))
    return texts


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _print_stats(result: ParseResult, seconds: float, as_json: bool) -> None:
    stats: dict[str, Any] = {
        "lines": result.lines,
        "understood": result.understood,
        "unrecognised": result.unrecognised,
        "events": result.event_count,
        "formats": dict(sorted(result.formats.items())),
        "rejected": dict(sorted(result.rejected_by_reason().items())),
        "seconds": round(seconds, 3),
        "lines_per_second": round(result.lines / seconds) if seconds > 0 else None,
    }
    if as_json:
        print(json.dumps(stats))
        return
    for key, value in stats.items():
        if isinstance(value, dict):
            print(f"{key}:")
            for name, count in value.items():
                print(f"  {name}: {count}")
        else:
            print(f"{key}: {value}")
