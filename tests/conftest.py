from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent


@pytest.fixture
def astronaut_path() -> Path:
    """NASA portrait of Eileen Collins (public domain), 512x512, from scikit-image's data."""
    return DATA / "astronaut.png"


@pytest.fixture
def astronaut(astronaut_path) -> Image.Image:
    return Image.open(astronaut_path).convert("RGB")


@pytest.fixture
def astronaut_rgb(astronaut) -> np.ndarray:
    return np.asarray(astronaut)
