"""The digest's HTML part: the same sections as the text part, as tables, plus a chart. Pure.

HTML is for mail clients: inline styles only, no scripts, no images fetched; the chart is
a row of table cells with coloured bars, under the numbers table.
"""

from __future__ import annotations

import html

from probewatch.digest_sections import Chart, Section


def render_html(
    intro: list[str], sections: list[Section], chart: Chart | None, footer: list[str]
) -> str:
    esc = html.escape
    out = [
        "<!DOCTYPE html>",
        '<html><body style="font-family:sans-serif;font-size:14px;color:#222;max-width:60em">',
        *(f"<p>{esc(line)}</p>" for line in intro),
    ]
    for section in sections:
        out.append(f'<h3 style="margin:18px 0 6px">{esc(section.title)}</h3>')
        if section.bullets:
            out += ["<ul>", *(f"<li>{esc(note)}</li>" for note in section.notes), "</ul>"]
        else:
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
                '<tr valign="top">' + "".join(f"<td>{esc(cell)}</td>" for cell in row) + "</tr>"
                for row in section.rows
            ]
            out.append("</table>")
        if chart is not None and section.text_table:
            out += _html_chart(chart)
    out += [f"<p>{esc(line)}</p>" for line in footer if line]
    out.append("</body></html>")
    return "\n".join(out) + "\n"


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
