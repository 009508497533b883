"""HTML mail bodies -> plain text that keeps the line structure log lines need.

Router alert mails and Outlook forwards often arrive as HTML only. A log line must come out
as one line: block elements (<p>, <div>, <br>, <tr>, <li>, headings) end lines, table cells
are separated by a tab, <pre> keeps its own whitespace and newlines, and everything else
collapses whitespace the way a browser does. Scripts and styles are dropped. Never raises:
broken HTML gives whatever text could be recovered.
"""

from __future__ import annotations

from html.parser import HTMLParser

_BLOCK = {
    "p", "div", "tr", "li", "ul", "ol", "table", "tbody", "thead", "tfoot", "blockquote",
    "h1", "h2", "h3", "h4", "h5", "h6", "pre", "section", "article", "header", "footer",
    "hr", "dl", "dt", "dd", "center", "form", "address",
}  # fmt: skip
_CELL = {"td", "th"}
_SKIP = {"script", "style", "head", "title", "noscript", "template"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.pre = 0
        self.skip = 0
        self.cells_in_row = 0

    def _end_line(self) -> None:
        line = "".join(self.current)
        self.current = []
        if not self.pre:
            line = "\t".join(" ".join(cell.split()) for cell in line.split("\t"))
        self.lines.append(line.rstrip())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
        elif tag == "br":
            self._end_line()
        elif tag in _CELL:
            if self.cells_in_row:
                self.current.append("\t")
            self.cells_in_row += 1
        elif tag in _BLOCK:
            if self.current:
                self._end_line()
            if tag == "tr":
                self.cells_in_row = 0
            if tag == "pre":
                self.pre += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br" or tag == "hr":
            self._end_line()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK:
            if self.current:
                self._end_line()
            if tag == "pre":
                self.pre = max(0, self.pre - 1)

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.pre:
            # <pre> keeps its newlines: each becomes a line of its own.
            pieces = data.split("\n")
            for piece in pieces[:-1]:
                self.current.append(piece)
                self._end_line()
            self.current.append(pieces[-1])
        else:
            # Outside <pre> a newline in the source is just a space (the browser's rule),
            # but a tab between cells must survive the whitespace collapse in _end_line.
            self.current.append(" ".join(data.split("\n")) if data.strip() else " ")

    def text(self) -> str:
        if self.current:
            self._end_line()
        cleaned: list[str] = []
        for line in self.lines:
            line = line.replace("\xa0", " ")
            if line or (cleaned and cleaned[-1]):
                cleaned.append(line)
        return "\n".join(cleaned).strip("\n") + "\n" if cleaned else ""


def html_to_text(html: str) -> str:
    """Readable text of an HTML document, one output line per rendered line."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    return extractor.text()
