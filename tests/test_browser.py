"""The generated pages in a real browser: headless Chromium driven by Playwright, network off.

Needs Debian's ``chromium`` (/usr/bin/chromium, or $CONSULTGRAPH_CHROMIUM) and the
``playwright`` Python package (no ``playwright install``: the system browser is used).
Skips when either is missing, except under CI=true, where it fails. Screenshots go to
``artifacts/`` (git-ignored) for a person to look at.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.test_visual import HOSTILE, write_inputs

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOCAL = ("file:", "data:", "about:", "blob:")


def chromium_path():
    for candidate in (os.environ.get("CONSULTGRAPH_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def _unavailable(reason):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}: CI must install it (apt-get install -y chromium; pip install playwright)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    executable = chromium_path()
    if executable is None:
        _unavailable("Chromium not found at /usr/bin/chromium (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install playwright)")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


class Opened:
    """A page with the network blocked, recording what it tried to fetch and what went wrong."""

    def __init__(self, browser, path, viewport=(1400, 900)):
        self.blocked, self.failed, self.errors = [], [], []
        self.context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        self.page = self.context.new_page()
        self.page.route("**/*", self._route)
        self.page.on("requestfailed", lambda request: self.failed.append(request.url))
        self.page.on("console", lambda message: self.errors.append(message.text) if message.type == "error" else None)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.goto(Path(path).resolve().as_uri())

    def _route(self, route):
        url = route.request.url
        if url.startswith(LOCAL):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def assert_clean(self):
        assert self.blocked == [], f"the page tried the network: {self.blocked}"
        assert self.failed == [], f"failed requests: {self.failed}"
        assert self.errors == [], f"console errors: {self.errors}"

    def close(self):
        self.context.close()


def wait_ready(target, timeout=60_000):
    target.wait_for_function("window.cgReady === true", timeout=timeout)


def node_point(page, node_id):
    """Where a node is drawn, in page coordinates."""
    return page.evaluate(
        """(id) => {
            const network = cg.network;
            const dom = network.canvasToDOM(network.getPositions([id])[id]);
            const box = document.querySelector('#cg-network canvas').getBoundingClientRect();
            return [box.left + dom.x, box.top + dom.y];
        }""",
        node_id,
    )


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    from consultgraph.outputs.visual import write_graph_html
    from consultgraph.outputs.report import write_report
    from consultgraph.loaders import load

    folder = tmp_path_factory.mktemp("browser")
    graph = load(write_inputs(folder / "inputs")).graph
    return {
        "graph": write_graph_html(graph, folder / "graph.html"),
        "report": write_report(graph, folder / "report.html"),
        "graph_obj": graph,
        "folder": folder,
    }


def test_graph_page_works_offline_with_the_expected_nodes_and_edges(browser, pages):
    opened = Opened(browser, pages["graph"])
    try:
        wait_ready(opened.page)
        counts = opened.page.evaluate("[cg.nodes.length, cg.edges.length, cg.nodesView.length, cg.edgesView.length]")
        assert counts == [15, 30, 15, 30]
        assert opened.page.evaluate("cg.network.body.data.nodes.length") == 15
        assert opened.page.inner_text("#cg-status") == "Showing 15 of 15 nodes and 30 of 30 edges."
        ARTIFACTS.mkdir(exist_ok=True)
        opened.page.screenshot(path=str(ARTIFACTS / "graph.png"))
        opened.assert_clean()
    finally:
        opened.close()


def test_hover_shows_the_quote_as_text(browser, pages):
    opened = Opened(browser, pages["graph"])
    try:
        page = opened.page
        wait_ready(page)
        x, y = node_point(page, "respondent/n3")
        page.mouse.move(x + 60, y + 60)
        page.mouse.move(x, y, steps=8)
        tooltip = page.wait_for_selector("div.vis-tooltip", state="visible", timeout=10_000)
        text = tooltip.inner_text()
        assert HOSTILE in text
        assert "n3 (National entities, Africa)" in text
        assert page.evaluate("document.querySelector('div.vis-tooltip script, div.vis-tooltip img, div.vis-tooltip b')") is None
        assert page.evaluate("window.pwned") is None
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "graph-hover.png"))
        opened.assert_clean()
    finally:
        opened.close()


def test_group_filter_kind_filter_and_find(browser, pages):
    opened = Opened(browser, pages["graph"])
    try:
        page = opened.page
        wait_ready(page)
        visible = "() => [cg.nodesView.length, cg.edgesView.length]"
        page.select_option("#cg-group", "group/partner")
        # the partners, their 3 respondents, the 3 concepts they raised, the 2 regions they are in;
        # 3 share edges + 3 memberships + 3 based-in + 4 codings
        assert page.evaluate(visible) == [9, 13]
        page.uncheck('#cg-legend input[data-kind="Respondent"]')
        assert page.evaluate(visible) == [6, 3]  # the 2 regions stay, without their respondents' edges
        assert page.evaluate("cg.network.body.data.nodes.length") == 6
        page.click("#cg-reset")
        assert page.evaluate(visible) == [15, 30]
        page.fill("#cg-find", "Research")
        page.press("#cg-find", "Enter")
        assert page.evaluate("cg.network.getSelectedNodes()") == ["tactic/research"]
        assert "60% (120 of 200)" in page.inner_text("#cg-details-body")
        opened.assert_clean()
    finally:
        opened.close()


def test_big_graph_is_aggregated_and_settles(browser, tmp_path):
    import sys

    sys.path.insert(0, str(REPO / "benchmarks"))
    import synthetic

    from consultgraph.outputs.visual import write_graph_html
    from consultgraph.loaders import load

    synthetic.generate(tmp_path / "big.csv", respondents=1500, codings=3, seed=3)
    graph = load([tmp_path / "big.csv"]).graph
    path = write_graph_html(graph, tmp_path / "big.html")
    opened = Opened(browser, path)
    try:
        wait_ready(opened.page)
        assert "1500 respondents are folded into their groups" in opened.page.inner_text("header")
        nodes = opened.page.evaluate("cg.nodes.length")
        assert nodes == opened.page.evaluate("cg.nodes.get({filter: n => n.kind !== 'Respondent'}).length") < 100
        opened.assert_clean()
    finally:
        opened.close()
    path = write_graph_html(graph, tmp_path / "raw.html", max_nodes=5000, max_edges=None)
    opened = Opened(browser, path)
    try:
        wait_ready(opened.page)
        assert opened.page.evaluate("cg.nodes.length") == len(graph.respondents()) + opened.page.evaluate(
            "cg.nodes.get({filter: n => n.kind !== 'Respondent'}).length")
        assert opened.page.evaluate("cg.network.physics.options.enabled") is False  # precomputed positions
        ARTIFACTS.mkdir(exist_ok=True)
        opened.page.screenshot(path=str(ARTIFACTS / "graph-1500.png"))
        opened.assert_clean()
    finally:
        opened.close()


def test_report_works_offline_with_the_graph_inside(browser, pages):
    opened = Opened(browser, pages["report"], viewport=(1280, 1000))
    try:
        page = opened.page
        assert page.inner_text("h1") == "Consultation"
        # a hand-made project declares no questions: one section per concept kind
        assert HOSTILE in page.inner_text("#theme")  # the quote, shown as text
        assert page.evaluate("window.pwned") is None
        page.locator("iframe.graph").scroll_into_view_if_needed()
        frame = page.frame_locator("iframe.graph")
        inner = next(f for f in page.frames if f != page.main_frame)
        wait_ready(inner)
        assert inner.evaluate("[cg.nodes.length, cg.edges.length]") == [15, 30]
        assert frame.locator("#cg-status").inner_text().startswith("Showing 15 of 15 nodes")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        opened.assert_clean()
    finally:
        opened.close()


def test_built_in_report_in_the_browser(browser, amnesty, tmp_path):
    from consultgraph.outputs.report import write_report

    path = write_report(amnesty, tmp_path / "amnesty.html")
    opened = Opened(browser, path, viewport=(1280, 1000))
    try:
        page = opened.page
        assert "69% (37 of 53)" in page.inner_text("#tactics")
        assert page.evaluate("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
        page.locator("iframe.graph").scroll_into_view_if_needed()
        inner = next(f for f in page.frames if f != page.main_frame)
        wait_ready(inner)
        assert inner.evaluate("cg.nodes.length") > 50
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report-amnesty.png"), full_page=True)
        page.locator("iframe.graph").screenshot(path=str(ARTIFACTS / "report-amnesty-graph.png"))
        # printed: no contents box, no iframe (a note instead), every question starts a page
        page.emulate_media(media="print")
        assert page.evaluate("getComputedStyle(document.querySelector('iframe.graph')).display") == "none"
        assert page.evaluate("getComputedStyle(document.querySelector('nav.toc')).display") == "none"
        assert page.is_visible("#graph .print-only")
        page.pdf(path=str(ARTIFACTS / "report-amnesty.pdf"))
        page.screenshot(path=str(ARTIFACTS / "report-amnesty-print.png"), full_page=True)
        opened.assert_clean()
    finally:
        opened.close()


def test_builtin_graph_opens_readable(browser, tmp_path):
    """Issue 13: the built-in graph (193 nodes) opens on groups and themes, labels readable, respondents folded."""
    from consultgraph.loaders import builtin
    from consultgraph.outputs.visual import write_graph_html

    path = write_graph_html(builtin(), tmp_path / "graph.html")
    opened = Opened(browser, path)
    try:
        page = opened.page
        wait_ready(page)
        shown = page.evaluate("cg.nodesView.get().map(n => n.kind)")
        assert set(shown) == {"StakeholderGroup", "Theme"} and len(shown) < 40
        assert page.evaluate("cg.nodes.length") > 150  # the rest is in the page, a tick away
        assert not page.is_checked('#cg-legend input[data-kind="Respondent"]')
        # labels drawn at 14 px and the fitted view not shrunk below 80%: at least ~11 px on screen
        scale = page.evaluate("cg.network.getScale()")
        assert scale >= 0.8, scale
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "graph-builtin.png"))
        page.check('#cg-legend input[data-kind="Respondent"]')
        assert "Respondent" in page.evaluate("cg.nodesView.get().map(n => n.kind)")
        opened.assert_clean()
    finally:
        opened.close()
