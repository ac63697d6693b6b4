"""Masks recorded with each in-box model's own runtime (tests/data/*_reference), and the
photos they were recorded from: what the app's ONNX paths must reproduce."""

from __future__ import annotations

import numpy as np
from PIL import Image

from tests.conftest import DATA, PHOTOS

LARGE = "astronaut-1024x768"  # the astronaut resized (bicubic), to check the scaling paths


def reference_photo(name: str) -> Image.Image:
    """The photo a reference mask ``name`` was recorded from."""
    if name == LARGE:
        photo = Image.open(PHOTOS / "astronaut.png").convert("RGB")
        return photo.resize((1024, 768), Image.Resampling.BICUBIC)
    return Image.open(PHOTOS / f"{name}.png").convert("RGB")


def reference_names(folder: str) -> list[str]:
    return sorted(path.stem for path in (DATA / folder).glob("*.png"))


def reference_mask(folder: str, name: str) -> np.ndarray:
    """The recorded mask as float32 in [0, 1]."""
    return np.asarray(Image.open(DATA / folder / f"{name}.png")).astype(np.float32) / 255


def agreement(alpha: np.ndarray, expected: np.ndarray) -> tuple[float, float]:
    """(IoU of the two masks' alpha > 0.5 regions, mean absolute difference of the alphas)."""
    assert alpha.shape == expected.shape, (alpha.shape, expected.shape)
    ours, theirs = alpha > 0.5, expected > 0.5
    iou = (ours & theirs).sum() / max(1, (ours | theirs).sum())
    return float(iou), float(np.abs(alpha - expected).mean())
