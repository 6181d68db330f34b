"""Self-contained HTML versions of the Markdown reports: one file a drafter can mail to a
colleague and open offline.

The HTML is rendered from the very Markdown the .md file holds (markdown-it-py, CommonMark
with GitHub tables, so `<details>` blocks and heading anchors behave as on GitHub), with
three substitutions: images become base64 data URIs of the PNGs written in the same run,
mermaid blocks become inline SVG (report_svg), and links to a sibling `X.md` report point
at `X.html` when that file is written too. A little CSS and a few lines of script (click a
column heading to sort a table) are inline; a Content-Security-Policy forbids the page any
other resource, so a stray external reference shows up as a blocked load, not a silent
network call.
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path
from typing import Callable, Mapping

from ..errors import LoopholesError

CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
       "base-uri 'none'; form-action 'none'")

CSS = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: #1f2328; margin: 0; background: #fff; }
main { max-width: 1200px; margin: 0 auto; padding: 1.5rem 2rem 3rem; }
h1, h2, h3 { line-height: 1.25; margin: 1.6em 0 0.6em; }
h1 { font-size: 1.8em; border-bottom: 1px solid #d0d7de; padding-bottom: 0.3em; }
h2 { font-size: 1.4em; border-bottom: 1px solid #d0d7de; padding-bottom: 0.3em; }
a { color: #0969da; }
img { max-width: 100%; height: auto; }
code { font: 0.88em ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
       background: #f6f8fa; padding: 0.1em 0.3em; border-radius: 4px; }
pre { background: #f6f8fa; padding: 0.8em 1em; overflow: auto; border-radius: 6px; }
pre code { background: none; padding: 0; }
.table { overflow-x: auto; margin: 0.8em 0; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border: 1px solid #d0d7de; padding: 4px 8px; vertical-align: top; text-align: left; }
thead th { background: #f6f8fa; position: sticky; top: 0; cursor: pointer; user-select: none; }
thead th[aria-sort="ascending"]::after { content: " \\25B2"; }
thead th[aria-sort="descending"]::after { content: " \\25BC"; }
tbody tr:nth-child(even) { background: #fafbfc; }
figure.diagram { margin: 1em 0; overflow-x: auto; }
figure.diagram svg { max-width: 100%; height: auto; }
details { margin: 0.8em 0; }
summary { cursor: pointer; color: #0969da; }
footer { color: #59636e; font-size: 13px; margin-top: 3em; border-top: 1px solid #d0d7de; padding-top: 0.8em; }
"""

SORT_JS = """
(function () {
  function key(cell) {
    var text = cell.textContent.trim();
    if (text === "" || text === "\\u2014") return null;
    if (/^\\d{4}-\\d{2}-\\d{2}/.test(text)) return text;
    var number = text.replace(/^[\\u2265\\s]+/, "").match(/^-?\\d+(\\.\\d+)?(e[+-]?\\d+)?/i);
    return number ? parseFloat(number[0]) : text;
  }
  function compare(a, b) {
    if (a === null || b === null) return a === b ? 0 : (a === null ? 1 : -1);
    if (typeof a === "number" && typeof b === "number") return a - b;
    return String(a).localeCompare(String(b), undefined, {numeric: true});
  }
  document.querySelectorAll("table").forEach(function (table) {
    if (!table.tHead || !table.tBodies.length) return;
    var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
    heads.forEach(function (th, column) {
      th.tabIndex = 0;
      th.title = "sort by this column";
      function sort() {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        heads.forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows).map(function (row, index) {
          return {row: row, key: key(row.cells[column] || row.cells[0]), index: index};
        });
        rows.sort(function (a, b) {
          var order = compare(a.key, b.key);
          if (order !== 0 && a.key !== null && b.key !== null && !ascending) order = -order;
          return order || a.index - b.index;
        });
        rows.forEach(function (item) { body.appendChild(item.row); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sort(); }
      });
    });
  });
})();
"""

IMAGE_TYPES = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
_SIBLING_MD = re.compile(r"^([A-Za-z0-9._-]+)\.md(#.*)?$")


class HtmlError(LoopholesError):
    """The Markdown refers to something the HTML cannot embed (a missing figure, an
    unknown diagram form): a bug in the report, never silently dropped."""


def _renderer(images: Mapping[str, bytes], link: Callable[[str], str]):
    from markdown_it import MarkdownIt
    from mdit_py_plugins.anchors import anchors_plugin

    from .report_svg import DiagramError, mermaid_svg

    md = MarkdownIt("commonmark").enable("table")
    anchors_plugin(md, min_level=1, max_level=4)
    default_fence = md.renderer.rules["fence"]
    diagrams = [0]

    def fence(self, tokens, idx, options, env):
        token = tokens[idx]
        if token.info.strip() != "mermaid":
            return default_fence(tokens, idx, options, env)
        diagrams[0] += 1
        try:
            return f'<figure class="diagram">{mermaid_svg(token.content, ident=f"d{diagrams[0]}")}</figure>\n'
        except DiagramError as error:
            raise HtmlError(f"diagram {diagrams[0]} cannot be drawn: {error}") from None

    def image(self, tokens, idx, options, env):
        token = tokens[idx]
        src = str(token.attrGet("src") or "")
        if src not in images:
            raise HtmlError(f"the report shows {src!r}, which this run did not produce")
        kind = IMAGE_TYPES.get(Path(src).suffix.lower(), "application/octet-stream")
        token.attrSet("src", f"data:{kind};base64,{base64.b64encode(images[src]).decode('ascii')}")
        token.attrSet("alt", self.renderInlineAsText(token.children or [], options, env))
        return self.renderToken(tokens, idx, options, env)

    def link_open(self, tokens, idx, options, env):
        token = tokens[idx]
        token.attrSet("href", link(str(token.attrGet("href") or "")))
        return self.renderToken(tokens, idx, options, env)

    def table_open(self, tokens, idx, options, env):
        return '<div class="table">' + self.renderToken(tokens, idx, options, env)

    def table_close(self, tokens, idx, options, env):
        return self.renderToken(tokens, idx, options, env) + "</div>\n"

    for name, rule in {"fence": fence, "image": image, "link_open": link_open, "table_open": table_open,
                       "table_close": table_close}.items():
        md.add_render_rule(name, rule)
    return md


def markdown_to_html(markdown: str, *, images: Mapping[str, bytes], link: Callable[[str], str] = lambda h: h,
                     source: str = "") -> str:
    """A whole HTML page from report Markdown. `images` maps every image name the Markdown
    shows to its bytes; `link` may rewrite each link target; `source` names the .md file
    the page was made from (shown in the footer)."""
    body = _renderer(images, link).render(markdown)
    title = re.search(r"^# (.+)$", markdown, re.M)
    footer = ("Made by loopholes" + (f" from {html.escape(source)}" if source else "")
              + "; figures and diagrams are embedded, so this file opens offline as it is.")
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<link rel="icon" href="data:,">',
        f"<title>{html.escape(title.group(1) if title else source or 'loopholes report')}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        "<main>",
        body.rstrip("\n"),
        f"<footer>{footer}</footer>",
        "</main>",
        f"<script>{SORT_JS}</script>",
        "</body>",
        "</html>",
        "",
    ])


def sibling_links(available: Callable[[str], bool]) -> Callable[[str], str]:
    """A `link` for markdown_to_html: `X.md` (a report beside this one) becomes `X.html`
    when `available('X.html')`; every other link is kept."""
    def link(href: str) -> str:
        m = _SIBLING_MD.match(href)
        if m and available(f"{m.group(1)}.html"):
            return f"{m.group(1)}.html{m.group(2) or ''}"
        return href

    return link


def stage_html(stage, markdown_name: str, html_name: str, markdown: str) -> None:
    """Write `html_name` into a report.Staging from `markdown` (the text of `markdown_name`),
    embedding the images it shows from the stage. Links to sibling reports go to their HTML
    when this run has staged it or it is already in the output folder."""
    images = {}
    for name in re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", markdown):
        staged = stage.dir / name
        if name in stage.names and staged.is_file():
            images[name] = staged.read_bytes()

    def available(name: str) -> bool:
        return name in stage.names or (stage.out / name).is_file()

    stage.text(html_name, markdown_to_html(markdown, images=images, link=sibling_links(available),
                                           source=markdown_name))
