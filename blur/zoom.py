"""Synced zoom: one square of the full-resolution photo, the same for every model's result.

The square is cut from full-resolution data: the photo as decoded, each model's matte
resized to the photo exactly as the downloads resize it (bilinear, computed for the square
alone), and the blurred background upsampled from the preview's, which is already smoother
than a pixel of the square at every Blur Strength the slider offers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from blur.composite import BlurPlan

ZOOMS = (100, 200, 300, 400)  # percent: photo pixels per 100 screen pixels, inverted


@dataclass(frozen=True)
class Square:
    """A square of the photo, in full-resolution pixels."""

    left: int
    top: int
    side: int

    def grown(self, margin: int, size: tuple[int, int]) -> tuple[int, int, int, int]:
        """(left, top, right, bottom) of the square with ``margin`` around it, in the photo."""
        w, h = size
        return (
            max(0, self.left - margin),
            max(0, self.top - margin),
            min(w, self.left + self.side + margin),
            min(h, self.top + self.side + margin),
        )


def square_at(size: tuple[int, int], across: float, down: float, zoom: int, tile: int) -> Square:
    """The square a ``tile`` pixels wide view shows at ``zoom`` percent, centred at
    (``across``, ``down``) as fractions of the photo (w, h), moved inside the photo."""
    w, h = size
    side = max(4, min(round(tile * 100 / zoom), w, h))
    left = min(max(0, round(across * w - side / 2)), w - side)
    top = min(max(0, round(down * h - side / 2)), h - side)
    return Square(left, top, side)


def matte_window(
    matte: np.ndarray, size: tuple[int, int], box: tuple[int, int, int, int]
) -> np.ndarray:
    """float32 alpha in ``box`` (left, top, right, bottom) of the photo of ``size`` (w, h):
    the uint8 ``matte``, at any size, resized to the photo bilinearly (what cv2.resize does
    when enlarging) but computed for the box only."""
    w, h = size
    mh, mw = matte.shape
    left, top, right, bottom = box
    if mw > w or mh > h:  # a matte larger than the photo is area-averaged as a whole
        full = cv2.resize(matte, (w, h), interpolation=cv2.INTER_AREA)
        return full[top:bottom, left:right].astype(np.float32) / 255.0
    return _bilinear(matte, size, box) / np.float32(255)


def upsampled_window(
    small: np.ndarray, size: tuple[int, int], box: tuple[int, int, int, int]
) -> np.ndarray:
    """An image made at a reduced scale (``small``, e.g. the preview's blurred background),
    bilinearly upsampled to the photo's ``size`` (w, h), for ``box`` only (uint8)."""
    return np.clip(_bilinear(small, size, box) + 0.5, 0, 255).astype(np.uint8)


def _axis(start: int, stop: int, scale: float, length: int):
    """Source indices and weights of a bilinear resize along one axis (edges replicated)."""
    at = (np.arange(start, stop, dtype=np.float64) + 0.5) * scale - 0.5
    low = np.floor(at)
    weight = (at - low).astype(np.float32)
    low = low.astype(np.int64)
    return np.clip(low, 0, length - 1), np.clip(low + 1, 0, length - 1), weight


def _bilinear(small: np.ndarray, size: tuple[int, int], box: tuple[int, int, int, int]):
    """float32 of ``small`` resized bilinearly to ``size`` (w, h), within ``box`` only."""
    w, h = size
    sh, sw = small.shape[:2]
    left, top, right, bottom = box
    x0, x1, fx = _axis(left, right, sw / w, sw)
    y0, y1, fy = _axis(top, bottom, sh / h, sh)
    values = small.astype(np.float32)
    if values.ndim == 3:
        fx, fy = fx[:, None], fy[:, None]
    rows = values[y0] * (1 - fy[:, None]) + values[y1] * fy[:, None]
    return np.ascontiguousarray(rows[:, x0] * (1 - fx) + rows[:, x1] * fx)


def magnified(pixels: np.ndarray, tile: int) -> np.ndarray:
    """``pixels`` scaled to ``tile`` pixels wide, each photo pixel a crisp block."""
    h, w = pixels.shape[:2]
    if w == tile:
        return pixels
    return cv2.resize(pixels, (tile, math.ceil(h * tile / w)), interpolation=cv2.INTER_NEAREST)


def subject_top(alpha: np.ndarray) -> tuple[float, float]:
    """(across, down) as fractions: the top of the subject (alpha > 0.5), where hair is,
    or the centre when there is no subject."""
    rows = np.flatnonzero((alpha > 0.5).any(axis=1))
    if rows.size == 0:
        return 0.5, 0.5
    top = int(rows[0])
    band = alpha[top : top + max(1, alpha.shape[0] // 20)] > 0.5
    across = float(np.flatnonzero(band.any(axis=0)).mean() + 0.5) / alpha.shape[1]
    return across, (top + 0.5) / alpha.shape[0]


def blurred_window(
    rgb: np.ndarray,
    alpha: np.ndarray,
    small_background: np.ndarray,
    size: tuple[int, int],
    box: tuple[int, int, int, int],
    soft: bool = True,
    clean_edges: bool = True,
) -> np.ndarray:
    """The blurred photo within ``box`` of the photo of ``size`` (w, h): the photo's
    ``rgb`` and ``alpha`` there, over the blurred background made at a reduced scale
    (``small_background``, BlurPlan.background of a preview) upsampled to full size."""
    plan = BlurPlan(rgb, alpha, soft, clean_edges, diagonal=math.hypot(*size))
    return plan.composite(upsampled_window(small_background, size, box))
