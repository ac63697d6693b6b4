"""Giving memory back to the system once sessions let go of it.

Streamlit drops a closed browser tab's session after its disconnected-session TTL; the
session's arrays are then garbage in reference cycles, freed only by a full collection,
and glibc keeps freed heap pages in its arenas unless asked to return them. A janitor
thread notices when sessions go away and does both.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import sys
import threading
import time
import weakref

JANITOR_PERIOD_S = 15.0
log = logging.getLogger("portrait_blur.memory")

_sessions: weakref.WeakSet = weakref.WeakSet()
_janitor_lock = threading.Lock()
_janitor: threading.Thread | None = None


def release_memory() -> None:
    """Collect cycles, then hand free heap pages back to the system (glibc only)."""
    gc.collect()
    if sys.platform.startswith("linux"):
        # Not glibc (musl): no malloc_trim, and its allocator returns memory by itself.
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)


def track(session) -> None:
    """Watch ``session`` (a service.Session): it is closed once its page is gone for good,
    and memory is released soon after it (or any tracked one) is dropped."""
    global _janitor
    _sessions.add(session)
    with _janitor_lock:
        if _janitor is None:
            _janitor = threading.Thread(target=_watch, name="memory-janitor", daemon=True)
            _janitor.start()


def _watch() -> None:
    seen = len(_sessions)
    while True:
        time.sleep(JANITOR_PERIOD_S)
        # A closed page's session may stay referenced by the web server for a long while
        # (Streamlit forgets it only on some later connection): empty it once it is gone.
        closed = [s for s in list(_sessions) if not s.closed and s.close_if_abandoned()]
        if closed:
            log.info("%d session(s) closed: their pages are gone", len(closed))
        gc.collect()  # sessions in cycles leave the WeakSet only after a collection
        alive = len(_sessions)
        if alive < seen:
            release_memory()
            log.info("%d session(s) gone, memory released; %d alive", seen - alive, alive)
        seen = alive
