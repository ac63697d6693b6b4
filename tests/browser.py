"""The real browser and a real server, shared by the browser test and the UI benches:
Debian's Chromium with the flags this closed network needs, and waiting for a server."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from ui.labels import SAMPLE_LABEL

CHROMIUM = Path("/usr/bin/chromium")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# The toolbar's Blur Strength is the main area's only slider (the sidebar has its own).
ONE_SLIDER = (
    "() => document.querySelectorAll("
    "'[data-testid=stMain] [data-testid=stSlider] input[type=range]').length === 1"
)
LOADED_RESULT_IMAGES = """() => {
    const selector = '[data-testid="stMain"] [data-testid="stImage"] img';
    const images = [...document.querySelectorAll(selector)];
    return images.filter(img => img.complete && img.naturalWidth > 0).map(img => img.src);
}"""

# The first things a user can use: the uploader and *Try a sample portrait*, shown and
# enabled; their boxes (the uploader's, then the button's) once they are, else null.
USABLE = """() => {
    const main = document.querySelector('[data-testid="stMain"]');
    if (!main) return null;
    const shown = el => !!el && !el.disabled && el.getClientRects().length > 0;
    const uploader = main.querySelector('[data-testid="stFileUploader"]');
    const input = uploader && uploader.querySelector('input[type="file"]');
    const browse = uploader && uploader.querySelector('button');
    const sample = [...main.querySelectorAll('button')]  // (a phone's has a hidden twin)
        .find(b => b.textContent.trim() === %r && shown(b));
    if (!input || input.disabled || !shown(browse) || !shown(sample)) return null;
    return [uploader, sample].map(el => {
        const box = el.getBoundingClientRect();
        return [box.x, box.y, box.width, box.height];
    });
}""" % SAMPLE_LABEL

# Streamlit's "running" widget is gone: the script run and its reruns have ended.
IDLE = "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"


# The runs' progress bar gone for five polls (poll with polling=100): the bar is redrawn on
# every poll of the runs, so a single look can fall between two of its draws.
QUIET = """() => {
    const busy = document.querySelector('[data-testid="stProgress"]');
    window.quietPolls = busy ? 0 : (window.quietPolls || 0) + 1;
    return window.quietPolls >= 5;
}"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, server: subprocess.Popen, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"streamlit did not answer at {url} within {timeout:.0f} s")
