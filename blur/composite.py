"""Mask overlay and inpaint-then-blur background compositing."""

from __future__ import annotations

import math
from dataclasses import dataclass

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

# Soft pixels: alpha strictly between these; outside, the result is the background or the
# photo within half a grey level.
SOFT_LOW, SOFT_HIGH = 0.5 / 255, 1.0 - 0.5 / 255
FOREGROUND_ALPHA = 0.9  # surely subject, for the estimate of the subject's own colour
EDGE_SMOOTHING = 0.01  # reach of the local colour estimates, as a fraction of the diagonal
BAND_CHUNK = 1 << 20  # soft pixels handled at once

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


def fill_holes(
    premultiplied: np.ndarray, coverage: np.ndarray, relax_budget: int | None = None
) -> np.ndarray:
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
        budget = RELAX_BUDGET if relax_budget is None else relax_budget
        steps = int(np.clip(budget / weight.size, RELAX_STEPS, 20 * RELAX_STEPS))
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


_COMPARISONS = {
    ">": cv2.CMP_GT, ">=": cv2.CMP_GE, "<": cv2.CMP_LT, "<=": cv2.CMP_LE,
}  # fmt: skip


def _mask(alpha: np.ndarray, op: str, value: float) -> np.ndarray:
    """uint8 mask (0 or 255) of ``alpha op value``; OpenCV's compare is several times faster."""
    return cv2.compare(alpha, value, _COMPARISONS[op])


def _known_parts(
    image: np.ndarray, known: np.ndarray, factor: int
) -> tuple[np.ndarray, np.ndarray]:
    """Downsampled known colour (premultiplied by coverage) and coverage."""
    masked = cv2.bitwise_and(image, image, mask=known)
    colour = _shrink(masked, factor).astype(np.float32)
    coverage = _shrink(known, factor).astype(np.float32) / 255.0
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
    return _plate(image, alpha, sigma, lens)[0]


def _plate(
    image: np.ndarray, alpha: np.ndarray, sigma: float, lens: str
) -> tuple[np.ndarray, np.ndarray, int]:
    """blurred_plate, plus the filled plate before blurring (float) and its reduction factor."""
    if lens not in LENSES:
        raise ValueError(f"lens must be one of {LENSES}, got {lens!r}")
    h, w = alpha.shape
    hole = _mask(alpha, ">", HOLE_ALPHA)
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
            behind = fill_holes(*_known_parts(image, known, fill_factor))
            behind_factor = fill_factor
            plate = image.copy()
            cv2.copyTo(_expand(_to_uint8(behind), fill_factor, (h, w)), hole, plate)
        if lens == "disc":
            blurred = _to_uint8(_lens_blur(plate, radius))
        else:
            blurred = cv2.GaussianBlur(
                plate, (0, 0), sigmaX=sigma, borderType=cv2.BORDER_REFLECT_101
            )
        return blurred, behind, behind_factor

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
    return _expand(_to_uint8(small), factor, (h, w)), plate, factor


def _sample(small: np.ndarray, factor: int, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """Bilinear samples (N x 3 float32) of a map made at ``factor``, at full-size coordinates."""
    n = ys.size
    width = 4096  # remap wants a 2-D map of under 32767 rows
    rows = -(-n // width)
    map_x = np.zeros(rows * width, np.float32)
    map_y = np.zeros(rows * width, np.float32)
    map_x[:n] = (xs + 0.5) / factor - 0.5
    map_y[:n] = (ys + 0.5) / factor - 0.5
    samples = cv2.remap(
        small.astype(np.float32, copy=False),
        map_x.reshape(rows, width),
        map_y.reshape(rows, width),
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    return samples.reshape(-1, 3)[:n]


def _soft_band(alpha: np.ndarray) -> np.ndarray:
    """Flat indices of the pixels that are neither background nor subject."""
    return np.flatnonzero((alpha > SOFT_LOW) & (alpha < SOFT_HIGH))  # bool: fast nonzero


@dataclass
class _EdgeMaps:
    """Coarse maps of the subject's own colour and of the colour behind it."""

    own: np.ndarray
    own_factor: int
    behind: np.ndarray
    behind_factor: int

    def unmix(self, image: np.ndarray, alpha: np.ndarray, band: np.ndarray) -> np.ndarray:
        """F at the band pixels, from I = alpha F + (1 - alpha) B and the local estimates."""
        ys, xs = np.divmod(band, alpha.shape[1])
        subject = _sample(self.own, self.own_factor, ys, xs)
        behind = _sample(self.behind, self.behind_factor, ys, xs)
        a = alpha.reshape(-1)[band][:, None]
        observed = image.reshape(-1, 3)[band].astype(np.float32)
        # The local subject colour, corrected by what the observed mix says it must be.
        return np.clip(subject + a * (observed - a * subject - (1 - a) * behind), 0, 255)


def _edge_maps(
    image: np.ndarray,
    alpha: np.ndarray,
    behind: np.ndarray | None = None,
    behind_factor: int = 1,
) -> _EdgeMaps | None:
    """Local estimates of the subject's and the background's own colours, or None.

    The subject's comes from the pixels that are surely subject (alpha >= FOREGROUND_ALPHA)
    nearby, averaged and filled at a coarse scale; the background's from ``behind``, the
    filled plate at ``behind_factor`` (made here when not given).
    """
    h, w = alpha.shape
    subject = _mask(alpha, ">=", FOREGROUND_ALPHA)
    if not subject.any() or subject.all():
        return None
    factor = max(1, min(int(EDGE_SMOOTHING * math.hypot(h, w) / WORKING_SIGMA), h, w))
    if behind is None:
        background = _mask(alpha, "<=", HOLE_ALPHA)
        if not background.any():
            return None
        behind, behind_factor = fill_holes(*_known_parts(image, background, factor)), factor
    # A rough fill is enough: only the band next to the subject is ever sampled.
    own = fill_holes(*_known_parts(image, subject, factor), relax_budget=0)
    return _EdgeMaps(own, factor, behind, behind_factor)


def _chunks(band: np.ndarray) -> list[np.ndarray]:
    """The band in pieces, so the per-pixel arithmetic never needs much memory at once."""
    return [band[i : i + BAND_CHUNK] for i in range(0, band.size, BAND_CHUNK)]


def foreground_colours(image: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """The subject's own colour F in every pixel, from ``I = alpha F + (1 - alpha) B``.

    Soft pixels (hair, motion blur) mix the subject with the background behind it; F is
    taken apart from that mix with local estimates of both colours (a blur-fusion estimate),
    so cut-outs and blurs do not carry a fringe of the sharp original background. Other
    pixels keep the photo's colour.
    """
    image, alpha = _validated(image, alpha)
    out = image.copy()
    band = _soft_band(alpha)
    maps = _edge_maps(image, alpha) if band.size else None
    if maps is not None:
        for part in _chunks(band):
            out.reshape(-1, 3)[part] = _to_uint8(maps.unmix(image, alpha, part))
    return out


def composite(
    image: np.ndarray,
    background: np.ndarray,
    alpha: np.ndarray,
    clean_edges: bool = True,
    behind: tuple[np.ndarray, int] | None = None,
) -> np.ndarray:
    """``alpha * F + (1 - alpha) * background``, where F is the subject's own colour.

    With ``clean_edges`` F is estimated in soft pixels (foreground_colours); without, F is
    the photo's colour (the seed's compositing). ``behind`` is the unblurred filled plate and
    its reduction factor, when known. Pixels with alpha = 1 are copied exactly.
    ``background`` is consumed: the result is written into it.
    """
    out = background
    cv2.copyTo(image, _mask(alpha, ">=", SOFT_HIGH), out)
    band = _soft_band(alpha)
    maps = _edge_maps(image, alpha, *(behind or ())) if clean_edges and band.size else None
    for part in _chunks(band):
        if maps is None:
            subject = image.reshape(-1, 3)[part].astype(np.float32)
        else:
            subject = maps.unmix(image, alpha, part)
        a = alpha.reshape(-1)[part][:, None]
        seen_behind = out.reshape(-1, 3)[part].astype(np.float32)
        out.reshape(-1, 3)[part] = _to_uint8(subject * a + seen_behind * (1.0 - a))
    return out


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
    image, alpha = _validated(image, alpha)
    if not (MIN_STRENGTH <= strength <= MAX_STRENGTH) or strength % 2 == 0:
        raise ValueError(
            f"strength must be an odd kernel size in {MIN_STRENGTH}..{MAX_STRENGTH}, got {strength}"
        )
    if not soft:
        alpha = feather(alpha, pixel_scale)
    sigma = equivalent_sigma(strength) * pixel_scale
    background, behind, behind_factor = _plate(image, alpha, sigma, lens)
    return composite(image, background, alpha, clean_edges, (behind, behind_factor))


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
