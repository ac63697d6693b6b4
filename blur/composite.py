"""Mask overlay and inpaint-then-blur background compositing."""

from __future__ import annotations

import math

import cv2
import numpy as np

MIN_STRENGTH = 5
MAX_STRENGTH = 255
DEFAULT_STRENGTH = 101

GREEN = (0, 255, 0)
CONTOUR_THICKNESS = 2

# Pixels above this alpha carry enough subject colour to be cut out of the plate before
# blurring. Lower cuts more background away, which the fill must then guess (measured in
# bench/: 0.1 gives the least halo); the seed cut at 0.5 and grew the hole by 7 px.
HOLE_ALPHA = 0.1
# The plate is filled and blurred at a reduced scale where the Gaussian's sigma is about
# this many pixels: the blur hides the detail lost, and the work shrinks with the square.
WORKING_SIGMA = 2.5
FULL_SIZE_FACTOR = 2.0  # below this reduction, blur at full size instead
FILL_MAX_PIXELS = 1_000_000  # the hole's fill is never computed on more pixels than this
RELAX_STEPS = 10  # smoothing passes per pyramid level of the fill, at least
RELAX_BUDGET = 200_000  # pixel passes a level may spend on more smoothing

LENSES = ("gaussian", "disc")
DISC_RADIUS_PER_SIGMA = 2.0  # a disc of radius 2 sigma spreads as far as the Gaussian
WORKING_DISC_RADIUS = 6.0  # disc radius, in pixels, at the scale where bokeh is computed
GAMMA = 2.2  # bokeh is summed in (roughly) linear light, as a lens does
BLOOM_FROM = 0.6  # linear luminance where highlights start to bloom
BLOOM_GAIN = 4.0  # how much brighter the brightest highlights shine through the disc
FEATHER_FRACTION = 0.002  # binary-mask feather sigma, as a fraction of the image diagonal


def _ellipse(size: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))


def _validated(image: np.ndarray, alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    image = np.asarray(image)
    alpha = np.asarray(alpha)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image must be HxWx3 uint8 RGB, got {image.dtype} {image.shape}")
    if alpha.shape != image.shape[:2]:
        raise ValueError(f"alpha shape {alpha.shape} does not match image {image.shape[:2]}")
    alpha = alpha.astype(np.float32, copy=False)
    if alpha.min() < 0.0 or alpha.max() > 1.0:
        alpha = np.clip(alpha, 0.0, 1.0)
    return np.ascontiguousarray(image), alpha


def mask_overlay(image: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Tint the subject (alpha > 0.5, closed with a 5x5 ellipse) 50% green and outline it."""
    image, alpha = _validated(image, alpha)
    mask = cv2.morphologyEx((alpha > 0.5).astype(np.uint8), cv2.MORPH_CLOSE, _ellipse(5))
    green = np.zeros_like(image)
    green[:] = GREEN
    tinted = cv2.addWeighted(image, 0.5, green, 0.5, 0.0)
    out = image.copy()
    cv2.copyTo(tinted, mask, out)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    cv2.drawContours(out, contours, -1, GREEN, CONTOUR_THICKNESS)
    return out


def equivalent_sigma(strength: int) -> float:
    """Sigma of one Gaussian that looks like three passes of a k x k OpenCV Gaussian."""
    single = 0.3 * ((strength - 1) * 0.5 - 1) + 0.8  # OpenCV's sigma for ksize k
    return math.sqrt(3.0) * single


def _shrink(image: np.ndarray, factor: int) -> np.ndarray:
    """Area-average ``factor`` x ``factor`` blocks; a last partial row or column is dropped.

    Whole blocks take OpenCV's fast integer path; what is dropped is under ``factor``
    pixels wide and comes back by edge replication in _expand, under a blur of at least
    WORKING_SIGMA * factor pixels.
    """
    h, w = image.shape[:2]
    size = (max(1, w // factor), max(1, h // factor))
    whole = image[: size[1] * factor, : size[0] * factor]
    return cv2.resize(whole, size, interpolation=cv2.INTER_AREA)


def _expand(small: np.ndarray, factor: int, shape: tuple[int, int]) -> np.ndarray:
    h, w = shape
    sh, sw = small.shape[:2]
    big = cv2.resize(small, (sw * factor, sh * factor), interpolation=cv2.INTER_LINEAR)
    if big.shape[:2] != (h, w):
        big = cv2.copyMakeBorder(
            big[:h, :w], 0, max(0, h - big.shape[0]), 0, max(0, w - big.shape[1]),
            cv2.BORDER_REPLICATE,
        )  # fmt: skip
    return big


def feather(alpha: np.ndarray, pixel_scale: float = 1.0) -> np.ndarray:
    """Soften a binary mask outwards, so every alpha = 1 pixel stays 1.

    The soft ramp is smooth, so it is computed at a reduced scale and upsampled.
    """
    h, w = alpha.shape
    sigma = max(1.5, FEATHER_FRACTION * math.hypot(h, w) * min(pixel_scale, 1.0))
    factor = max(1, min(int(sigma / WORKING_SIGMA), h, w))
    small = _shrink(alpha, factor)
    soft = cv2.GaussianBlur(small, (0, 0), sigmaX=sigma / factor, borderType=cv2.BORDER_REPLICATE)
    return np.maximum(alpha, _expand(soft, factor, (h, w)))


def _relax(
    plate: np.ndarray, known_part: np.ndarray, missing: np.ndarray, steps: int
) -> np.ndarray:
    """Smooth the missing share of each pixel towards its neighbours' (a harmonic fill)."""
    for _ in range(steps):
        plate = known_part + missing * cv2.blur(plate, (3, 3), borderType=cv2.BORDER_REPLICATE)
    return plate


def fill_holes(premultiplied: np.ndarray, coverage: np.ndarray) -> np.ndarray:
    """Complete a plate known only in part: multigrid push-pull with harmonic smoothing.

    ``premultiplied`` (HxWx3 float32) holds each pixel's known colour times ``coverage``
    (HxW float32 in [0, 1], the known share of the pixel). Returns the plate with every
    pixel's missing share filled from its surroundings; fully known pixels are unchanged.
    Only known colour enters the fill, so the subject never leaks into it.
    """
    levels = [(premultiplied, coverage)]
    while levels[-1][1].min() <= 0.0 and min(levels[-1][1].shape) > 2:
        colour, weight = levels[-1]
        levels.append((cv2.pyrDown(colour), cv2.pyrDown(weight)))
    colour, weight = levels[-1]
    filled = colour / np.maximum(weight, 1e-6)[..., None]
    for colour, weight in reversed(levels[:-1]):
        missing = (1.0 - np.clip(weight, 0.0, 1.0))[..., None]
        coarse = cv2.pyrUp(filled, dstsize=(weight.shape[1], weight.shape[0]))
        # Small levels are cheap: smooth them more, up to a fixed budget of pixel passes.
        steps = int(np.clip(RELAX_BUDGET / weight.size, RELAX_STEPS, 20 * RELAX_STEPS))
        filled = _relax(colour + missing * coarse, colour, missing, steps)
    return filled


def _blur_small(plate: np.ndarray, sigma: float, factor: float) -> np.ndarray:
    # Area downsampling and bilinear upsampling add a box (f^2/12) and a tent (f^2/6)
    # of variance on their own; the Gaussian supplies the rest.
    small_sigma = math.sqrt(max(sigma**2 - 0.25 * factor**2, 0.0)) / factor
    if small_sigma > 0.1:
        plate = cv2.GaussianBlur(
            plate, (0, 0), sigmaX=small_sigma, borderType=cv2.BORDER_REFLECT_101
        )
    return plate


def _to_uint8(plate: np.ndarray) -> np.ndarray:
    return np.clip(plate + 0.5, 0, 255).astype(np.uint8)


def _known_parts(
    image: np.ndarray, known: np.ndarray, factor: int
) -> tuple[np.ndarray, np.ndarray]:
    """Downsampled known colour (premultiplied by coverage) and coverage."""
    masked = cv2.bitwise_and(image, image, mask=known)
    colour = _shrink(masked, factor).astype(np.float32)
    coverage = _shrink(known * 255, factor).astype(np.float32) / 255.0
    return colour, coverage


def disc_kernel(radius: float) -> np.ndarray:
    """A normalised disc (a lens aperture), its edge anti-aliased over one pixel."""
    radius = max(radius, 0.5)
    half = math.ceil(radius)
    yy, xx = np.mgrid[-half : half + 1, -half : half + 1]
    kernel = np.clip(radius + 0.5 - np.hypot(xx, yy), 0.0, 1.0).astype(np.float32)
    return kernel / kernel.sum()


def _lens_blur(plate: np.ndarray, radius: float) -> np.ndarray:
    """Bokeh: a disc blur in linear light, highlights boosted so they bloom into discs."""
    linear = (plate.astype(np.float32) / 255.0) ** GAMMA
    luma = linear @ np.array([0.2126, 0.7152, 0.0722], np.float32)
    bloom = np.clip((luma - BLOOM_FROM) / (1.0 - BLOOM_FROM), 0.0, 1.0) ** 2
    linear *= (1.0 + BLOOM_GAIN * bloom)[..., None]
    blurred = cv2.filter2D(linear, -1, disc_kernel(radius), borderType=cv2.BORDER_REFLECT_101)
    return np.clip(blurred, 0.0, 1.0) ** (1.0 / GAMMA) * 255.0


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
    if lens not in LENSES:
        raise ValueError(f"lens must be one of {LENSES}, got {lens!r}")
    h, w = alpha.shape
    hole = (alpha > HOLE_ALPHA).view(np.uint8)
    known = 1 - hole
    has_hole = bool(hole.any())
    radius = DISC_RADIUS_PER_SIGMA * sigma
    if lens == "disc":
        factor = _reduction(radius, WORKING_DISC_RADIUS, (h, w))
    else:
        factor = _reduction(sigma, WORKING_SIGMA, (h, w))

    if factor < FULL_SIZE_FACTOR:
        # A light blur: blur at full size, the filled hole pasted in from a smaller fill.
        plate = image
        if has_hole:
            fill_factor = max(1, math.ceil(math.sqrt(h * w / FILL_MAX_PIXELS)))
            filled = _to_uint8(fill_holes(*_known_parts(image, known, fill_factor)))
            plate = image.copy()
            cv2.copyTo(_expand(filled, fill_factor, (h, w)), hole, plate)
        if lens == "disc":
            return _to_uint8(_lens_blur(plate, radius))
        return cv2.GaussianBlur(plate, (0, 0), sigmaX=sigma, borderType=cv2.BORDER_REFLECT_101)

    colour, coverage = _known_parts(image, known, factor)
    if not coverage.any():
        # Nothing of the background is visible: any flat colour will do.
        plate = np.empty_like(colour)
        plate[:] = _shrink(image, factor).reshape(-1, 3).mean(0)
    elif has_hole:
        plate = fill_holes(colour, coverage)
    else:
        plate = colour
    if lens == "disc":
        small = _lens_blur(plate, radius / factor)
    else:
        small = _blur_small(plate, sigma, factor)
    return _expand(_to_uint8(small), factor, (h, w))


def composite(image: np.ndarray, background: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """``image * alpha + background * (1 - alpha)``; alpha = 1 pixels are copied exactly."""
    out = cv2.blendLinear(image, background, alpha, 1.0 - alpha)
    cv2.copyTo(image, (alpha >= 1.0).view(np.uint8), out)
    return out


def blur_background(
    image: np.ndarray,
    alpha: np.ndarray,
    strength: int = DEFAULT_STRENGTH,
    soft: bool = True,
    *,
    pixel_scale: float = 1.0,
    lens: str = "gaussian",
) -> np.ndarray:
    """Blur the background behind the subject: remove the subject, blur, composite.

    ``strength`` is the Gaussian kernel size in full-resolution pixels (odd, 5..255).
    ``soft=False`` marks a binary mask, whose edge is feathered first. ``pixel_scale`` is
    the size of ``image`` relative to the full-resolution photo, for previews: the blur
    looks the same at any scale. ``lens="disc"`` gives a lens (bokeh) blur with blooming
    highlights instead of the Gaussian. Pixels with alpha = 1 come back unchanged.
    """
    image, alpha = _validated(image, alpha)
    if not (MIN_STRENGTH <= strength <= MAX_STRENGTH) or strength % 2 == 0:
        raise ValueError(
            f"strength must be an odd kernel size in {MIN_STRENGTH}..{MAX_STRENGTH}, got {strength}"
        )
    if not soft:
        alpha = feather(alpha, pixel_scale)
    sigma = equivalent_sigma(strength) * pixel_scale
    background = blurred_plate(image, alpha, sigma, lens)
    return composite(image, background, alpha)


def fit_within(array: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """Downscale an image or alpha so its longer side is at most ``max_side``, with the scale."""
    h, w = array.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    if scale == 1.0:
        return array, 1.0
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(array, size, interpolation=cv2.INTER_AREA), scale


def resize_alpha(alpha: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """An alpha resized to ``shape`` (h, w): area-averaged down, bilinear up."""
    if alpha.shape == shape:
        return alpha
    shrinking = shape[0] * shape[1] < alpha.shape[0] * alpha.shape[1]
    method = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return cv2.resize(alpha, (shape[1], shape[0]), interpolation=method)
