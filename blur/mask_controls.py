"""Mask controls: sensitivity, grow/shrink and feather, applied to a model's matte before
anything is made of it (views, blur, exports). Lengths are in pixels of a photo
REFERENCE_SIDE pixels on its longer side, scaled to each matte, as Blur Strength is: the same
setting changes the same share of any photo."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from blur.arrays import to_alpha, to_matte
from blur.composite import REFERENCE_SIDE

MIN_SENSITIVITY, MAX_SENSITIVITY = 0.05, 0.95
MAX_GROW_PX, MAX_FEATHER_PX = 30, 30


@dataclass(frozen=True)
class MaskControls:
    """The defaults leave a matte exactly as the model made it."""

    sensitivity: float = 0.5  # the alpha that becomes one half: higher takes in more
    grow: float = 0.0  # pixels at REFERENCE_SIDE; negative shrinks
    feather: float = 0.0  # Gaussian sigma in pixels at REFERENCE_SIDE

    def __post_init__(self) -> None:
        assert MIN_SENSITIVITY <= self.sensitivity <= MAX_SENSITIVITY, self.sensitivity
        assert abs(self.grow) <= MAX_GROW_PX and 0 <= self.feather <= MAX_FEATHER_PX

    @property
    def identity(self) -> bool:
        return self == MaskControls()

    @property
    def tag(self) -> str:
        """What was applied, for file names: "" for the defaults, else e.g.
        "-sensitivity0.7-grow+4px-feather2px"."""
        parts = []
        if self.sensitivity != 0.5:
            parts.append(f"sensitivity{self.sensitivity:g}")
        if self.grow:
            parts.append(f"grow{self.grow:+g}px")
        if self.feather:
            parts.append(f"feather{self.feather:g}px")
        return "".join(f"-{part}" for part in parts)


def _pixels(length: float, shape: tuple[int, int]) -> float:
    return length * max(shape) / REFERENCE_SIDE


def adjust(alpha: np.ndarray, controls: MaskControls) -> np.ndarray:
    """float32 alpha in [0, 1] with ``controls`` applied: sensitivity (a curve through 0
    and 1 that maps 1 - sensitivity to one half: hard masks stay as they are), then grow or
    shrink (a grey-level dilation or erosion by a disc), then feather (a Gaussian)."""
    assert alpha.ndim == 2 and alpha.dtype == np.float32, (alpha.shape, alpha.dtype)
    if controls.identity:
        return alpha
    out = alpha
    if controls.sensitivity != 0.5:
        out = np.power(out, math.log(0.5) / math.log(1.0 - controls.sensitivity))
    radius = round(abs(_pixels(controls.grow, out.shape)))
    if radius:
        disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
        change = cv2.dilate if controls.grow > 0 else cv2.erode
        out = change(out, disc, borderType=cv2.BORDER_REPLICATE)
    sigma = _pixels(controls.feather, out.shape)
    if sigma >= 0.3:  # below that a Gaussian changes nothing visible
        out = cv2.GaussianBlur(out, (0, 0), sigma, borderType=cv2.BORDER_REPLICATE)
    return np.clip(out, 0.0, 1.0).astype(np.float32, copy=False)


def adjust_matte(matte: np.ndarray, controls: MaskControls) -> np.ndarray:
    """A uint8 matte with ``controls`` applied (the matte itself for the defaults)."""
    if controls.identity:
        return matte
    return to_matte(adjust(to_alpha(matte), controls))
