"""The installed environment: headless OpenCV only, and the protobuf that Streamlit needs."""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

from tests.conftest import ROOT


def installed(name: str) -> bool:
    try:
        metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return False
    return True


def test_only_the_headless_opencv_provides_cv2():
    assert installed("opencv-python-headless")
    for gui_build in ("opencv-python", "opencv-contrib-python", "opencv-contrib-python-headless"):
        assert not installed(gui_build), f"{gui_build} would shadow the headless cv2"


@pytest.mark.skipif(shutil.which("ldd") is None, reason="ldd is not available")
def test_cv2_does_not_need_libgl():
    import cv2

    binary = next(Path(cv2.__file__).parent.glob("cv2*.so"))
    linked = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, check=True).stdout
    assert "libGL" not in linked
    assert "not found" not in linked


def test_protobuf_is_new_enough_for_streamlit():
    major = int(metadata.version("protobuf").split(".")[0])
    assert major >= 5


def test_pyarrow_works_with_the_installed_numpy():
    """Streamlit's tables and charts need pyarrow, whose newest builds refuse numpy 1.x."""
    import numpy as np
    import pandas as pd
    import pyarrow

    table = pyarrow.Table.from_pandas(pd.DataFrame({"iou": np.linspace(0, 1, 3)}))
    assert table.num_rows == 3


def test_the_server_watches_no_files():
    """`uv run` puts .venv inside the project, and Streamlit's watcher watches the project
    recursively: every file a model worker opens there was an event for it (a slower first
    page, overflowing queues while models load). The app is run, not edited, by its users."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["fileWatcherType"] == "none"
