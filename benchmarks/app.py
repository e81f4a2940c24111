"""How fast and how heavy the district explorer is, measured in a real browser against a real Voilà.

    .venv/bin/python benchmarks/app.py [--changes 24] [--viewers 10]

Prints, against the targets of issues 4 and 15 (as ratios: below 1.00 meets the target):
- first full render with a preheated kernel (page request to every chart of the open section drawn), target 3 s;
- district change, median and 95th percentile over ``--changes`` changes, from the choice to the last
  visible change in the app (a MutationObserver in the page, settled when the charts are drawn and
  nothing changed for 500 ms), on the machine as it is (target median 200 ms) and again with a
  CPU-bound job running beside it (``--busy``, one process spinning; target median 500 ms); and the
  page states in which the heading and the open section named different choices;
- page payload: bytes over HTTP as sent (gzip, ``suna.app.server``) and over the kernel's websocket
  (permessage-deflate: Chromium reports frames inflated, so each frame is deflated here on its own,
  an upper bound of what was sent), target 2 MB;
- kernel memory per viewer (resident set of each viewer's kernel, and the server's growth per viewer);
- ``--viewers`` concurrent viewers in separate browser contexts, each loading the app and changing
  district, with no errors (requests leaving 127.0.0.1, console or page errors, error text).

Not a test: no assertions, numbers vary with the machine. Needs Debian chromium at /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
import zlib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))

from app_load import CHANGE  # noqa: E402  (benchmarks/app_load.py: the same in-page timing of a change)

from suna.app import server as app_server  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
ERROR_TEXT = re.compile(r"Traceback|Error:|Exception|could not be drawn|Javascript Error|Error loading script")
DRAWN = """(after) => {
    const m = document.querySelector('.suna-rendered');
    if (!m || Number(m.dataset.renders) <= after) return false;
    return [...document.querySelectorAll('.suna-explorer .jp-RenderedVegaCommon5, .suna-explorer .suna-chart')].every(c => c.querySelector('svg, canvas'));
}"""
TARGETS = {"first_render_s": 3.0, "change_median_ms": 200.0, "change_busy_median_ms": 500.0,
           "payload_bytes": 2 * 1024 * 1024}
CPU_BOUND_JOB = [sys.executable, "-c", "while True: pass"]


class Viewer:
    """One browser context on the app, counting bytes and problems."""

    def __init__(self, browser: Any, url: str) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
        self.page = self.context.new_page()
        self.url = url
        self.http_bytes = 0
        self.ws_bytes = 0  # inflated, as Chromium reports frames
        self.ws_deflated_bytes = 0
        self.ws_extensions: list[str] = []
        self.problems: list[str] = []
        self.page.route("**/*", self._route)
        self.page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("requestfinished", self._finished)
        self.page.on("websocket", lambda ws: ws.on("framereceived", self._frame))
        cdp = self.context.new_cdp_session(self.page)  # the handshake says whether frames are compressed
        cdp.send("Network.enable")
        cdp.on("Network.webSocketHandshakeResponseReceived", self._handshake)

    def _route(self, route: Any) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            self.problems.append(f"blocked: {route.request.url}")
            route.abort("blockedbyclient")

    def _finished(self, request: Any) -> None:
        try:
            sizes = request.sizes()  # the body as sent: gzipped when the server gzips
            self.http_bytes += sizes["responseBodySize"] + sizes["responseHeadersSize"]
        except Exception:  # noqa: BLE001 - a cancelled request has no sizes
            pass

    def _frame(self, payload: Any) -> None:
        data = payload if isinstance(payload, bytes) else payload.encode()
        self.ws_bytes += len(data)
        deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
        self.ws_deflated_bytes += len(deflate.compress(data) + deflate.flush())

    def _handshake(self, event: dict[str, Any]) -> None:
        headers = {k.lower(): v for k, v in event.get("response", {}).get("headers", {}).items()}
        self.ws_extensions.append(headers.get("sec-websocket-extensions", "none"))

    def rendered(self) -> int:
        marker = self.page.locator(".suna-rendered")
        return int(marker.get_attribute("data-renders") or 0) if marker.count() else 0

    def open(self, timeout: float = 180_000) -> float:
        start = time.perf_counter()
        self.page.goto(self.url, timeout=timeout)
        self.page.wait_for_function(DRAWN, arg=0, timeout=timeout)
        return time.perf_counter() - start

    def choose(self, label: str, option: str, timeout: float = 120_000) -> float:
        before = self.rendered()
        select = self.page.locator(".suna-explorer .widget-dropdown",
                                   has=self.page.locator(f"label:text-is('{label}')")).locator("select")
        texts = [t.replace("\xa0", " ") for t in select.locator("option").all_inner_texts()]  # ipywidgets' no-break spaces
        start = time.perf_counter()
        select.select_option(index=texts.index(option))
        self.page.wait_for_function(DRAWN, arg=before, timeout=timeout)
        return time.perf_counter() - start

    def change(self, option: str, quiet_ms: int = 500, timeout: int = 120_000) -> dict[str, Any]:
        """Choose a district and time it in the page (``app_load.CHANGE``): the record of the change."""
        self.page.evaluate(CHANGE, {"label": "District", "option": option, "delay": 0, "quiet": quiet_ms, "timeout": timeout})
        self.page.wait_for_function("() => ['done', 'timeout', 'error'].includes(window.__sunaChange.state)",
                                    timeout=timeout + 10_000)
        result = self.page.evaluate("() => window.__sunaChange")
        if result["state"] != "done":
            self.problems.append(f"district change to {option}: {result['state']} {result.get('error') or ''}")
        return result

    def check_text(self) -> None:
        found = ERROR_TEXT.findall(self.page.locator("body").inner_text())
        if found:
            self.problems.append(f"error text: {found}")

    def close(self) -> None:
        self.context.close()


def kernels(server: psutil.Process) -> list[psutil.Process]:
    return [p for p in server.children(recursive=True) if "ipykernel" in " ".join(p.cmdline())]


def wait_idle(server: psutil.Process, quiet_cpu: float = 5.0, settle: float = 3.0, timeout: float = 600.0) -> None:
    """Wait until the server and its kernels are idle (preheated kernels have run the app and warmed)."""
    deadline = time.monotonic() + timeout
    calm_since = None
    while time.monotonic() < deadline:
        procs = [server, *kernels(server)]
        busy = sum(p.cpu_percent(interval=None) for p in procs)
        time.sleep(1.0)
        busy = sum(p.cpu_percent(interval=None) for p in procs)
        if busy < quiet_cpu:
            calm_since = calm_since or time.monotonic()
            if time.monotonic() - calm_since >= settle:
                return
        else:
            calm_since = None


def report_changes(what: str, results: list[dict[str, Any]], target_ms: float) -> None:
    """One line on a series of district changes: last visible change and charts drawn, p50 / p95."""
    done = [r for r in results if r["state"] == "done"]
    last = [r["last"] - r["t0"] for r in done]
    drawn = [r["drawn"] - r["t0"] for r in done if r.get("drawn")]
    compared = sum(r.get("compared") or 0 for r in done)
    disagreed = sum(r.get("disagreed") or 0 for r in done)
    if not last:
        print(f"district change, {what}: no change finished", flush=True)
        return
    median = statistics.median(last)
    states = (f"; heading and section named different choices in {disagreed} of {compared} page states"
              if compared else "; heading and section choices not compared (no data-choice in the app)")
    print(f"district change, {what}, {len(done)} of {len(results)} changes (load average {os.getloadavg()[0]:.1f}): "
          f"choice to last visible change median {median:.0f} ms (target {target_ms:.0f}; ratio {median / target_ms:.2f}), "
          f"95th percentile {percentile(last, 0.95):.0f} ms, max {max(last):.0f} ms; to charts drawn median "
          f"{statistics.median(drawn) if drawn else float('nan'):.0f} ms{states}", flush=True)


def report_single(cold: float, first: float, http_bytes: int, ws_bytes: int,
                  one_kernel: list[int], ws_deflated: int, extensions: list[str]) -> None:
    """Print one viewer's figures against the targets, as soon as they are known."""
    mib = 1024 * 1024
    payload = http_bytes + ws_deflated
    print(f"cold first render (first viewer; kernel loads data, caches filling): {cold:.2f} s")
    print(f"first full render, preheated kernel: {first:.2f} s  (target {TARGETS['first_render_s']:.0f} s; "
          f"ratio {first / TARGETS['first_render_s']:.2f})")
    print(f"page payload: {payload / mib:.2f} MiB = HTTP {http_bytes / mib:.2f} MiB as sent + websocket "
          f"{ws_deflated / mib:.2f} MiB deflated ({ws_bytes / mib:.2f} MiB inflated; extensions: {', '.join(sorted(set(extensions)))}) "
          f"(target 2 MiB; ratio {payload / TARGETS['payload_bytes']:.2f})")
    if one_kernel:
        print(f"kernel memory with one viewer: {', '.join(f'{k / mib:.0f}' for k in one_kernel)} MiB resident "
              f"(the viewer's kernel and the preheated one waiting)", flush=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=24)
    parser.add_argument("--viewers", type=int, default=10)
    parser.add_argument("--pool", type=int, default=1, help="preheated kernels")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    out = Path(__file__).resolve().parent / "out"
    out.mkdir(exist_ok=True)
    process, url = app_server.start(log_file=out / "voila.log", preheat=True, pool_size=args.pool)
    server = psutil.Process(process.pid)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            # A first viewer fills the caches (data and drawn views on disk) as a first real viewer would.
            warmup = Viewer(browser, url)
            cold = warmup.open()
            warmup.close()
            wait_idle(server)

            viewer = Viewer(browser, url)
            first = viewer.open()
            http_bytes, ws_bytes, ws_deflated = viewer.http_bytes, viewer.ws_bytes, viewer.ws_deflated_bytes
            wait_idle(server, settle=2.0)
            from suna.model import areas

            names = sorted(d.name for d in areas.load_area("essex").districts)
            names = [*names, "Whole of Essex"]
            report_single(cold, first, http_bytes, ws_bytes, [k.memory_info().rss for k in kernels(server)], ws_deflated,
                          viewer.ws_extensions)
            quiet = [viewer.change(names[i % len(names)]) for i in range(args.changes)]
            report_changes("machine as it is", quiet, TARGETS["change_median_ms"])
            busy_job = subprocess.Popen(CPU_BOUND_JOB)
            try:
                time.sleep(2.0)
                busy = [viewer.change(names[(i + 3) % len(names)]) for i in range(args.changes)]
            finally:
                busy_job.kill()
                busy_job.wait()
            report_changes("with a CPU-bound job running", busy, TARGETS["change_busy_median_ms"])
            viewer.check_text()
            problems = list(viewer.problems)
            viewer.close()

            server_rss_before = server.memory_info().rss + sum(k.memory_info().rss for k in kernels(server))
            crowd = [Viewer(browser, url) for _ in range(args.viewers)]
            start = time.perf_counter()
            for v in crowd:
                v.page.goto(v.url, wait_until="commit", timeout=180_000)
            for i, v in enumerate(crowd):
                try:
                    v.page.wait_for_function(DRAWN, arg=0, timeout=300_000)
                except Exception as error:  # noqa: BLE001 - counted, reported, the others go on
                    v.problems.append(f"viewer {i} not drawn: {str(error).splitlines()[0]}")
            crowd_load = time.perf_counter() - start
            crowd_changes = []
            for i, v in enumerate(crowd):
                try:
                    crowd_changes.append(v.choose("District", names[i % len(names)], timeout=300_000))
                except Exception as error:  # noqa: BLE001
                    v.problems.append(f"viewer {i} district change: {str(error).splitlines()[0]}")
            for v in crowd:
                v.check_text()
            kernel_rss = [k.memory_info().rss for k in kernels(server)]
            total_after = server.memory_info().rss + sum(kernel_rss)
            crowd_problems = [p for v in crowd for p in v.problems]
            for v in crowd:
                v.close()
            browser.close()
    finally:
        app_server.stop(process)
    mib = 1024 * 1024
    print(f"{args.viewers} concurrent viewers: all drawn in {crowd_load:.1f} s; district change median "
          f"{statistics.median(crowd_changes) * 1000 if crowd_changes else float('nan'):.0f} ms; {len(kernel_rss)} kernels, "
          f"median {statistics.median(kernel_rss) / mib:.0f} MiB each; server + kernels grew "
          f"{(total_after - server_rss_before) / mib / args.viewers:.0f} MiB per viewer")
    print(f"problems: {len(problems) + len(crowd_problems)}" + "".join(f"\n  {p}" for p in (problems + crowd_problems)[:20]))

    return 0 if not (problems or crowd_problems) else 1


if __name__ == "__main__":
    sys.exit(main())
