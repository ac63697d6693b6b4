"""A 50 MP photo through the offline model, measured in a fresh process."""

from __future__ import annotations

import os
import subprocess
import sys

from bench.memory import PEAK_LIMIT_MB
from tests.conftest import ROOT


def test_50_mp_photo_stays_under_the_stated_peak():
    done = subprocess.run(
        [sys.executable, "-m", "bench.memory", "50"],
        cwd=ROOT, env={**os.environ, "HF_HUB_OFFLINE": "1"},
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    line = next(ln for ln in done.stdout.splitlines() if "peak" in ln)
    peak = float(line.split("peak ")[1].split(" MB")[0])
    assert peak < PEAK_LIMIT_MB, line
