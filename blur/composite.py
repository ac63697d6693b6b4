"""Inpaint-then-blur: the background without the subject, blurred, behind the subject."""

from __future__ import annotations

import math

import cv2
import numpy as np

from blur.arrays import expand, mask, shrink, to_uint8, validated
from blur.edges import composite
from blur.fill import fill_holes, known_parts
from blur.lens import DISC_RADIUS_PER_SIGMA, LENSES, WORKING_DISC_RADIUS, lens_blur

MIN_STRENGTH = 5
MAX_STRENGTH = 255
DEFAULT_STRENGTH = 101

# Pixels above this alpha carry enough subject colour to be cut out of the plate before
# blurring. Lower cuts more background away, which the fill must then guess (measured in
# bench/: 0.1 gives the least halo); the seed cut at 0.5 and grew the hole by 7 px.
HOLE_ALPHA = 0.1
# The plate is filled and blurred at a reduced scale where the Gaussian's sigma is about
# this many pixels: the blur hides the detail lost, and the work shrinks with the square.
WORKING_SIGMA = 2.5
FULL_SIZE_FACTOR = 2.0  # below this reduction, blur at full size instead
FILL_MAX_PIXELS = 1_000_000  # the hole's fill is never computed on more pixels than this
FEATHER_FRACTION = 0.002  # binary-mask feather sigma, as a fraction of the image diagonal


def equivalent_sigma(strength: int) -> float:
    """Sigma of one Gaussian that looks like three passes of a k x k OpenCV Gaussian."""
    single = 0.3 * ((strength - 1) * 0.5 - 1) + 0.8  # OpenCV's sigma for ksize k
    return math.sqrt(3.0) * single


def feather(alpha: np.ndarray, pixel_scale: float = 1.0) -> np.ndarray:
    """Soften a binary mask outwards, so every alpha = 1 pixel stays 1.

    The soft ramp is smooth, so it is computed at a reduced scale and upsampled.
    """
    h, w = alpha.shape
    sigma = max(1.5, FEATHER_FRACTION * math.hypot(h, w) * min(pixel_scale, 1.0))
    factor = max(1, min(int(sigma / WORKING_SIGMA), h, w))
    small = shrink(alpha, factor)
    soft = cv2.GaussianBlur(small, (0, 0), sigmaX=sigma / factor, borderType=cv2.BORDER_REPLICATE)
    return np.maximum(alpha, expand(soft, factor, (h, w)))


def _blur_small(plate: np.ndarray, sigma: float, factor: float) -> np.ndarray:
    # Area downsampling and bilinear upsampling add a box (f^2/12) and a tent (f^2/6)
    # of variance on their own; the Gaussian supplies the rest.
    small_sigma = math.sqrt(max(sigma**2 - 0.25 * factor**2, 0.0)) / factor
    if small_sigma > 0.1:
        plate = cv2.GaussianBlur(
            plate, (0, 0), sigmaX=small_sigma, borderType=cv2.BORDER_REFLECT_101
        )
    return plate


def _reduction(spread: float, working: float, shape: tuple[int, int]) -> int:
    return max(1, min(int(spread / working), *shape))


def blurred_plate(
    image: np.ndarray, alpha: np.ndarray, sigma: float, lens: str = "gaussian"
) -> np.ndarray:
    """The background with the subject removed and blurred, at full size.

    The subject (alpha > HOLE_ALPHA) is cut out; what it hid is filled from the background
    around it; the plate is blurred, with a Gaussian of ``sigma`` or, for ``lens="disc"``,
    a lens disc of radius 2 * sigma (the same spread). All of it happens at a scale where
    the blur is a few pixels wide (it hides what that loses); the result is upsampled.
    """
    return _plate(image, alpha, sigma, lens)[0]


def _plate(
    image: np.ndarray, alpha: np.ndarray, sigma: float, lens: str
) -> tuple[np.ndarray, np.ndarray, int]:
    """blurred_plate, plus the filled plate before blurring (float) and its reduction factor."""
    if lens not in LENSES:
        raise ValueError(f"lens must be one of {LENSES}, got {lens!r}")
    h, w = alpha.shape
    hole = mask(alpha, ">", HOLE_ALPHA)
    known = cv2.bitwise_not(hole)
    has_hole = bool(hole.any())
    radius = DISC_RADIUS_PER_SIGMA * sigma
    if lens == "disc":
        factor = _reduction(radius, WORKING_DISC_RADIUS, (h, w))
    else:
        factor = _reduction(sigma, WORKING_SIGMA, (h, w))

    if factor < FULL_SIZE_FACTOR:
        # A light blur: blur at full size, the filled hole pasted in from a smaller fill.
        plate, behind, behind_factor = image, image, 1
        if has_hole:
            fill_factor = max(1, math.ceil(math.sqrt(h * w / FILL_MAX_PIXELS)))
            behind = fill_holes(*known_parts(image, known, fill_factor))
            behind_factor = fill_factor
            plate = image.copy()
            cv2.copyTo(expand(to_uint8(behind), fill_factor, (h, w)), hole, plate)
        if lens == "disc":
            blurred = to_uint8(lens_blur(plate, radius))
        else:
            blurred = cv2.GaussianBlur(
                plate, (0, 0), sigmaX=sigma, borderType=cv2.BORDER_REFLECT_101
            )
        return blurred, behind, behind_factor

    colour, coverage = known_parts(image, known, factor)
    if not coverage.any():
        # Nothing of the background is visible: any flat colour will do.
        plate = np.empty_like(colour)
        plate[:] = shrink(image, factor).reshape(-1, 3).mean(0)
    elif has_hole:
        plate = fill_holes(colour, coverage)
    else:
        plate = colour
    if lens == "disc":
        small = lens_blur(plate, radius / factor)
    else:
        small = _blur_small(plate, sigma, factor)
    return expand(to_uint8(small), factor, (h, w)), plate, factor


def blur_background(
    image: np.ndarray,
    alpha: np.ndarray,
    strength: int = DEFAULT_STRENGTH,
    soft: bool = True,
    *,
    pixel_scale: float = 1.0,
    lens: str = "gaussian",
    clean_edges: bool = True,
) -> np.ndarray:
    """Blur the background behind the subject: remove the subject, blur, composite.

    ``strength`` is the Gaussian kernel size in full-resolution pixels (odd, 5..255).
    ``soft=False`` marks a binary mask, whose edge is feathered first. ``pixel_scale`` is
    the size of ``image`` relative to the full-resolution photo, for previews: the blur
    looks the same at any scale. ``lens="disc"`` gives a lens (bokeh) blur with blooming
    highlights instead of the Gaussian. ``clean_edges`` composites the subject's own colour
    in soft pixels instead of the photo's (see foreground_colours). Pixels with alpha = 1
    come back unchanged.
    """
    image, alpha = validated(image, alpha)
    if not (MIN_STRENGTH <= strength <= MAX_STRENGTH) or strength % 2 == 0:
        raise ValueError(
            f"strength must be an odd kernel size in {MIN_STRENGTH}..{MAX_STRENGTH}, got {strength}"
        )
    if not soft:
        alpha = feather(alpha, pixel_scale)
    sigma = equivalent_sigma(strength) * pixel_scale
    background, behind, behind_factor = _plate(image, alpha, sigma, lens)
    return composite(image, background, alpha, clean_edges, (behind, behind_factor))
