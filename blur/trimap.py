"""Trimaps from a model's mask: where the subject surely is, where the background surely is,
and the band between them that a matting solver decides pixel by pixel."""

from __future__ import annotations

import cv2
import numpy as np

DEFAULT_BAND = 0.01  # unknown band on each side of the mask's edge, of the photo's longer side
MIN_BAND_PX = 2
SURE = 0.05  # a soft mask's alpha within this of 0 or 1 is taken as the model's certainty
FOREGROUND, UNKNOWN, BACKGROUND = 1.0, 0.5, 0.0


def band_pixels(band: float, shape: tuple[int, ...]) -> int:
    """The band's half-width in pixels for an image of ``shape``: ``band`` of its longer
    side, so the same setting covers the same part of any size of the photo."""
    assert 0 < band < 0.5, band
    return max(MIN_BAND_PX, round(band * max(shape[:2])))


def trimap(alpha: np.ndarray, band_px: int) -> np.ndarray:
    """float64 trimap (1 subject, 0 background, 0.5 unknown) of a float alpha in [0, 1]:
    the mask's edge (alpha = 0.5) widened by ``band_px`` on each side, plus every pixel the
    model itself left uncertain."""
    assert alpha.ndim == 2 and alpha.dtype.kind == "f", (alpha.shape, alpha.dtype)
    inside = (alpha >= 0.5).astype(np.uint8)
    side = 2 * band_px + 1
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side))
    sure_in = cv2.erode(inside, disc, borderType=cv2.BORDER_REPLICATE).astype(bool)
    sure_out = cv2.erode(1 - inside, disc, borderType=cv2.BORDER_REPLICATE).astype(bool)
    result = np.full(alpha.shape, UNKNOWN)
    result[sure_in & (alpha >= 1 - SURE)] = FOREGROUND
    result[sure_out & (alpha <= SURE)] = BACKGROUND
    return result


def has_both_sides(trimap_: np.ndarray) -> bool:
    """Whether a solver has something to go on: some sure subject and some sure background."""
    return bool((trimap_ == FOREGROUND).any() and (trimap_ == BACKGROUND).any())
