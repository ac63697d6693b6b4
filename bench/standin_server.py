"""`python -m bench.standin_server [streamlit options]`: the app's real server with three
stand-in models beside MediaPipe Selfie, all ticked, so the UI bench shows four results
offline. The stand-ins (tests/standins: a centre square, in a real model worker) measure the
page, never a model; nothing they return is a model result.
"""

from __future__ import annotations

import os
import sys
import tempfile

from streamlit.web import cli

from models import registry
from models.registry import Family, ModelSpec

STANDINS = tuple(
    ModelSpec(
        key=f"square-{n}",
        label=f"Stand-in {n}",
        family=Family("tests.standins.adapters"),
        package="tests",
        mask_kind="alpha",
        licence="none",
        url="https://example.invalid",
        memory_mb=100,
        default=True,
    )
    for n in (1, 2, 3)
)


def main() -> None:
    os.environ.setdefault("STANDIN_FLAGS", tempfile.mkdtemp(prefix="standin-flags-"))
    registry.REGISTRY = registry.REGISTRY + STANDINS
    sys.argv = ["streamlit", "run", "app.py", *sys.argv[1:]]
    cli.main()


if __name__ == "__main__":
    main()
