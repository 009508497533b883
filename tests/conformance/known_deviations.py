"""Corpus lines where probewatch disagrees with upstream on purpose, and the rule that says so.

Upstream pipelines (Elastic ingest) extract whatever a line holds, and so does probewatch
wherever a line names both ends of the traffic: the device's own housekeeping (administrator
sessions and logins, NTP, WAN load balancing, "the cache is full") and Meraki file-scan
verdicts are events with an honest action ("allow" unless the line says the source was
refused), so they are scored like any other line and none is listed here any more.
Prose-only lines (no source and destination) give no events, and upstream scores none
for them either. Impossible values, ICMP "ports" and source-less lines are handled by the
harness itself (corpus_expectations.impossible / portless).

An entry names the log file and 1-based line, the fields affected (None: the whole line) and
the reason. The conformance harness may leave these fields out of the score; the per-folder
accuracy should then be reported both ways.

Owned by Parsers B (enterprise formats); keep every reason tied to a rule a reader can check.
"""

from __future__ import annotations

# folder -> {(log file name, line number): (fields or None for all, reason)}
KNOWN_DEVIATIONS: dict[str, dict[tuple[str, int], tuple[tuple[str, ...] | None, str]]] = {
    "elastic-sonicwall_firewall": {},
    "elastic-cisco_meraki": {},
}


def excluded(folder: str, log_name: str, line_no: int, field: str) -> str | None:
    """The reason `field` of that line is not scored, or None when it is scored."""
    entry = KNOWN_DEVIATIONS.get(folder, {}).get((log_name, line_no))
    if entry is None:
        return None
    fields, reason = entry
    return reason if fields is None or field in fields else None
