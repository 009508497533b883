"""`probewatch demo` says what became of every email, and fails clearly on a wrong folder."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EMAILS = REPO / "events" / "emails"


def _demo(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "probewatch.cli", "demo", "--quiet", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=REPO,
    )


def test_a_missing_folder_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = _demo("--emails", tmp_path / "nowhere")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"probewatch demo: --emails {tmp_path / 'nowhere'}: no such folder"
    ]


def test_a_folder_without_eml_files_says_how_to_fill_it(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not an email")
    result = _demo("--emails", tmp_path)
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert "no .eml files in" in line and ".eml file" in line


@pytest.mark.network
def test_each_email_gets_an_outcome_line_and_rejected_emails_are_counted(tmp_path: Path) -> None:
    folder = tmp_path / "emails"
    folder.mkdir()
    shutil.copy(EMAILS / "01-alice-netgear-gmail-inline.eml", folder / "a-registered.eml")
    # Bob sends a firewall log but is not registered in this folder's reporters.json.
    shutil.copy(EMAILS / "02-bob-ufw-outlook-forward.eml", folder / "b-stranger.eml")
    (folder / "reporters.json").write_text(
        json.dumps([{"email": "alice@example.net", "tz": "America/New_York"}])
    )
    out = tmp_path / "out"
    result = _demo("--emails", folder, "--out", out)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    registered = next(line for line in lines if line.startswith("a-registered.eml: "))
    stranger = next(line for line in lines if line.startswith("b-stranger.eml: "))
    summary = json.loads((out / "summary.json").read_text())
    stored = summary["events_stored"]
    assert stored > 0
    assert registered == f"a-registered.eml: accepted, {stored} events stored"
    assert stranger.startswith("b-stranger.eml: rejected (")
    reason = stranger.removeprefix("b-stranger.eml: rejected (").removesuffix(")")
    assert summary["emails_by_status"] == {"accepted": 1, "rejected": 1}
    # Counted per email, not per line: the stranger's lines were never read.
    assert summary["emails_not_accepted_by_reason"] == {reason: 1}
