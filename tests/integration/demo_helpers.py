"""Run `probewatch demo` once, in a child process, and keep what it left behind.

The child is the real `probewatch demo --out DIR --quiet`; the only addition is that, just
before the local stack goes away, the stored events and incidents are written to
DIR/table.json, so tests can hold the digests up against what the system actually stored.
A child process keeps the demo's moto server, environment and cached clients out of the
test process.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

from probewatch.digest_sections import NUMBERS, STAGE_TEXT
from probewatch.digest_words import READING_TEXT, reason_title
from probewatch.filters import READER_TEXT

REPO = Path(__file__).resolve().parents[2]
EMAILS = REPO / "events" / "emails"
INCIDENT_ID = re.compile(r"PW-\d{8}-[0-9a-f]{8}")

# Wraps handlers.summarize (called while the stack is still up) to snapshot the table.
_DRIVER = """
import json, sys
from pathlib import Path
from probewatch.local import handlers

out = Path(sys.argv[1])
original = handlers.summarize

def summarize(local, start, end):
    from probewatch.store.events import event_from_item
    from probewatch.store.incidents import incident_from_item
    from probewatch.store.table import dynamodb_table

    table = dynamodb_table(local.table_name)
    items, kwargs = [], {}
    while True:
        page = table.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    events = [event_from_item(i) for i in items if str(i["SK"]).startswith("EVT#")]
    incidents = [incident_from_item(i) for i in items if i["SK"] == "INCIDENT" and "document" in i]
    snapshot = {
        "events": [{"src_ip": e.src_ip, "reporter": (e.reporter or "").lower()} for e in events],
        "incidents": [
            {
                "incident_id": i.incident_id,
                "src_ip": i.src_ip,
                "status": i.status,
                "decision_code": i.decision_code,
                "reporters": i.reporters,
                "filtered_by_reporter": i.filtered_by_reporter,
            }
            for i in incidents
        ],
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "table.json").write_text(json.dumps(snapshot))
    return original(local, start, end)

handlers.summarize = summarize
from probewatch.cli import main
sys.exit(main(["demo", "--out", str(out), "--quiet"]))
"""


@dataclass
class Digest:
    """The plain-text digest of one reporter, cut into its sections."""

    reporter: str
    text: str
    sections: dict[str, list[str]] = field(default_factory=dict)

    def count(self, what: str) -> int:
        """A row of the numbers table, e.g. count("Events accepted")."""
        for line in self.sections[NUMBERS]:
            if line.startswith(what + "  "):
                return int(line.split()[-1])
        raise AssertionError(f"{self.reporter}: no {what!r} in {NUMBERS!r}")

    def incidents_in(self, title: str) -> set[str]:
        return {m for line in self.sections.get(title, []) for m in INCIDENT_ID.findall(line)}

    def dropped(self, stage: str) -> dict[str, int]:
        """reason code -> events from the "Events not reported" list, for one stage. The text
        names each reason by its title only; the titles are told back to codes here, and a
        title that names no code fails."""
        codes = READING_TEXT if stage == "reading" else READER_TEXT
        code_of = {reason_title(code): code for code in codes}
        out: dict[str, int] = {}
        for block in _blocks(self.sections.get("Events not reported", [])):
            if block.get("Kept out") != STAGE_TEXT[stage]:
                continue
            assert block["Reason"] in code_of, f"{self.reporter}: unknown {block['Reason']!r}"
            code = code_of[block["Reason"]]
            out[code] = out.get(code, 0) + int(block["Events"])
        return out


def _blocks(lines: list[str]) -> list[dict[str, str]]:
    """ "- Label: value" starts a row, "  Label: value" adds to it, deeper lines continue."""
    rows: list[dict[str, str]] = []
    label = ""
    for line in lines:
        if line.startswith(("- ", "  ")) and not line.startswith("    ") and ": " in line:
            if line.startswith("- "):
                rows.append({})
            label, _, value = line[2:].partition(": ")
            rows[-1][label] = value
        elif line.startswith("    ") and rows and label:
            rows[-1][label] += " " + line.strip()
    return rows


@dataclass
class DemoRun:
    returncode: int
    stderr: str
    summary: dict[str, Any]
    table: dict[str, Any]
    sent: list[EmailMessage]

    def digests(self) -> dict[str, Digest]:
        out = {}
        for message in self.sent:
            if str(message.get("Subject", "")).startswith("probewatch digest"):
                reporter = str(message["To"]).lower()
                body = message.get_body(("plain",))
                assert body is not None
                text = body.get_content()
                out[reporter] = Digest(reporter, text, split_sections(text))
        return out


def run_demo(out: Path) -> DemoRun:
    # The demo starts its own moto server and fixture servers; nothing of the caller's AWS or
    # probewatch settings (an AWS_ENDPOINT_URL, a profile, a table name) may steer it elsewhere.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PROBEWATCH_"))}
    done = subprocess.run(
        [sys.executable, "-c", _DRIVER, str(out)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    summary = json.loads((out / "summary.json").read_text()) if done.returncode == 0 else {}
    table = json.loads((out / "table.json").read_text()) if done.returncode == 0 else {}
    sent = [
        message_from_bytes(path.read_bytes(), policy=default)
        for path in sorted((out / "sent").glob("*.eml"))
    ]
    return DemoRun(done.returncode, done.stderr, summary, table, sent)  # type: ignore[arg-type]


def split_sections(text: str) -> dict[str, list[str]]:
    """Title lines underlined with dashes start a section; the rest are its lines."""
    lines = text.splitlines()
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for index, line in enumerate(lines):
        underline = lines[index + 1] if index + 1 < len(lines) else ""
        if line and underline == "-" * len(line):
            current = sections.setdefault(line, [])
            continue
        if current is not None and line != "-" * len(line or "x"):
            current.append(line)
    return sections
