"""Filling what the subject hid: multigrid push-pull from the known pixels only."""

from __future__ import annotations

import cv2
import numpy as np

from blur.arrays import expand, shrink

RELAX_STEPS = 10  # smoothing passes per pyramid level of the fill, at least
RELAX_BUDGET = 200_000  # pixel passes a level may spend on more smoothing


def _relax(
    plate: np.ndarray, known_part: np.ndarray, missing: np.ndarray, steps: int
) -> np.ndarray:
    """Smooth the missing share of each pixel towards its neighbours' (a harmonic fill).

    Each step is ``known_part + missing * blur(plate)``: a pixel with nothing missing stays
    its known part, so only the window one pixel around the missing ones is worked on."""
    x, y, width, height = cv2.boundingRect((missing[..., 0] > 0).astype(np.uint8))
    window = (slice(max(y - 1, 0), y + height + 1), slice(max(x - 1, 0), x + width + 1))
    plate = plate.copy()
    if width:
        plate[window] = _relax_window(plate[window], known_part[window], missing[window], steps)
    return plate


def _relax_window(
    plate: np.ndarray, known_part: np.ndarray, missing: np.ndarray, steps: int
) -> np.ndarray:
    """_relax's steps, written into buffers made once: the same floats as numpy's
    expression, about twice as fast on a large level."""
    missing = np.ascontiguousarray(np.broadcast_to(missing, plate.shape))
    known_part = np.ascontiguousarray(known_part)
    plate, blurred = plate.copy(), np.empty_like(plate)
    for _ in range(steps):
        cv2.blur(plate, (3, 3), dst=blurred, borderType=cv2.BORDER_REPLICATE)
        cv2.multiply(blurred, missing, dst=blurred)
        cv2.add(known_part, blurred, dst=plate)
    return plate


def fill_holes(
    premultiplied: np.ndarray,
    coverage: np.ndarray,
    relax_budget: int | None = None,
    coarse: np.ndarray | None = None,
) -> np.ndarray:
    """Complete a plate known only in part: multigrid push-pull with harmonic smoothing.

    ``premultiplied`` (HxWx3 float32) holds each pixel's known colour times ``coverage``
    (HxW float32 in [0, 1], the known share of the pixel). Returns the plate with every
    pixel's missing share filled from its surroundings; fully known pixels are unchanged.
    Only known colour enters the fill, so the subject never leaks into it. ``coarse``, the
    same plate already filled at half the size (over 2 x 2 blocks, as shrink makes it),
    stands in for the levels below.
    """
    levels = [(premultiplied, coverage)]
    if coarse is None:
        while levels[-1][1].min() <= 0.0 and min(levels[-1][1].shape) > 2:
            colour, weight = levels[-1]
            levels.append((cv2.pyrDown(colour), cv2.pyrDown(weight)))
        colour, weight = levels.pop()
        filled = colour / np.maximum(weight, 1e-6)[..., None]
    for colour, weight in reversed(levels):
        missing = (1.0 - np.clip(weight, 0.0, 1.0))[..., None]
        if coarse is None:
            below = cv2.pyrUp(filled, dstsize=(weight.shape[1], weight.shape[0]))
        else:
            below = expand(coarse.astype(np.float32), 2, weight.shape)
        # Small levels are cheap: smooth them more, up to a fixed budget of pixel passes.
        budget = RELAX_BUDGET if relax_budget is None else relax_budget
        steps = int(np.clip(budget / weight.size, RELAX_STEPS, 20 * RELAX_STEPS))
        filled = _relax(colour + missing * below, colour, missing, steps)
    return filled


def known_parts(image: np.ndarray, known: np.ndarray, factor: int) -> tuple[np.ndarray, np.ndarray]:
    """Downsampled known colour (premultiplied by coverage) and coverage."""
    masked = cv2.bitwise_and(image, image, mask=known)
    colour = shrink(masked, factor).astype(np.float32)
    coverage = shrink(known, factor).astype(np.float32) / 255.0
    return colour, coverage
