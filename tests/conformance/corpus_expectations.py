"""Reading the expected results that ship with ../shared/corpus into one shape.

Each corpus folder becomes a list of `Expectation`s: one log line and the events it should
give, each event a dict with some of src_ip, src_port, dst_ip, dst_port, proto, time. Only
what upstream asserted is there; fields upstream left out are not scored.

Sources (see the corpus MANIFEST.md):
  * elastic-*/<log>-expected.fields.json: ECS fields per line (`line` is 1-based). A line is
    scored when upstream extracted a connection (destination.ip/port or source.port) with a
    source address (an event without a source cannot exist), or the packets a Check Point
    drop summary lists. `@timestamp` carries the zone upstream tested
    with, which becomes the zone for the line; a year not written in the line is not scored.
  * crowdsec-hub/*/parser.assert.expected.json: `Parsed`/`Meta` per event (0-based index over
    the log's non-empty lines), events with `Success: false` are skipped.
  * crowdsec-hub/*/scenario.assert only: every line holding the alerted source IP must give an
    event from that source.
  * netgear-go-netgearlogs/parser_test.expected.json: the source IP of each DoS line.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from probewatch.model import parse_iso


@dataclass
class Expectation:
    log: Path
    line_no: int  # 1-based
    line: str
    events: list[dict[str, Any]]
    tz: str = "UTC"
    notes: list[str] = field(default_factory=list)


def folders(corpus: Path) -> list[str]:
    """Every corpus folder (relative name) that holds log data."""
    names = []
    for row in (corpus / "SUMMARY.tsv").read_text().splitlines()[1:]:
        if row.strip():
            names.append(row.split("\t")[0])
    return names


def has_expectations(corpus: Path, folder: str) -> bool:
    for row in (corpus / "SUMMARY.tsv").read_text().splitlines()[1:]:
        cols = row.split("\t")
        if cols[0] == folder:
            return cols[-1].strip() == "yes"
    return False


def load(corpus: Path, folder: str) -> list[Expectation]:
    base = corpus / folder
    if folder.startswith("crowdsec-hub/"):
        return _crowdsec(base)
    if folder == "netgear-go-netgearlogs":
        return _netgear(base)
    found: list[Expectation] = []
    for fields_file in sorted(base.glob("*-expected.fields.json")):
        found.extend(_elastic(fields_file))
    return found


def log_files(corpus: Path, folder: str) -> list[Path]:
    base = corpus / folder
    return sorted(p for p in base.iterdir() if p.suffix in (".log", ".txt") and p.is_file())


# --- elastic -------------------------------------------------------------------------------

_CONNECTION = ("destination.ip", "destination.port", "source.port")


def _elastic(fields_file: Path) -> list[Expectation]:
    data = json.loads(fields_file.read_text())
    log = fields_file.parent / data["origin"].get(
        "log_file", fields_file.name[: -len("-expected.fields.json")]
    )
    lines = log.read_text().splitlines()
    found = []
    for item in data["expected"]:
        line = lines[item["line"] - 1]
        events = _elastic_events(item)
        if not events:
            continue
        tz = "UTC"
        stamp = item.get("@timestamp")
        if stamp:
            offset = re.search(r"([+-]\d\d:\d\d)$", stamp)
            tz = offset.group(1) if offset else "UTC"
            when = parse_iso(stamp)
            for event in events:
                event["time"] = when
                event["year_in_line"] = (
                    str(datetime.fromisoformat(stamp.replace("Z", "+00:00")).year) in line
                )
                event["tz"] = tz
        found.append(Expectation(log, item["line"], line, events, tz))
    return found


def _elastic_events(item: dict[str, Any]) -> list[dict[str, Any]]:
    packets = item.get("checkpoint.packets_dropped")
    if packets:
        return [
            _clean(
                {"src_ip": p[0], "src_port": p[1], "dst_ip": p[2], "dst_port": p[3], "proto": p[4]}
            )
            for p in packets
        ]
    if not any(key in item for key in _CONNECTION) or "source.ip" not in item:
        return []  # no connection, or no source: nothing a ProbeEvent could hold
    return [
        _clean(
            {
                "src_ip": item.get("source.ip"),
                "src_port": item.get("source.port"),
                "dst_ip": item.get("destination.ip"),
                "dst_port": item.get("destination.port"),
                "proto": item.get("network.transport"),
            }
        )
    ]


# --- crowdsec ------------------------------------------------------------------------------

_PARSED_KEYS = {
    "src_ip": ("src_ip", "source_ip"),
    "src_port": ("src_port", "source_port"),
    "dst_ip": ("dst_ip", "dest_ip", "destination_ip"),
    "dst_port": ("dst_port", "dest_port", "destination_port"),
    "proto": ("proto", "protocol"),
}


# Programs whose every line is a firewall event even when upstream asserted only the envelope.
_FIREWALL_PROGRAMS = {"filterlog"}


def _crowdsec(base: Path) -> list[Expectation]:
    logs = sorted(base.glob("*.log"))
    lines = [
        (n, text) for n, text in enumerate(logs[0].read_text().splitlines(), 1) if text.strip()
    ]
    expected_file = base / "parser.assert.expected.json"
    if not expected_file.exists():
        return _crowdsec_scenario(base, logs[0], lines)
    results = json.loads(expected_file.read_text())["results"]
    # Later stages list only the events that got through, so events are matched to lines by
    # their `message` (a piece of the line), in log order.
    merged: dict[int, dict[str, Any]] = {}
    for stage in sorted(results):
        for events in results[stage].values():
            position = 0
            for event in events:
                parsed = event.get("Parsed") or {}
                message = (parsed.get("message") or "").strip()
                if not event.get("Success") or not message:
                    continue
                index = _find_line(lines, message, position)
                if index is None:
                    continue
                position = index + 1
                slot = merged.setdefault(index, {})
                slot.update(event.get("Meta") or {})
                slot.update(parsed)
    found = []
    for index, values in sorted(merged.items()):
        event = {}
        for ours, theirs in _PARSED_KEYS.items():
            for key in theirs:
                if values.get(key) not in (None, ""):
                    event[ours] = values[key]
                    break
        is_firewall_program = values.get("program") in _FIREWALL_PROGRAMS
        if "dst_port" not in event and "dst_ip" not in event and not is_firewall_program:
            continue  # not a connection (login failures, CEF headers only)
        stamp = values.get("timestamp8601") or values.get("timestamp")
        if stamp and re.match(r"\d{4}-\d\d-\d\dT", stamp):
            event["time"] = parse_iso(stamp)
            event["year_in_line"] = True
        line_no, text = lines[index]
        found.append(Expectation(logs[0], line_no, text, [_clean(event)]))
    return found


def _find_line(lines: list[tuple[int, str]], message: str, start: int) -> int | None:
    for index in range(start, len(lines)):
        if message in lines[index][1]:
            return index
    return None


def _crowdsec_scenario(base: Path, log: Path, lines: list[tuple[int, str]]) -> list[Expectation]:
    sources = set(re.findall(r'Sources\["([^"]+)"\]', (base / "scenario.assert").read_text()))
    found = []
    for line_no, text in lines:
        for source in sources:
            if re.search(rf"(?<![\d.]){re.escape(source)}(?![\d])", text):
                found.append(Expectation(log, line_no, text, [{"src_ip": source}]))
    return found


# --- netgear -------------------------------------------------------------------------------


def _netgear(base: Path) -> list[Expectation]:
    data = json.loads((base / "parser_test.expected.json").read_text())
    log = base / data["origin"]["log_file"]
    lines = log.read_text().splitlines()
    found = []
    for item in data["expected"]:
        line_no = lines.index(item["line"]) + 1
        found.append(Expectation(log, line_no, item["line"], [{"src_ip": item["FromSource"]}]))
    return found


# --- comparison ----------------------------------------------------------------------------


def _clean(event: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in event.items() if v not in (None, "")}


def same_ip(a: Any, b: Any) -> bool:
    try:
        return ipaddress.ip_address(str(a)) == ipaddress.ip_address(str(b))
    except ValueError:
        return str(a) == str(b)


_PROTO_NUMBERS = {"1": "ICMP", "6": "TCP", "17": "UDP", "58": "ICMPV6", "47": "GRE", "50": "ESP"}


def same_proto(expected: Any, actual: str | None) -> bool:
    word = str(expected).strip().upper()
    word = _PROTO_NUMBERS.get(word, word)
    word = {"IPV6-ICMP": "ICMPV6", "ICMP6": "ICMPV6"}.get(word, word)
    return word == (actual or "").upper()


def field_matches(name: str, expected: Any, actual: dict[str, Any], spec: dict[str, Any]) -> bool:
    """Does our event (`actual`, ProbeEvent.to_json() shape) agree on `name`?"""
    if name in ("src_ip", "dst_ip"):
        return actual.get(name) is not None and same_ip(expected, actual[name])
    if name in ("src_port", "dst_port"):
        return actual.get(name) is not None and int(expected) == int(actual[name])
    if name == "proto":
        return same_proto(expected, actual.get("proto"))
    if name == "time":
        ours = actual.get("time")
        if ours is None:
            return False
        ours_dt = parse_iso(ours)
        assert ours_dt is not None
        if spec.get("year_in_line", True):
            return abs((ours_dt - expected).total_seconds()) < 1
        # The line has no year: compare month..second in the zone upstream tested with.
        zone = expected.tzinfo
        a = ours_dt.astimezone(zone).replace(year=2000, microsecond=0) if ours_dt else None
        b = expected.astimezone(zone).replace(year=2000, microsecond=0)
        return a == b
    return False


def impossible(spec: dict[str, Any]) -> bool:
    """An expected value no packet can have: such a line must be rejected, not parsed."""
    for name in ("src_port", "dst_port"):
        if name in spec and not 0 <= int(spec[name]) <= 65535:
            return True
    for name in ("src_ip", "dst_ip"):
        if name in spec:
            try:
                ipaddress.ip_address(str(spec[name]))
            except ValueError:
                return True
    return False


def portless(spec: dict[str, Any]) -> bool:
    return str(spec.get("proto", "")).upper() in ("ICMP", "ICMPV6", "IPV6-ICMP", "1", "58")


SCORED = ("src_ip", "src_port", "dst_ip", "dst_port", "proto", "time")
