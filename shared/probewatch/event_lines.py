"""The `probewatch parse --json` line of an event, written fast.

`json_line(event, input_json)` returns exactly `json.dumps(event.to_json(input=...,
line=event.line_no)) + "\\n"` (the contract shape, DESIGN.md), without building the dict and
walking it with the generic encoder: that took two thirds of the CPU of `parse --json`.
Strings go through the json module's own C escaper (the one json.dumps uses), so the text
is byte for byte the same; the unit tests hold the two to it. Field texts that repeat
(times, formats, protocols, flags) are escaped once and remembered.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from json.encoder import encode_basestring_ascii  # type: ignore[attr-defined]

from probewatch.model import ProbeEvent, iso_z

# Escaped texts of the values that repeat: addresses, and the run of fields that take a
# few distinct values (format to direction's neighbours). Bounded, and emptied when full.
_TEXTS: dict[str | None, str] = {None: "null"}
_SHAPES: dict[tuple[str | None, ...], str] = {}
_LIMIT = 4096


def _text(value: str | None) -> str:
    found = _TEXTS.get(value)
    if found is None:
        if len(_TEXTS) >= _LIMIT:
            _TEXTS.clear()
            _TEXTS[None] = "null"
        found = _TEXTS[value] = "null" if value is None else encode_basestring_ascii(value)
    return found


def _time(moment: datetime | None) -> str:
    """`"2026-01-14T10:00:07Z"` (iso_z's text, quoted) or null."""
    if moment is None:
        return "null"
    text = moment.isoformat()
    if len(text) == 25 and text.endswith("+00:00"):  # UTC, whole seconds: the usual case
        return f'"{text[:19]}Z"'
    return encode_basestring_ascii(iso_z(moment) or "")  # type: ignore[no-any-return]


def input_json(path: str) -> str:
    """The `input` value as JSON text, computed once per file."""
    return encode_basestring_ascii(path)  # type: ignore[no-any-return]


def json_lines(events: Iterable[ProbeEvent], path_json: str) -> list[str]:
    """Each event's `parse --json` line (with its newline); `path_json` from input_json()."""
    texts, shapes, escape = _TEXTS, _SHAPES, encode_basestring_ascii
    out = []
    for e in events:
        shape = (e.proto, e.action, e.tcp_flags, e.evidence, e.direction)
        middle = shapes.get(shape)
        if middle is None:
            if len(shapes) >= _LIMIT:
                shapes.clear()
            middle = shapes[shape] = (
                f'"proto": {_text(e.proto)}, "action": {_text(e.action)}, '
                f'"tcp_flags": {_text(e.tcp_flags)}, "evidence": {_text(e.evidence)}, '
                f'"direction": {_text(e.direction)}, "raw": '
            )
        src = texts.get(e.src_ip) or _text(e.src_ip)
        dst = texts.get(e.dst_ip) or _text(e.dst_ip)
        fmt = texts.get(e.format) or _text(e.format)
        line, sport, dport = e.line_no, e.src_port, e.dst_port
        # ints as json.dumps writes them (int.__repr__); bools never reach these fields
        out.append(
            f'{{"input": {path_json}, "line": {"null" if line is None else line}, '
            f'"format": {fmt}, "time": {_time(e.time)}, "src_ip": {src}, '
            f'"src_port": {"null" if sport is None else sport}, "dst_ip": {dst}, '
            f'"dst_port": {"null" if dport is None else dport}, {middle}{escape(e.raw)}}}\n'
        )
    return out


def json_line(event: ProbeEvent, path_json: str) -> str:
    """One event's `parse --json` line (see json_lines)."""
    return json_lines((event,), path_json)[0]
