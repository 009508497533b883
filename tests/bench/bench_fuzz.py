"""Fuzzing: 100,000+ generated inputs through the MIME layer and the parsers (Hypothesis, the
strategies of tests/fixtures/mail/fuzz_inputs.py; `make test` runs the same checks on a few
hundred). Log texts are real fixture lines mutated (hostile characters anywhere, numbers out of
range, cut or repeated fields); emails are built from header, structure and encoding pieces
real and broken mail programs produce, some then damaged byte-wise. Each input must end
without an exception (MailRejected with a reason is the only one allowed out of the MIME
layer), every event must be valid (IP addresses, ports 0..65535, ISO-8601 Z time in years
1000-9999), and no input may cost more than 100 ms per line. PROBEWATCH_FUZZ_INPUTS sets the
total (default 100,000: three quarters log texts, one quarter emails).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from common import Figure

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "fixtures" / "mail"))

COMMAND = "python tests/bench/run.py --only bench_fuzz"
PER_LINE_MS = 100.0


class _Tally:
    def __init__(self) -> None:
        self.inputs = 0
        self.lines = 0
        self.events = 0
        self.worst_ms_per_line = 0.0
        self.worst_input = ""
        self.seconds = 0.0


def _fuzz(strategy: object, check: object, count: int, lines_of: object) -> _Tally:
    from hypothesis import HealthCheck, Phase, given, settings

    tally = _Tally()

    @settings(
        max_examples=count, deadline=None, database=None, phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )  # fmt: skip
    @given(strategy)
    def one(value: object) -> None:
        start = time.perf_counter()
        tally.events += check(value)  # type: ignore[operator]
        took = time.perf_counter() - start
        lines = max(1, lines_of(value))  # type: ignore[operator]
        tally.inputs += 1
        tally.lines += lines
        tally.seconds += took
        if took * 1000 / lines > tally.worst_ms_per_line:
            tally.worst_ms_per_line = took * 1000 / lines
            tally.worst_input = repr(value)[:120]

    one()
    return tally


def run(workdir: Path) -> list[Figure]:
    from fuzz_inputs import SAMPLES, check_mail, check_text, emails, log_texts

    total = int(os.environ.get("PROBEWATCH_FUZZ_INPUTS", "100000"))
    check_text("\n".join(SAMPLES))  # import and compile every parser first: not an input's cost
    started = time.perf_counter()
    texts = _fuzz(log_texts(), check_text, total * 3 // 4, lambda t: t.count("\n") + 1)
    mails = _fuzz(emails(), check_mail, total - total * 3 // 4, lambda r: r.count(b"\n") + 1)
    wall = time.perf_counter() - started
    inputs = texts.inputs + mails.inputs
    return [
        Figure("inputs fuzzed", f"{inputs:,} ({texts.inputs:,} log texts, {mails.inputs:,} emails) "
               f"in {wall:.0f} s", ">= 100,000", inputs >= 100_000, COMMAND),
        Figure("exceptions escaping, invalid events", "0 (any would have stopped the run "
               "with the failing input shrunk)", "0", True, COMMAND),
        Figure("events checked", f"{texts.events + mails.events:,}", "", None, COMMAND),
        Figure("parsers: worst time per line", f"{texts.worst_ms_per_line:.1f} ms "
               f"({texts.lines:,} lines, {texts.seconds / max(texts.lines, 1) * 1e6:.0f} us mean)",
               f"< {PER_LINE_MS:.0f} ms", texts.worst_ms_per_line < PER_LINE_MS, COMMAND),
        Figure("MIME layer + parsers: worst time per line of an email",
               f"{mails.worst_ms_per_line:.1f} ms ({mails.lines:,} lines in {mails.inputs:,} emails)",
               f"< {PER_LINE_MS:.0f} ms", mails.worst_ms_per_line < PER_LINE_MS, COMMAND),
    ]  # fmt: skip
