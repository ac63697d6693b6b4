"""`uv run python -m bench load`: concurrent users on a real server, in real browsers.

Starts `streamlit run app.py` (offline, empty Hub cache), then for 1, 2, 4 and 8 concurrent
Chromium sessions (Playwright): each uploads a 12 MP JPEG; then all click Run together
(the offline model), each waits for its results to load, and moves the Blur Strength
slider three times, timing each move until the new blurred image has loaded. Prints, per
level, the median and worst time to results and to a slider re-render, the errors, and
the server's peak resident memory (its model workers included); then how the memory comes
back after the sessions close. Nothing here is asserted by the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
from PIL import Image

from photo.samples import sample_path
from tests.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    LOADED_RESULT_IMAGES,
    ONE_SLIDER,
    wait_healthy,
)
from ui.labels import RUN_LABEL

ROOT = Path(__file__).resolve().parent.parent
RUN = RUN_LABEL
LOADED_IMAGES = LOADED_RESULT_IMAGES  # the browser test's: loaded result images' addresses
NEW_BLUR = "src => { const s = (" + LOADED_IMAGES + ")(); return s.length >= 1 && s[0] !== src; }"
# Results are on screen: the grid's toolbar is drawn and its first image has loaded (the
# photo shown before a run is no result).
RESULTS = (
    "() => !!document.querySelector('[data-testid=stMain] [data-testid=stSlider]') && ("
    + LOADED_IMAGES
    + ")()"
    ".length >= 1 && !document.body.innerText.includes('not run yet')"
)
FIRST_IMAGE = "() => { const s = (" + LOADED_IMAGES + ")(); return s.length && s[0]; }"
# The page idle with one Run button, enabled: a rerun briefly shows the old page's
# elements beside the new.
RUN_READY = """label => {
    const runs = [...document.querySelectorAll('button')].filter(b => b.innerText === label);
    const idle = !document.querySelector('[data-testid="stStatusWidget"]');
    return idle && runs.length === 1 && !runs[0].disabled;
}"""
TARGETS = {"results_worst_s": 8.0, "slider_median_s": 0.8, "rss_return_mb": 300.0}


def twelve_mp_jpeg(folder: Path) -> Path:
    source = Image.open(sample_path()).convert("RGB")
    buffer = io.BytesIO()
    source.resize((4000, 3000), Image.Resampling.BICUBIC).save(buffer, "JPEG", quality=90)
    path = folder / "phone.jpg"
    path.write_bytes(buffer.getvalue())
    return path


def tree_rss_mb(pid: int) -> float:
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0
    for process in processes:
        with contextlib.suppress(psutil.Error):
            total += process.memory_info().rss
    return total / 2**20


def cpu_seconds(processes) -> float:
    total = 0.0
    for process in processes:
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            total += times.user + times.system
    return total


def server_cpu(pid: int) -> float:
    """CPU seconds used so far by the server and its model workers."""
    with contextlib.suppress(psutil.Error):
        root = psutil.Process(pid)
        return cpu_seconds([root, *root.children(recursive=True)])
    return 0.0


def browsers_cpu() -> float:
    """CPU seconds used so far by every Chromium process (they share the server's cores)."""
    chromium = (p for p in psutil.process_iter(["name"]) if "chrom" in (p.info["name"] or ""))
    return cpu_seconds(chromium)


class Sampler:
    """The server tree's RSS, sampled in the background; peak since the last reset."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0.0, False
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while not self._stop:
            self.peak = max(self.peak, tree_rss_mb(self.pid))
            time.sleep(0.1)

    def reset(self) -> None:
        self.peak = tree_rss_mb(self.pid)

    def stop(self) -> None:
        self._stop = True


def start_server(port: int, cache: Path, log: Path) -> subprocess.Popen:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(cache)}
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
        "--server.address", "127.0.0.1", "--server.headless", "true",
    ]  # fmt: skip
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
    )
    try:
        wait_healthy(f"http://127.0.0.1:{port}", server, timeout=120)
    except (RuntimeError, TimeoutError):
        server.kill()
        raise
    return server


async def when_alone(page, ready: str, arg, act) -> None:
    """``act()`` once ``ready`` holds; again if a rerun doubled the element meanwhile (a
    rerun briefly shows the old page's elements beside the new)."""
    for _ in range(100):
        await page.wait_for_function(ready, arg=arg, timeout=120_000)
        try:
            await act()
            return
        except Exception as error:  # noqa: BLE001 - two of it again: the page reran
            if "strict mode violation" not in str(error):
                raise
            await asyncio.sleep(0.1)
    raise RuntimeError("the element never stood alone")


async def click_run(page) -> None:
    button = page.get_by_role("button", name=RUN, exact=True)
    await when_alone(page, RUN_READY, RUN, lambda: button.click(timeout=1_000))


async def user(browser, url: str, photo: Path, moves: int, ready: asyncio.Barrier) -> dict:
    """One session: upload, run, then move the slider; times in seconds, errors as text.
    Every user clicks Run at once, after all pages have loaded and uploaded (``ready``): the
    browsers' own start-up, on this same machine, is not counted as the server's time."""
    context = await browser.new_context(viewport={"width": 1440, "height": 900})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    out = {"errors": errors, "slider_s": []}
    try:
        await page.goto(url)
        await page.locator('input[type="file"]').set_input_files(str(photo))
        await page.wait_for_function(RUN_READY, arg=RUN, timeout=120_000)
        await ready.wait()
        start = time.monotonic()
        await click_run(page)
        await page.wait_for_function(RESULTS, timeout=120_000)
        out["results_s"] = time.monotonic() - start
        slider = page.get_by_role("slider", name="Blur Strength")
        for _ in range(moves):
            before = await (await page.wait_for_function(FIRST_IMAGE)).json_value()
            await when_alone(page, ONE_SLIDER, None, lambda: slider.focus(timeout=1_000))
            start = time.monotonic()
            await page.keyboard.press("ArrowRight")
            await page.wait_for_function(NEW_BLUR, arg=before, timeout=60_000)
            out["slider_s"].append(time.monotonic() - start)
        if await page.locator('[data-testid="stException"]').count():
            errors.append("an exception is shown on the page")
    except Exception as error:  # noqa: BLE001 - a failed session is a figure, not a crash
        errors.append(f"{type(error).__name__}: {str(error).splitlines()[0]}")
        await ready.abort()  # the others must not wait for this one
    finally:
        await context.close()
    return out


async def level(url: str, photo: Path, users: int, moves: int) -> dict:
    """Every user's figures, and the CPU seconds their browsers used meanwhile."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            ready = asyncio.Barrier(users)
            before = browsers_cpu()
            runs = await asyncio.gather(
                *(user(browser, url, photo, moves, ready) for _ in range(users))
            )
            return {"runs": runs, "browsers_cpu": browsers_cpu() - before}
        finally:
            await browser.close()


def summary(figures: dict) -> dict:
    runs = figures["runs"]
    results = [r["results_s"] for r in runs if "results_s" in r]
    sliders = [s for r in runs for s in r["slider_s"]]
    return {
        "results": results,
        "sliders": sliders,
        "errors": [e for r in runs for e in r["errors"]],
        "browsers_cpu": figures["browsers_cpu"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench load", description=__doc__)
    parser.add_argument("--levels", nargs="+", type=int, default=[1, 2, 4, 8])
    parser.add_argument("--moves", type=int, default=3, help="slider moves per user")
    parser.add_argument("--settle", type=int, default=180, help="seconds to watch RSS after")
    parser.add_argument("--port", type=int, default=8599)
    args = parser.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="bench-load-"))
    photo = twelve_mp_jpeg(folder)
    (folder / "hf-cache").mkdir()
    url = f"http://127.0.0.1:{args.port}"
    server = start_server(args.port, folder / "hf-cache", folder / "streamlit.log")
    sampler = Sampler(server.pid)
    try:
        cold = tree_rss_mb(server.pid)
        asyncio.run(level(url, photo, 1, 0))  # warm-up: imports done, the model's worker up
        time.sleep(5)
        idle = tree_rss_mb(server.pid)
        size = photo.stat().st_size / 1e6
        print(f"\nLoad: {size:.1f} MB 12 MP JPEG per user, the app's default (in-box) models,")
        print(f"{args.moves} slider moves each; server RSS (workers included): cold {cold:.0f} MB,")
        print(f"idle after a warm-up session {idle:.0f} MB\n")
        header = (
            f"{'users':>5} {'results med':>11} {'worst':>6} {'slider med':>10} {'worst':>6} "
            f"{'errors':>6} {'peak RSS MB':>11} {'CPU s server':>12} {'browsers':>8}"
        )
        print(header + "\n" + "-" * len(header), flush=True)
        worst_results, median_sliders, all_errors = [], [], []
        for users in args.levels:
            sampler.reset()
            server_before = server_cpu(server.pid)
            figures = summary(asyncio.run(level(url, photo, users, args.moves)))
            server_used = server_cpu(server.pid) - server_before
            browsers_used = figures["browsers_cpu"]
            results, sliders, errors = figures["results"], figures["sliders"], figures["errors"]
            med = statistics.median(results) if results else float("nan")
            worst = max(results) if results else float("nan")
            s_med = statistics.median(sliders) if sliders else float("nan")
            s_worst = max(sliders) if sliders else float("nan")
            print(
                f"{users:>5} {med:>10.2f}s {worst:>5.2f}s {s_med:>9.2f}s {s_worst:>5.2f}s "
                f"{len(errors):>6} {sampler.peak:>11.0f} {server_used:>12.1f} "
                f"{browsers_used:>8.1f}",
                flush=True,
            )
            for error in errors[:5]:
                print(f"      {error}")
            worst_results.append(worst)
            median_sliders.append(s_med)
            all_errors += errors
        print(f"\nAfter the sessions closed (Streamlit drops them after its TTL), RSS vs idle "
              f"{idle:.0f} MB:")  # fmt: skip
        closed = time.monotonic()
        back_at = None
        while time.monotonic() - closed < args.settle:
            time.sleep(15)
            rss = tree_rss_mb(server.pid)
            print(f"  +{time.monotonic() - closed:>4.0f} s: {rss:>6.0f} MB ({rss - idle:+.0f})")
            if back_at is None and rss - idle <= TARGETS["rss_return_mb"]:
                back_at = time.monotonic() - closed
                break
        top = args.levels[-1]
        print("\nTargets")
        ok = not all_errors
        print(f"- {top} concurrent sessions complete with no error: {'met' if ok else 'NOT met'}")
        worst = worst_results[-1]
        mark = "met" if worst <= TARGETS["results_worst_s"] else "NOT met"
        print(f"- results within 8 s worst case at {top} users: {worst:.2f} s, {mark}")
        median = median_sliders[-1]
        mark = "met" if median <= TARGETS["slider_median_s"] else "NOT met"
        print(f"- slider re-render within 0.8 s median at {top} users: {median:.2f} s, {mark}")
        when = f"after {back_at:.0f} s" if back_at is not None else "NOT within the watch"
        print(f"- RSS back within 300 MB of idle within 180 s: {when}")
    finally:
        sampler.stop()
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
