"""The digest's plain-text part: every line at most WIDTH columns. Pure.

Sentences are wrapped at word boundaries, never cut. A table row is shown as labelled lines
("- Address reported: 192.0.2.1", "  Sent to: ..."), each wrapped with a hanging indent, so a
long value (a log line, an IPv6 address, a reply) is shown whole over several lines. Only a
table marked `text_table` whose every line fits is shown as columns.
"""

from __future__ import annotations

import textwrap

from probewatch.digest_sections import Chart, Section

WIDTH = 78
INDENT = "    "


def render_text(
    intro: list[str], sections: list[Section], chart: Chart | None, footer: list[str]
) -> str:
    lines: list[str] = []
    for paragraph in intro:
        lines += wrap(paragraph)
    lines.append("")
    for section in sections:
        lines += [section.title, "-" * len(section.title)]
        for note in section.notes:
            lines += wrap(note, "- ", "  ") if section.bullets else wrap(note)
        if section.rows:
            if section.notes:
                lines.append("")
            lines += _table(section)
        lines.append("")
        if chart is not None and section.text_table:
            lines += _chart(chart)
    for paragraph in footer:
        lines += wrap(paragraph) if paragraph else [""]
    return "\n".join(lines) + "\n"


def wrap(paragraph: str, first: str = "", rest: str = "") -> list[str]:
    """One paragraph over as many lines as it needs; a word longer than a line is split
    (an address or a token of a log line), never dropped."""
    return textwrap.wrap(
        paragraph,
        width=WIDTH,
        initial_indent=first,
        subsequent_indent=rest,
        break_on_hyphens=False,
        break_long_words=True,
    ) or [first.rstrip()]


def _table(section: Section) -> list[str]:
    if section.text_table:
        widths = [max(len(r[i]) for r in section.rows) for i in range(len(section.columns))]
        lines = [
            "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
            for r in section.rows
        ]
        if all(len(line) <= WIDTH for line in lines):
            return lines
    out: list[str] = []
    for row in section.rows:
        for index, (column, cell) in enumerate(zip(section.columns, row, strict=True)):
            lead = "- " if index == 0 else "  "
            out += wrap(f"{column}: {cell}", lead, INDENT)
    return out


def _chart(chart: Chart) -> list[str]:
    peak = max((n for _, n in chart.bars), default=0) or 1
    bars = [(label, n) for label, n in chart.bars if n]
    if not bars:
        return []
    lines = [chart.title, "-" * len(chart.title)]
    lines += [f"{label}  {'#' * max(1, round(40 * n / peak))} {n}" for label, n in bars]
    return [*lines, ""]
