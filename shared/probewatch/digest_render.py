"""Rendering of the digest: the same sections as plain text and as HTML tables. Pure.

HTML is for mail clients: inline styles only, no scripts, no images fetched; the chart is
a row of table cells with coloured bars.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

# The chart goes right under the section with this title.
CHART_AFTER = "Summary"


@dataclass
class Section:
    """One heading with a table under it (and optional sentences before the table)."""

    title: str
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Chart:
    """Accepted events per hour of the reporter's day (hour label, count)."""

    title: str
    bars: list[tuple[str, int]]


def render_text(intro: list[str], sections: list[Section], chart: Chart | None) -> str:
    lines = [*intro, ""]
    for section in sections:
        lines += [section.title, "-" * len(section.title), *section.notes]
        if section.rows:
            if section.notes:
                lines.append("")
            lines += _text_table(section.columns, section.rows)
        lines.append("")
        if chart and section.title == CHART_AFTER:
            lines += _text_chart(chart)
    lines += _FOOTER
    return "\n".join(lines) + "\n"


def render_html(intro: list[str], sections: list[Section], chart: Chart | None) -> str:
    esc = html.escape
    out = [
        "<!DOCTYPE html>",
        '<html><body style="font-family:sans-serif;font-size:14px;color:#222">',
        *(f"<p>{esc(line)}</p>" for line in intro),
    ]
    for section in sections:
        out.append(f'<h3 style="margin:18px 0 6px">{esc(section.title)}</h3>')
        out += [f"<p>{esc(note)}</p>" for note in section.notes]
        if section.rows:
            out.append('<table cellpadding="4" style="border-collapse:collapse">')
            out.append(
                "<tr>"
                + "".join(
                    f'<th align="left" style="border-bottom:1px solid #999">{esc(c)}</th>'
                    for c in section.columns
                )
                + "</tr>"
            )
            out += [
                "<tr>" + "".join(f"<td>{esc(cell)}</td>" for cell in row) + "</tr>"
                for row in section.rows
            ]
            out.append("</table>")
        if chart and section.title == CHART_AFTER:
            out += _html_chart(chart)
    out += [f"<p>{esc(line)}</p>" for line in _FOOTER if line]
    out.append("</body></html>")
    return "\n".join(out) + "\n"


_FOOTER = [
    "--",
    "Reply with HELP for the commands you can send (PAUSE, RESUME, SETTINGS, CANCEL, STOP).",
]


def _text_table(columns: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [columns, *rows]) for i in range(len(columns))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return [line(columns), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def _text_chart(chart: Chart) -> list[str]:
    peak = max((n for _, n in chart.bars), default=0) or 1
    lines = [chart.title, "-" * len(chart.title)]
    lines += [f"{label}  {'#' * max(1, round(20 * n / peak))} {n}" for label, n in chart.bars if n]
    return [*lines, ""]


def _html_chart(chart: Chart) -> list[str]:
    peak = max((n for _, n in chart.bars), default=0) or 1
    bars = "".join(
        f'<td valign="bottom" title="{label} {n}" style="padding:0 1px">'
        f'<div style="width:10px;height:{max(1, round(60 * n / peak)) if n else 0}px;'
        f'background:#3a7bd5"></div></td>'
        for label, n in chart.bars
    )
    labels = "".join(
        f'<td style="font-size:9px;color:#666;padding:0 1px">{label.removesuffix(":00")}</td>'
        for label, _ in chart.bars
    )
    counts = "".join(
        f'<td style="font-size:9px;padding:0 1px">{n or ""}</td>' for _, n in chart.bars
    )
    return [
        f'<h3 style="margin:18px 0 6px">{html.escape(chart.title)}</h3>',
        '<table cellspacing="0" style="border-collapse:collapse">',
        f'<tr style="height:64px">{bars}</tr>',
        f"<tr>{counts}</tr>",
        f"<tr>{labels}</tr>",
        "</table>",
    ]
