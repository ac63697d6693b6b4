"""Waiting for a state, never for a time: a test polls until what it needs is true, with a
deadline far beyond any machine's load that fails only when the state never comes."""

from __future__ import annotations

import time
from collections.abc import Callable

DEADLINE_S = 60.0
POLL_S = 0.01


def wait_until(condition: Callable[[], object], what: str, timeout: float = DEADLINE_S) -> None:
    """Return once ``condition()`` is true; fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(POLL_S)
