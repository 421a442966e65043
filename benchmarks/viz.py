"""Benchmark: the interactive graph page for graphs of about 100, 1,000 and 10,000 nodes.

For each size: the time to build the page and its size, drawn in full (every
respondent; positions precomputed above 400 nodes) and with the default budget
(respondents folded into their groups above 500 nodes); then the time, in headless
Chromium with the network blocked, from navigation until the network is ready: physics
stabilised and switched off (vis ``stabilizationIterationsDone``), or, with precomputed
positions, the first frame drawn. The data is SYNTHETIC (seeded): for scale only.

    python benchmarks/viz.py [--sizes 100,1000,10000] [--codings 3] [--no-browser]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def build(size, folder, codings, seed=7):
    """A synthetic consultation with about ``size`` nodes in its drawn graph."""
    sys.path.insert(0, str(HERE))
    import synthetic

    from consultgraph.outputs.visual import graph_view
    from consultgraph.loaders import load

    # groups, concepts and regions come on top of the respondents: measure them once
    path = Path(folder) / f"probe-{size}.csv"
    synthetic.generate(path, respondents=50, codings=codings, seed=seed)
    skeleton = sum(1 for n in graph_view(load([path]).graph, max_nodes=None).nodes.values() if n["kind"] != "Respondent")
    respondents = max(size - skeleton, 10)
    path = Path(folder) / f"synthetic-{size}.csv"
    synthetic.generate(path, respondents=respondents, codings=codings, seed=seed)
    return load([path]).graph


def timed_page(graph, path, **options):
    from consultgraph.outputs.visual import graph_html, graph_view

    started = time.perf_counter()
    page = graph_html(graph, **options)
    seconds = time.perf_counter() - started
    Path(path).write_text(page, encoding="utf-8")
    view = graph_view(graph, **{k: v for k, v in options.items() if k != "layout"})
    return {"seconds": seconds, "bytes": len(page.encode("utf-8")), "nodes": len(view.nodes), "edges": len(view.edges),
            "path": path}


def browser_ready(browser, path, timeout_ms=300_000):
    """Milliseconds from navigation until window.cgReady, and whether physics ran."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    blocked = []

    def route(r):
        if r.request.url.startswith(("file:", "data:", "about:")):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(Path(path).resolve().as_uri())
    page.wait_for_function("window.cgReady === true", timeout=timeout_ms)
    ready = page.evaluate("window.cgReadyAt")
    physics = page.evaluate("JSON.parse(document.getElementById('cg-data').textContent).physics")
    context.close()
    if blocked:
        raise RuntimeError(f"the page tried the network: {blocked[:3]}")
    return ready, physics


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--codings", type=int, default=3, help="codings per synthetic respondent")
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    browser = playwright = None
    if not args.no_browser:
        executable = shutil.which("chromium") or "/usr/bin/chromium"
        try:
            from playwright.sync_api import sync_playwright

            playwright = sync_playwright().start()
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        except Exception as error:  # noqa: BLE001 - a benchmark reports and carries on
            print(f"(no browser timings: {error})", file=sys.stderr)
            browser = None

    print("SYNTHETIC data (seeded), for scale only")
    header = f"{'nodes':>7} {'edges':>7} {'mode':<28} {'build s':>8} {'file MB':>8} {'browser ready s':>16}"
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            graph = build(size, folder, args.codings)
            runs = [
                ("full, auto layout", {"max_nodes": None, "max_edges": None}),
                ("default budget (folded)", {}),
            ]
            if 400 < size <= 1000:  # above 400 nodes auto precomputes; show what physics would cost
                runs.insert(1, ("full, physics in browser", {"max_nodes": None, "max_edges": None,
                                                             "layout": "physics"}))
            for number, (mode, options) in enumerate(runs):
                result = timed_page(graph, Path(folder) / f"page-{size}-{number}.html", **options)
                ready = ""
                if browser is not None:
                    milliseconds, physics = browser_ready(browser, result["path"])
                    ready = f"{milliseconds / 1000:.2f}" + (" (physics)" if physics else " (drawn)")
                print(f"{result['nodes']:>7} {result['edges']:>7} {mode:<28} {result['seconds']:>8.2f} "
                      f"{result['bytes'] / 1e6:>8.2f} {ready:>16}", flush=True)
    if browser is not None:
        browser.close()
        playwright.stop()


if __name__ == "__main__":
    main()
