"""Many viewers at once: the district explorer under a board meeting's load, in real headless chromium.

    .venv/bin/python benchmarks/app_load.py [--viewers 50] [--changes 5] [--pool 2] [--cull-idle 30]

Starts the app as an operator would (``suna app --max-kernels N --cull-idle S``), lets one viewer
fill the caches, waits for its kernel to be culled and measures the idle server. Then opens
``--viewers`` viewers together (each its own browser context in one chromium), and has each change
district ``--changes`` times, the changes of one round spread at random over ``--spread`` seconds.
Prints:

- memory per viewer: growth of the server and its kernels (resident set, RSS; and proportional set,
  PSS, which counts shared pages once) from idle to all viewers connected, divided by the viewers;
  chromium's own memory apart;
- page load (request to every chart of the open tab drawn) and district change (choice to the last
  visible change in the app, measured in the page: a MutationObserver on the explorer, settled when
  the charts are drawn and nothing has changed for ``--quiet`` ms), p50 / p95 / max;
- choice to the first change of the page (the server's answer has arrived: the server's and the
  kernels' share of a change, with the browser's delay in handling the message), p50 / p95;
- where the CPU went while the viewers changed district: the Voilà server, the kernels, chromium, this
  benchmark and other jobs on the machine, in CPU seconds, per change and as a share of the machine's;
- errors: requests leaving 127.0.0.1, console and page errors, HTTP errors, error text in the page,
  viewers not drawn or changes not finished in time;
- after the viewers leave (contexts closed without unloading, as a laptop lid closes): the time for
  the idle culler to stop their kernels, and memory then against the idle figure.

A memory guard stops opening viewers when the machine's available memory falls below
``--min-free-gib``: the number reached is then the largest this machine holds, and is reported as such.
Not a test: no assertions; figures vary with the machine. Needs Debian chromium at /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))

from suna.app import server as app_server  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync",
        # every viewer's timers run at full speed although only one page can have focus
        "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
        "--disable-backgrounding-occluded-windows",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
ERROR_TEXT = re.compile(r"Traceback|Error:|Exception|could not be drawn|Javascript Error|Error loading script|Too many viewers")
MIB = 1024 * 1024
OUT = Path(__file__).resolve().parent / "out"

# Recorded in each page from its first script: when the app is first fully drawn (ms after navigation start).
LOAD_RECORDER = """
window.__sunaLoad = {drawn: null};
const __sunaLoadPoll = setInterval(() => {
  const m = document.querySelector('.suna-rendered');
  if (!m || Number(m.dataset.renders) < 1) return;
  const charts = [...document.querySelectorAll('.suna-explorer .jp-RenderedVegaCommon5, .suna-explorer .suna-chart')];
  if (charts.every(c => c.querySelector('svg, canvas'))) {
    window.__sunaLoad.drawn = performance.now();
    clearInterval(__sunaLoadPoll);
  }
}, 25);
"""

# The app drawn, or a page that will never draw it (the "busy" page past --max-kernels, an error page).
DRAWN_OR_REFUSED = """() => (window.__sunaLoad && window.__sunaLoad.drawn)
    || (document.readyState === 'complete' && !document.querySelector('#rendered_cells, .jp-Notebook, body[data-voila]'))"""

# A district change made and timed inside the page, after `delay` ms: choice -> charts drawn, and
# choice -> last mutation of the explorer once it has been quiet for `quiet` ms. After every batch of
# mutations it also counts the states in which the heading and a section name different choices
# (their data-choice attributes; `compared` stays 0 for an app without them).
CHANGE = """
({label, option, delay, quiet, timeout}) => {
  const rec = window.__sunaChange = {state: 'waiting', t0: null, first: null, drawn: null, last: null, error: null,
                                     compared: 0, disagreed: 0};
  const agree = () => {
    const title = document.querySelector('.suna-title[data-choice]');
    const sections = [...document.querySelectorAll('.suna-panel-choice[data-choice]')];
    if (!title || !sections.length) return;
    rec.compared++;
    if (sections.some(s => s.dataset.choice !== title.dataset.choice)) rec.disagreed++;
  };
  const explorer = document.querySelector('.suna-explorer');
  const box = [...document.querySelectorAll('.suna-explorer .widget-dropdown')]
    .find(d => d.querySelector('label') && d.querySelector('label').textContent.trim() === label);
  if (!explorer || !box) { rec.state = 'error'; rec.error = 'no ' + label + ' dropdown'; return; }
  const select = box.querySelector('select');
  const index = [...select.options].findIndex(o => o.textContent.replace(/\\u00a0/g, ' ') === option);
  if (index < 0) { rec.state = 'error'; rec.error = 'no option ' + option; return; }
  const renders = () => Number((document.querySelector('.suna-rendered') || {dataset: {}}).dataset.renders || 0);
  setTimeout(() => {
    const before = renders();
    const observer = new MutationObserver(() => { rec.last = performance.now(); rec.first = rec.first || rec.last; agree(); });
    observer.observe(explorer, {subtree: true, childList: true, attributes: true, characterData: true});
    rec.t0 = performance.now();
    rec.state = 'changing';
    select.selectedIndex = index;
    select.dispatchEvent(new Event('input', {bubbles: true}));
    select.dispatchEvent(new Event('change', {bubbles: true}));
    const poll = setInterval(() => {
      const now = performance.now();
      if (rec.drawn === null) {
        const charts = [...document.querySelectorAll('.suna-explorer .jp-RenderedVegaCommon5, .suna-explorer .suna-chart')];
        if (renders() > before && charts.every(c => c.querySelector('svg, canvas'))) rec.drawn = now;
      } else if (now - Math.max(rec.last || 0, rec.drawn) >= quiet) {
        clearInterval(poll); observer.disconnect();
        rec.last = Math.max(rec.last || 0, rec.t0);
        rec.state = 'done';
        return;
      }
      if (now - rec.t0 > timeout) { clearInterval(poll); observer.disconnect(); rec.state = 'timeout'; }
    }, 10);
  }, delay);
}
"""


class Viewer:
    """One board member: a browser context on the app, with every problem it meets."""

    def __init__(self, browser: Any, url: str, number: int) -> None:
        self.number = number
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
        self.context.add_init_script(LOAD_RECORDER)
        self.page = self.context.new_page()
        self.url = url
        self.problems: list[str] = []
        self.page.route("**/*", self._route)
        self.page.on("console", lambda m: m.type == "error" and self.problems.append(f"viewer {number} console: {m.text[:200]}"))
        self.page.on("pageerror", lambda e: self.problems.append(f"viewer {number} page error: {str(e)[:200]}"))
        self.page.on("response", lambda r: r.status >= 400 and self.problems.append(f"viewer {number} HTTP {r.status} {r.url}"))

    def _route(self, route: Any) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            self.problems.append(f"viewer {self.number} blocked: {route.request.url}")
            route.abort("blockedbyclient")

    def go(self) -> None:
        self.page.goto(self.url, wait_until="commit", timeout=600_000)

    def load_ms(self) -> float | None:
        try:
            return self.page.evaluate("() => window.__sunaLoad && window.__sunaLoad.drawn")
        except Exception:  # noqa: BLE001 - still navigating
            return None

    def refused(self) -> bool:
        try:
            return bool(self.page.evaluate(DRAWN_OR_REFUSED)) and not self.load_ms()
        except Exception:  # noqa: BLE001 - still navigating
            return False

    def districts(self) -> list[str]:
        select = self.page.locator(".suna-explorer .widget-dropdown", has=self.page.locator("label:text-is('District')")).locator("select")
        return [t.replace("\xa0", " ") for t in select.locator("option").all_inner_texts()]

    def change(self, option: str, delay_ms: int, quiet_ms: int, timeout_ms: int) -> None:
        self.page.evaluate(CHANGE, {"label": "District", "option": option, "delay": delay_ms, "quiet": quiet_ms,
                                    "timeout": timeout_ms})

    def change_result(self) -> dict[str, Any]:
        return self.page.evaluate("() => window.__sunaChange")

    def check_text(self) -> None:
        found = ERROR_TEXT.findall(self.page.locator("body").inner_text())
        if found:
            self.problems.append(f"viewer {self.number} error text: {sorted(set(found))}")

    def close(self) -> None:
        self.context.close()  # no unload handlers: the viewer just goes (the culler must find the kernel)


def server_memory(supervisor: psutil.Process) -> dict[str, Any]:
    """The server and its kernels: total RSS and PSS (MiB), kernel count."""
    rss = pss = 0
    kernels = 0
    for p in supervisor.children(recursive=True):
        try:
            line = " ".join(p.cmdline())
            if "suna.app.server" not in line and "ipykernel" not in line:
                continue
            info = p.memory_full_info()
            rss += info.rss
            pss += getattr(info, "pss", info.rss)
            kernels += "ipykernel" in line
        except psutil.Error:
            pass
    return {"rss_mib": rss / MIB, "pss_mib": pss / MIB, "kernels": kernels}


def cpu_seconds(supervisor: psutil.Process) -> dict[str, float]:
    """CPU time used so far (user + system, s) by part: the Voilà server, the kernels, chromium, this
    benchmark (Python and Playwright's driver), and the whole machine (every process, other jobs too)."""
    used = {"server": 0.0, "kernels": 0.0, "chromium": 0.0, "benchmark": 0.0}

    def add(part: str, process: psutil.Process) -> None:
        try:
            times = process.cpu_times()
            used[part] += times.user + times.system
        except psutil.Error:
            pass

    for p in supervisor.children(recursive=True):
        try:
            line = " ".join(p.cmdline())
        except psutil.Error:
            continue
        if "ipykernel" in line:
            add("kernels", p)
        elif "suna.app.server" in line:
            add("server", p)
    me = psutil.Process()
    add("benchmark", me)
    for p in me.children(recursive=True):
        try:
            add("chromium" if "chrom" in p.name() else "benchmark", p)
        except psutil.Error:
            pass
    machine = psutil.cpu_times()
    used["machine"] = sum(machine) - machine.idle - getattr(machine, "iowait", 0.0)
    return used


def cpu_split(before: dict[str, float], after: dict[str, float], changes: int) -> dict[str, Any]:
    """Where the CPU went between two :func:`cpu_seconds`: seconds per part, per change, and share of the machine's."""
    spent = {part: after[part] - before[part] for part in before}
    spent["other jobs"] = max(0.0, spent["machine"] - sum(v for k, v in spent.items() if k != "machine"))
    return {part: {"cpu_s": value, "per_change_s": value / max(1, changes),
                   "share": value / spent["machine"] if spent["machine"] else float("nan")} for part, value in spent.items()}


def chromium_memory() -> float:
    total = 0
    for p in psutil.Process().children(recursive=True):
        try:
            if "chrom" in p.name():
                total += p.memory_info().rss
        except psutil.Error:
            pass
    return total / MIB


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))] if ordered else float("nan")


def wait_for(condition: Any, timeout: float, every: float = 2.0) -> float | None:
    """Seconds until ``condition()`` held, or None after ``timeout``."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if condition():
            return time.monotonic() - start
        time.sleep(every)
    return None


def wait_quiet(supervisor: psutil.Process, below: float = 10.0, settle: float = 5.0, timeout: float = 600.0) -> None:
    """Until the server and its kernels use under ``below`` % CPU together for ``settle`` seconds."""
    deadline, calm = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        procs = supervisor.children(recursive=True)
        for p in procs:
            try:
                p.cpu_percent(None)
            except psutil.Error:
                pass
        time.sleep(1.0)
        busy = 0.0
        for p in procs:
            try:
                busy += p.cpu_percent(None)
            except psutil.Error:
                pass
        if busy < below:
            calm = calm or time.monotonic()
            if time.monotonic() - calm >= settle:
                return
        else:
            calm = None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=50)
    parser.add_argument("--changes", type=int, default=5, help="district changes per viewer")
    parser.add_argument("--spread", type=float, default=10.0, help="seconds over which one round's changes are spread")
    parser.add_argument("--pool", type=int, default=2, help="preheated kernels")
    parser.add_argument("--cull-idle", type=int, default=30, help="seconds before an idle, unconnected kernel is culled")
    parser.add_argument("--quiet", type=int, default=500, help="ms without a change that end a district change")
    parser.add_argument("--min-free-gib", type=float, default=4.0, help="stop opening viewers below this available memory")
    parser.add_argument("--seed", type=int, default=18)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from suna.model import areas

    rng = random.Random(args.seed)
    OUT.mkdir(exist_ok=True)
    port = app_server.free_port()
    url = f"http://127.0.0.1:{port}/"
    log_file = open(OUT / "app_load_server.log", "wb")  # noqa: SIM115 - closed at the end
    supervisor_process = subprocess.Popen(
        [sys.executable, "-m", "suna.cli", "app", "--no-browser", "--port", str(port), "--pool-size", str(args.pool),
         "--max-kernels", str(args.viewers), "--cull-idle", str(args.cull_idle)],
        stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
    supervisor = psutil.Process(supervisor_process.pid)
    report: dict[str, Any] = {"viewers_requested": args.viewers, "changes_per_viewer": args.changes, "pool": args.pool,
                              "cull_idle_s": args.cull_idle, "cpus": psutil.cpu_count(),
                              "memory_total_gib": psutil.virtual_memory().total / 1024 ** 3}
    problems: list[str] = []
    cull_timeout = args.cull_idle + 3 * app_server.cull_interval(args.cull_idle) + 120
    names = sorted(d.name for d in areas.load_area("essex").districts)
    try:
        started = time.monotonic()
        if wait_for(lambda: app_server.health(url, timeout=2)[1].get("ready"), 900, every=1.0) is None:
            raise SystemExit("the app never became ready; see benchmarks/out/app_load_server.log")
        print(f"server ready in {time.monotonic() - started:.0f} s", flush=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)

            # one viewer fills the caches (data and drawn views) as the first real viewer would, then leaves
            warm = Viewer(browser, url, 0)
            warm.go()
            warm.page.wait_for_function("() => window.__sunaLoad && window.__sunaLoad.drawn", timeout=600_000)
            for name in names:
                warm.change(name, 0, args.quiet, 120_000)
                warm.page.wait_for_function("() => ['done', 'timeout', 'error'].includes(window.__sunaChange.state)",
                                            timeout=180_000)
            problems += warm.problems
            warm.close()
            culled = wait_for(lambda: app_server.health(url)[1].get("viewers") == 0, cull_timeout)
            print(f"warm-up viewer done; its kernel culled after {culled or float('nan'):.0f} s", flush=True)
            wait_quiet(supervisor)
            idle = server_memory(supervisor)
            report["idle"] = idle
            print(f"idle: server + {idle['kernels']} kernels (the preheated pool): RSS {idle['rss_mib']:.0f} MiB, "
                  f"PSS {idle['pss_mib']:.0f} MiB; chromium {chromium_memory():.0f} MiB", flush=True)

            # the viewers arrive together
            crowd: list[Viewer] = []
            guard = None
            opening = time.monotonic()
            for number in range(1, args.viewers + 1):
                available = psutil.virtual_memory().available / 1024 ** 3
                if available < args.min_free_gib:
                    guard = f"stopped at {len(crowd)} viewers: {available:.1f} GiB available < {args.min_free_gib} GiB"
                    break
                viewer = Viewer(browser, url, number)
                viewer.go()
                crowd.append(viewer)
                if number % 10 == 0:
                    # the memory guard needs the kernels' memory to show: let the last ones start first
                    wait_for(lambda: all(v.load_ms() or v.refused() for v in crowd[-10:]) or
                             psutil.virtual_memory().available / 1024 ** 3 < args.min_free_gib, 600, every=1.0)
            loads: list[float] = []
            for viewer in crowd:
                try:
                    viewer.page.wait_for_function(DRAWN_OR_REFUSED, timeout=900_000)
                    if not viewer.load_ms():
                        viewer.problems.append(f"viewer {viewer.number} refused: {viewer.page.title()}")
                        continue
                    loads.append(viewer.load_ms() / 1000)
                except Exception as error:  # noqa: BLE001 - counted and reported
                    viewer.problems.append(f"viewer {viewer.number} not drawn: {str(error).splitlines()[0]}")
            all_drawn = time.monotonic() - opening
            report["viewers_opened"] = len(crowd)
            report["memory_guard"] = guard
            print(f"{len(crowd)} viewers opened{' (' + guard + ')' if guard else ''}; all drawn {all_drawn:.0f} s after "
                  f"the first arrived; page load p50 {statistics.median(loads) if loads else float('nan'):.1f} s, "
                  f"p95 {percentile(loads, 0.95):.1f} s, max {max(loads, default=float('nan')):.1f} s", flush=True)
            wait_quiet(supervisor, below=20.0, settle=3.0, timeout=300)
            loaded = server_memory(supervisor)
            browser_mib = chromium_memory()

            # each viewer changes district `changes` times; one round's changes spread over `spread` s
            last_visible: list[float] = []
            first_change: list[float] = []  # choice -> first change of the page: the server's answer arrived
            drawn: list[float] = []
            cpu_before, changes_started = cpu_seconds(supervisor), time.monotonic()
            compared = disagreed = 0  # page states checked after a mutation; those where heading and a section disagree
            current = {v.number: "Whole of Essex" for v in crowd}
            for round_number in range(args.changes):
                live = [v for v in crowd if v.load_ms()]
                for viewer in live:
                    choices = [n for n in names if n != current[viewer.number]]
                    current[viewer.number] = rng.choice(choices)
                    viewer.change(current[viewer.number], int(rng.uniform(0, args.spread * 1000)), args.quiet, 120_000)
                for viewer in live:
                    try:
                        viewer.page.wait_for_function(
                            "() => ['done', 'timeout', 'error'].includes(window.__sunaChange.state)", timeout=300_000)
                        result = viewer.change_result()
                    except Exception as error:  # noqa: BLE001
                        viewer.problems.append(f"viewer {viewer.number} change {round_number + 1}: {str(error).splitlines()[0]}")
                        continue
                    if result["state"] != "done":
                        viewer.problems.append(f"viewer {viewer.number} change {round_number + 1}: {result['state']} {result.get('error') or ''}")
                        continue
                    last_visible.append((result["last"] - result["t0"]) / 1000)
                    if result.get("first"):
                        first_change.append((result["first"] - result["t0"]) / 1000)
                    compared += result.get("compared") or 0
                    disagreed += result.get("disagreed") or 0
                    drawn.append((result["drawn"] - result["t0"]) / 1000)
                print(f"round {round_number + 1}: {len(live)} changes, last visible change so far p50 "
                      f"{statistics.median(last_visible) * 1000 if last_visible else float('nan'):.0f} ms, "
                      f"p95 {percentile(last_visible, 0.95) * 1000:.0f} ms", flush=True)
            report["cpu_during_changes"] = cpu_split(cpu_before, cpu_seconds(supervisor), len(last_visible))
            report["changes_wall_s"] = time.monotonic() - changes_started
            for viewer in crowd:
                viewer.check_text()
                problems += viewer.problems
            report["page_load_s"] = {"p50": statistics.median(loads) if loads else None, "p95": percentile(loads, 0.95),
                                     "max": max(loads, default=None), "all_drawn_s": all_drawn}
            report["change_last_visible_ms"] = {"n": len(last_visible), "p50": statistics.median(last_visible) * 1000 if last_visible else None,
                                                "p95": percentile(last_visible, 0.95) * 1000, "max": max(last_visible, default=0) * 1000}
            report["change_first_visible_ms"] = {"p50": statistics.median(first_change) * 1000 if first_change else None,
                                                 "p95": percentile(first_change, 0.95) * 1000}
            report["heading_and_section_states"] = {"compared": compared, "disagreed": disagreed}
            report["change_drawn_ms"] = {"p50": statistics.median(drawn) * 1000 if drawn else None,
                                         "p95": percentile(drawn, 0.95) * 1000, "max": max(drawn, default=0) * 1000}
            report["loaded"] = {**loaded, "chromium_mib": browser_mib,
                                "per_viewer_rss_mib": (loaded["rss_mib"] - idle["rss_mib"]) / max(1, len(crowd)),
                                "per_viewer_pss_mib": (loaded["pss_mib"] - idle["pss_mib"]) / max(1, len(crowd)),
                                "chromium_per_viewer_mib": browser_mib / max(1, len(crowd))}

            # the viewers leave
            for viewer in crowd:
                viewer.close()
            browser.close()
        left = time.monotonic()
        back = wait_for(lambda: app_server.health(url)[1].get("viewers") == 0, cull_timeout)
        wait_quiet(supervisor, timeout=120)
        after = server_memory(supervisor)
        report["after_leaving"] = {**after, "culled_in_s": back if back is not None else None,
                                   "waited_s": time.monotonic() - left}
    finally:
        supervisor_process.send_signal(signal.SIGTERM)
        try:
            supervisor_process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            supervisor_process.kill()
        log_file.close()
    report["errors"] = problems
    (OUT / "app_load.json").write_text(json.dumps(report, indent=2))

    n = report["viewers_opened"]
    change = report["change_last_visible_ms"]
    print()
    print(f"{n} concurrent viewers (of {args.viewers} asked{'; ' + report['memory_guard'] if report['memory_guard'] else ''}), "
          f"{psutil.cpu_count()} CPUs, {report['memory_total_gib']:.0f} GiB")
    print(f"page load (request to every chart drawn): p50 {report['page_load_s']['p50']:.1f} s, "
          f"p95 {report['page_load_s']['p95']:.1f} s, max {report['page_load_s']['max']:.1f} s")
    print(f"district change, choice to last visible change ({change['n']} changes): p50 {change['p50']:.0f} ms, "
          f"p95 {change['p95']:.0f} ms, max {change['max']:.0f} ms (target p95 <= 1000 ms; ratio {change['p95'] / 1000:.2f}); "
          f"to charts drawn: p50 {report['change_drawn_ms']['p50']:.0f} ms, p95 {report['change_drawn_ms']['p95']:.0f} ms")
    print(f"choice to the first change of the page (the server's answer has arrived and drawing starts): "
          f"p50 {report['change_first_visible_ms']['p50'] or float('nan'):.0f} ms, p95 {report['change_first_visible_ms']['p95']:.0f} ms")
    split = report["cpu_during_changes"]
    print(f"CPU while the viewers changed district ({report['changes_wall_s']:.0f} s, {psutil.cpu_count()} CPUs, "
          f"{split['machine']['cpu_s']:.0f} CPU-s used by the machine): " +
          ", ".join(f"{part} {v['cpu_s']:.0f} s ({v['share']:.0%}; {v['per_change_s'] * 1000:.0f} ms a change)"
                    for part, v in split.items() if part != "machine"))
    states = report["heading_and_section_states"]
    print(f"page states after a change where the heading and the open section name different choices: "
          f"{states['disagreed']} of {states['compared']}" if states["compared"] else
          "heading and section choices not compared (the app marks no data-choice)")
    loaded = report["loaded"]
    print(f"memory: idle {report['idle']['rss_mib']:.0f} MiB RSS / {report['idle']['pss_mib']:.0f} MiB PSS "
          f"({report['idle']['kernels']} kernels); with {n} viewers {loaded['rss_mib']:.0f} MiB RSS / "
          f"{loaded['pss_mib']:.0f} MiB PSS ({loaded['kernels']} kernels): per viewer {loaded['per_viewer_rss_mib']:.0f} MiB RSS, "
          f"{loaded['per_viewer_pss_mib']:.0f} MiB PSS; chromium {loaded['chromium_mib']:.0f} MiB "
          f"({loaded['chromium_per_viewer_mib']:.0f} per viewer)")
    after = report["after_leaving"]
    culled = f"kernels culled {after['culled_in_s']:.0f} s after the viewers left" if after["culled_in_s"] is not None else \
        f"kernels NOT all culled within {after['waited_s']:.0f} s"
    print(f"after leaving (cull idle {args.cull_idle} s): {culled}; {after['rss_mib']:.0f} MiB RSS / {after['pss_mib']:.0f} MiB PSS "
          f"({after['kernels']} kernels) vs idle {report['idle']['rss_mib']:.0f} / {report['idle']['pss_mib']:.0f} MiB")
    print(f"errors: {len(problems)}" + "".join(f"\n  {p}" for p in problems[:20]))
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
