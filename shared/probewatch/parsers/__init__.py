"""Firewall and router log formats -> ProbeEvents. Pure: no AWS, no I/O.

Public entry point: `parse_text(text, *, tz="UTC", received_at=None, reporter=None)`
-> ParseResult (`.events`, `.rejected`, `.formats`, `.lines`, `.latest_time`); the same
over an iterable of lines (a big file read a chunk at a time): `parse_lines(lines, ...)`.
The formats are listed in `registry.py`; shared helpers for format modules are in
`timestamps.py` (all time handling), `validate.py` (addresses, ports, make_event) and `kv.py`.
"""

from probewatch.parsers.dispatch import ParseResult, parse_lines, parse_text

__all__ = ["ParseResult", "parse_lines", "parse_text"]
