"""The HTML reports: self-contained (figures as data URIs, diagrams as inline SVG, nothing
fetched from anywhere), and checked in a real headless Chromium: the page loads with no
console error, every figure decodes, every diagram is drawn, tables sort."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from pathlib import Path

import pytest

from loopholes.reporting import report, report_html, report_svg
from loopholes.lifecycle import Lifecycle, make_step

PAGES = ("us-eo-14110", "eu-ai-act", "compare")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


def _mermaid_blocks(markdown: str) -> list[str]:
    return re.findall(r"^```mermaid\n(.*?)^```$", markdown, re.M | re.S)


def _images(markdown: str) -> list[str]:
    return re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", markdown)


# -- the files, read as text --------------------------------------------------------------

@pytest.mark.parametrize("page", PAGES)
def test_html_embeds_every_figure_and_draws_every_diagram(written_reports, page):
    markdown = (written_reports / f"{page}.md").read_text(encoding="utf-8")
    html = (written_reports / f"{page}.html").read_text(encoding="utf-8")
    assert len(re.findall(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]+"', html)) == len(_images(markdown)) > 0
    assert html.count('<svg class="lifecycle"') == len(_mermaid_blocks(markdown))
    assert "language-mermaid" not in html and "```" not in html
    assert "<details>" in html or page == "compare"


@pytest.mark.parametrize("page", PAGES)
def test_html_loads_nothing_from_outside(written_reports, page):
    html = (written_reports / f"{page}.html").read_text(encoding="utf-8")
    assert re.findall(r"<(?:script|link|img|iframe|object|embed|source|video|audio)\b[^>]*\b(?:src|href)=\"(?!data:)",
                      html) == []
    assert not re.search(r"url\(\s*['\"]?(?!data:|#)", html)  # only data and the page's own markers
    assert "default-src 'none'" in html  # the browser itself refuses any other load


def test_compare_html_links_the_reports_html_and_anchors_resolve(written_reports):
    html = (written_reports / "compare.html").read_text(encoding="utf-8")
    assert 'href="us-eo-14110.html"' in html and 'href="us-eo-14110.md"' not in html
    page = (written_reports / "us-eo-14110.html").read_text(encoding="utf-8")
    ids = set(re.findall(r'\sid="([^"]+)"', page))
    anchors = set(re.findall(r'href="#([^"]+)"', page))
    assert anchors and anchors <= ids


def test_a_figure_the_run_did_not_write_is_an_error_not_a_broken_image():
    with pytest.raises(report_html.HtmlError, match="missing.png"):
        report_html.markdown_to_html("# x\n\n![figure](missing.png)\n", images={})


def test_sibling_links_only_when_the_html_exists():
    link = report_html.sibling_links(lambda name: name == "a.html")
    assert link("a.md") == "a.html" and link("a.md#f1-x") == "a.html#f1-x"
    assert link("b.md") == "b.md" and link("docs/findings.md") == "docs/findings.md"
    assert link("https://example.org/a.md") == "https://example.org/a.md"


def test_links_go_to_the_html_of_reports_already_in_the_folder_or_staged_with_it(tmp_path):
    """`loopholes compare --out DIR` next to earlier reports links their pages; a report
    with only a .md there keeps its .md link."""
    from loopholes.files import StagedSet

    (tmp_path / "old.html").write_text("<p>earlier run</p>")
    stage = StagedSet(tmp_path)
    try:
        stage.text("new.html", "<p>this run</p>")
        report_html.stage_html(stage, "x.md", "x.html", "# x\n\n[old](old.md) [new](new.md#f1) [md only](md-only.md)\n")
        page = (stage.dir / "x.html").read_text(encoding="utf-8")
    finally:
        stage.discard()
    assert 'href="old.html"' in page and 'href="new.html#f1"' in page and 'href="md-only.md"' in page


# -- diagrams -----------------------------------------------------------------------------

def _lifecycle() -> Lifecycle:
    steps = (make_step("teacher", "pretrain", "Big <Lab> & \"Co\"", flop=1e26),
             make_step("data", "synthetic_data", "Adversary", ["teacher"], flop=1e23),
             make_step("base", "pretrain", "Adversary", flop=9e24, precision="int8"),
             make_step("student", "distill", "Adversary", ["base", "data"], flop=1e24),
             make_step("tune", "finetune", "Other; party", ["student"], flop=1e22),
             make_step("ens", "ensemble", "Adversary", ["tune", "base", "teacher"]))
    return Lifecycle("diagram", dt.date(2024, 1, 1), "ens", steps)


def test_the_svg_reads_back_what_the_markdown_diagram_says():
    lc = _lifecycle()
    diagram = report_svg.parse_mermaid(report.mermaid(lc))
    ids = {f"s{i}": step for i, step in enumerate(lc.steps)}
    assert list(diagram.nodes) == list(ids)
    for node, lines in diagram.nodes.items():
        assert lines == report._node_lines(ids[node], ids[node].id == lc.deploy)
    assert diagram.nodes["s0"][1] == 'pretrain by Big <Lab> & "Co"'  # entity codes read back as text
    assert sorted((ids[a].id, ids[b].id) for a, b in diagram.edges) == sorted(
        (source, step.id) for step in lc.steps for source in step.inputs)
    assert {n for n, c in diagram.classes.items() if "deploy" in c} == {"s5"}
    assert {ids[n].developer for n, c in diagram.classes.items() if "party" in c} == {'Big <Lab> & "Co"', "Other; party"}


def test_layout_runs_left_to_right_without_overlaps():
    diagram = report_svg.parse_mermaid(report.mermaid(_lifecycle()))
    boxes, paths, width, height = report_svg.layout(diagram)
    for a, b in diagram.edges:
        assert boxes[b].x > boxes[a].x + boxes[a].width
    placed = list(boxes.values())
    for i, one in enumerate(placed):
        assert 0 <= one.x and one.x + one.width <= width and 0 <= one.y and one.y + one.height <= height
        for other in placed[i + 1:]:
            apart = (one.x + one.width <= other.x or other.x + other.width <= one.x
                     or one.y + one.height <= other.y or other.y + other.height <= one.y)
            assert apart
    assert len(paths) == len(diagram.edges)
    svg = report_svg.svg(diagram)
    assert svg.count('<g class="node') == 6 and svg.count('class="edge"') == 7
    assert "Big &lt;Lab&gt; &amp; &quot;Co&quot;" in svg and 'stroke-dasharray="5 5"' in svg


@pytest.mark.parametrize("text", ["graph TD\n    a --> b", "flowchart LR\n    a[\"x\"]\n    a -.-> b",
                                  "flowchart LR\n    a[\"x\"]\n    a --> b"])
def test_a_diagram_it_cannot_draw_is_refused(text):
    with pytest.raises(report_svg.DiagramError):
        report_svg.parse_mermaid(text)


# -- in a real browser --------------------------------------------------------------------

def _need(what: str, how: str):
    """Skip on a developer's machine without `what`; on CI (CI set) its absence is a failure."""
    message = f"{what} is not available ({how})"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI must run the browser test, .ci/run installs Chromium")
    pytest.skip(f"{message}; CI runs this test")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need("playwright", "pip install -e '.[test]'")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        _need("Chromium", "apt-get install chromium")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=chromium, headless=True,
            args=CHROMIUM_FLAGS, viewport={"width": 1280, "height": 900})
        try:
            yield context
        finally:
            context.close()


PAGE_FACTS = """() => ({
  images: Array.from(document.images).map(i => ({src: i.getAttribute("src").slice(0, 22), complete: i.complete,
                                                width: i.naturalWidth})),
  diagrams: Array.from(document.querySelectorAll("figure.diagram")).map(figure => {
    const svg = figure.querySelector("svg");
    return svg && {nodes: svg.querySelectorAll("g.node rect").length, edges: svg.querySelectorAll("path.edge").length,
                   width: svg.getBoundingClientRect().width, text: svg.querySelectorAll("g.node text").length};
  }),
  broken_anchors: Array.from(document.querySelectorAll('a[href^="#"]'))
    .map(a => decodeURIComponent(a.getAttribute("href").slice(1))).filter(id => !document.getElementById(id)),
  title: document.title,
})"""


def _open_and_check(browser, html_path: Path) -> None:
    """Open a page as a drafter would (a file, offline) and check what a reader sees
    against the Markdown it was made from."""
    markdown = html_path.with_suffix(".md").read_text(encoding="utf-8")
    tab = browser.new_page()
    problems: list[str] = []
    tab.on("console", lambda message: problems.append(f"console {message.type}: {message.text}")
           if message.type in ("error", "warning") else None)
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    tab.on("requestfailed", lambda request: problems.append(f"failed load: {request.url}"))
    tab.on("request", lambda request: problems.append(f"outside load: {request.url}")
           if not request.url.startswith(("file:", "data:")) else None)
    try:
        response = tab.goto(html_path.as_uri(), wait_until="load")
        assert response is not None and response.ok
        facts = tab.evaluate(PAGE_FACTS)
    finally:
        tab.close()
    assert problems == []
    assert facts["title"] == markdown.splitlines()[0].removeprefix("# ")
    assert len(facts["images"]) == len(_images(markdown)) > 0
    for image in facts["images"]:
        assert image["src"].startswith("data:image/png;base64") and image["complete"] and image["width"] > 0
    blocks = _mermaid_blocks(markdown)
    assert len(facts["diagrams"]) == len(blocks)
    for drawn, block in zip(facts["diagrams"], blocks):
        assert drawn is not None
        assert drawn["nodes"] == drawn["text"] == len(re.findall(r'^    s\d+\["', block, re.M)) > 0
        assert drawn["edges"] == block.count(" --> ")
        assert drawn["width"] > 0
    assert facts["broken_anchors"] == []


@pytest.mark.parametrize("page", PAGES)
def test_page_opens_in_chromium_with_every_figure_and_diagram(browser, written_reports, page):
    _open_and_check(browser, written_reports / f"{page}.html")


def test_the_committed_pages_open_in_chromium(browser):
    """What a drafter gets from reports/: every page, with its 200-odd diagrams."""
    pages = sorted((Path(__file__).resolve().parent.parent / "reports").glob("*.html"))
    assert len(pages) >= 8
    for page in pages:
        _open_and_check(browser, page)


def test_a_table_sorts_when_its_heading_is_clicked(browser, written_reports):
    """The strategies table of a report, by leakage: numbers in numeric order, '—' last, both ways."""
    tab = browser.new_page()
    try:
        tab.goto((written_reports / "us-eo-14110.html").as_uri())
        table = tab.locator("table", has=tab.locator("th", has_text="this strategy adds")).first
        heading = table.locator("thead th", has_text=re.compile(r"^leakage$"))
        column = [h.strip() for h in table.locator("thead th").all_inner_texts()].index("leakage")

        def leakages() -> list[str]:
            return [row[column].strip() for row in table.evaluate(
                "t => Array.from(t.tBodies[0].rows).map(r => Array.from(r.cells).map(c => c.textContent))")]

        before = leakages()
        heading.click()
        ascending = leakages()
        heading.click()
        descending = leakages()
    finally:
        tab.close()

    def numbers(cells: list[str]) -> list[float]:
        return [float(re.match(r"[≥\s]*([\d.e+-]+)", c).group(1)) for c in cells if c != "—"]

    assert sorted(before) == sorted(ascending) and any(c != "—" for c in before)
    assert numbers(ascending) == sorted(numbers(ascending)) and ascending[-1] == "—"
    assert numbers(descending) == sorted(numbers(descending), reverse=True) and descending[-1] == "—"


def test_the_committed_compare_html_is_the_one_the_readme_links():
    root = Path(__file__).resolve().parent.parent
    assert "(reports/compare.html)" in (root / "README.md").read_text(encoding="utf-8")
    html = (root / "reports" / "compare.html").read_text(encoding="utf-8")
    assert html.count("<img src=\"data:image/png;base64,") == 4
