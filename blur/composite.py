"""Inpaint-then-blur: the background without the subject, blurred, behind the subject."""

from __future__ import annotations

import math

import cv2
import numpy as np

from blur.arrays import expand, mask, pixels_at, put_pixels, shrink, to_uint8, validated
from blur.blocks import MAX_BLOCK, Parts, block_parts
from blur.edges import (
    BACKGROUND_ALPHA,
    BAND_CHUNK,
    FOREGROUND_ALPHA,
    SOFT_HIGH,
    edge_factor,
    soft_band,
    subject_colours,
)
from blur.fill import fill_holes, known_parts
from blur.lens import DISC_RADIUS_PER_SIGMA, LENSES, WORKING_DISC_RADIUS, lens_blur

MIN_STRENGTH = 5
MAX_STRENGTH = 255
DEFAULT_STRENGTH = 101
# Blur Strength is a kernel size on a photo this many pixels on its longer side, scaled to
# the photo at hand, so a setting looks the same on every photo. At this size the default
# softens a background as a phone's portrait mode does, and the range spans a hint of blur
# to a background wiped out.
REFERENCE_SIDE = 1500

# Pixels above this alpha carry enough subject colour to be cut out of the plate before
# blurring. Lower cuts more background away, which the fill must then guess (measured in
# bench/: 0.1 gives the least halo); the seed cut at 0.5 and grew the hole by 7 px.
HOLE_ALPHA = 0.1
# The plate is filled and blurred at a reduced scale where the Gaussian's sigma is about
# this many pixels: the blur hides the detail lost, and the work shrinks with the square.
WORKING_SIGMA = 2.5
FULL_SIZE_FACTOR = 2.0  # below this reduction, blur at full size instead
FILL_MAX_PIXELS = 1_000_000  # the hole's fill is never computed on more pixels than this
KEPT_FILLS = 3  # filled plates a BlurPlan keeps, so its memory stays bounded
FEATHER_FRACTION = 0.002  # binary-mask feather sigma, as a fraction of the image diagonal


def equivalent_sigma(strength: int) -> float:
    """Sigma of one Gaussian that looks like three passes of a k x k OpenCV Gaussian."""
    single = 0.3 * ((strength - 1) * 0.5 - 1) + 0.8  # OpenCV's sigma for ksize k
    return math.sqrt(3.0) * single


def check_strength(strength: int) -> None:
    if not (MIN_STRENGTH <= strength <= MAX_STRENGTH) or strength % 2 == 0:
        raise ValueError(
            f"strength must be an odd kernel size in {MIN_STRENGTH}..{MAX_STRENGTH}, got {strength}"
        )


def strength_sigma(strength: int, shape: tuple[int, ...]) -> float:
    """The Gaussian sigma, in pixels of an image of ``shape``, of a Blur Strength.

    ``strength`` is the kernel size (odd, 5..255) on a photo REFERENCE_SIDE pixels on its
    longer side; on other sizes the blur scales with the photo, so it looks the same.
    """
    check_strength(strength)
    return equivalent_sigma(strength) * max(shape[:2]) / REFERENCE_SIDE


def feather(alpha: np.ndarray, diagonal: float | None = None) -> np.ndarray:
    """Soften a binary mask outwards, so every alpha = 1 pixel stays 1, by a ramp as wide
    as a fraction of ``diagonal`` (the alpha's own by default; the photo's, for a part).

    The soft ramp is smooth, so it is computed at a reduced scale and upsampled.
    """
    h, w = alpha.shape
    sigma = max(1.5, FEATHER_FRACTION * (diagonal or math.hypot(h, w)))
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


class BlurPlan:
    """One image and alpha, prepared for blurring its background at any strength.

    What does not depend on the strength or the lens is computed once: the feathered alpha
    of a binary mask, the hole the subject leaves, the subject's own colours in the soft
    band, and the hole's fill at each reduction used so far. ``render`` then costs one
    blur of a small plate and the composite, so a slider can move freely.
    Holds ``image`` by reference: it must not change while the plan is in use.
    """

    def __init__(
        self,
        image: np.ndarray,
        alpha: np.ndarray,
        soft: bool = True,
        clean_edges: bool = True,
        diagonal: float | None = None,
    ) -> None:
        image, alpha = validated(image, alpha)
        if not soft:
            alpha = feather(alpha, diagonal)
        self.image = image
        self.shape = alpha.shape
        self._opaque = mask(alpha, ">=", SOFT_HIGH)
        self._band = soft_band(alpha)
        self._band_alpha = np.take(alpha.reshape(-1), self._band)
        self._fills: dict[int, np.ndarray] = {}
        parts = self._block_averages(image, alpha)
        behind = None
        if self._background is not None and clean_edges and self._band.size:
            behind = self._fill(2 * self._background.factor)
        self._band_colours = subject_colours(
            image, alpha, self._band, clean_edges, parts, behind
        )

    def _block_averages(self, image: np.ndarray, alpha: np.ndarray) -> Parts | None:
        """The photo's background and subject colours over blocks half the clean edges'
        size, or None where such blocks are too small to pay or too large to classify; the
        background's are kept for the fills (they cut the same hole)."""
        self._background = None
        block = edge_factor(self.shape) // 2
        if not 2 <= block <= MAX_BLOCK:
            return None
        parts = block_parts(
            image, alpha, self._opaque, self._band, block, BACKGROUND_ALPHA, FOREGROUND_ALPHA
        )
        if parts.background_alpha == HOLE_ALPHA:
            self._background = parts.background
        return parts

    @property
    def nbytes(self) -> int:
        """Bytes held besides the image."""
        held = [self._opaque, self._band, self._band_alpha, self._band_colours]
        if self._background is not None:
            held += [self._background.colour, self._background.coverage]
        return sum(a.nbytes for a in held) + sum(f.nbytes for f in self._fills.values())

    def _hole(self) -> np.ndarray:
        """uint8 mask of alpha > HOLE_ALPHA: the opaque pixels and the band's above it."""
        hole = self._opaque.copy()
        above = self._band[self._band_alpha > HOLE_ALPHA]
        hole.reshape(-1)[above] = 255
        return hole

    def _working_factor(self, factor: int) -> int:
        """``factor``, rounded down to a multiple of the block averages' size where it is
        one or more of them, so the plate comes from those averages."""
        if self._background is None or factor < self._background.factor:
            return factor
        return factor - factor % self._background.factor

    def _known_parts(self, factor: int) -> tuple[np.ndarray, np.ndarray]:
        """The background's premultiplied colour and coverage at 1/``factor`` scale."""
        if self._background is not None and factor % self._background.factor == 0:
            return self._background.at(factor)
        return known_parts(self.image, cv2.bitwise_not(self._hole()), factor)

    def _fill(self, factor: int) -> np.ndarray:
        """The plate at 1/``factor`` scale with the hole filled from the background around
        (the last few kept: a slider moves through neighbouring reductions)."""
        if factor not in self._fills:
            plate = self._filled(factor)
            while len(self._fills) >= KEPT_FILLS:
                del self._fills[next(iter(self._fills))]
            self._fills[factor] = plate
        return self._fills[factor]

    def _filled(self, factor: int) -> np.ndarray:
        colour, coverage = self._known_parts(factor)
        if not coverage.any():
            # Nothing of the background is visible: any flat colour will do.
            plate = np.empty_like(colour)
            plate[:] = shrink(self.image, factor).reshape(-1, 3).mean(0)
            return to_uint8(plate)
        # At the block averages' own size, the fill at twice it (the clean edges' map of
        # the background) stands in for the pyramid's coarse levels: one fill made once.
        coarse = None
        if self._background is not None and factor == self._background.factor:
            coarse = self._fill(2 * factor)
        return to_uint8(fill_holes(colour, coverage, coarse=coarse))

    def background(self, sigma: float, lens: str = "gaussian") -> np.ndarray:
        """The background with the subject removed and blurred, at full size (uint8).

        The subject (alpha > HOLE_ALPHA) is cut out; what it hid is filled from the
        background around it; the plate is blurred, with a Gaussian of ``sigma`` pixels
        or, for ``lens="disc"``, a lens disc of radius 2 * sigma (the same spread), at a
        scale where the blur is a few pixels wide (it hides what that loses).
        """
        if lens not in LENSES:
            raise ValueError(f"lens must be one of {LENSES}, got {lens!r}")
        h, w = self.shape
        radius = DISC_RADIUS_PER_SIGMA * sigma
        if lens == "disc":
            factor = _reduction(radius, WORKING_DISC_RADIUS, (h, w))
        else:
            factor = _reduction(sigma, WORKING_SIGMA, (h, w))
        if factor >= FULL_SIZE_FACTOR:
            factor = self._working_factor(factor)
            plate = self._fill(factor)
            if lens == "disc":
                small = lens_blur(plate, radius / factor)
            else:
                small = _blur_small(plate, sigma, factor)
            return expand(to_uint8(small), factor, (h, w))
        # A light blur: blur at full size, the hole pasted in from a smaller fill.
        plate = self.image
        hole = self._hole()
        if hole.any():
            fill_factor = max(1, math.ceil(math.sqrt(h * w / FILL_MAX_PIXELS)))
            plate = self.image.copy()
            cv2.copyTo(expand(self._fill(fill_factor), fill_factor, (h, w)), hole, plate)
        if lens == "disc":
            return to_uint8(lens_blur(plate, radius))
        return cv2.GaussianBlur(plate, (0, 0), sigmaX=sigma, borderType=cv2.BORDER_REFLECT_101)

    def render(self, sigma: float, lens: str = "gaussian") -> np.ndarray:
        """The blurred photo: ``alpha * F + (1 - alpha) * background(sigma, lens)``.

        F is the subject's own colour in soft pixels (clean edges) or the photo's;
        pixels with alpha = 1 come back unchanged.
        """
        return self.composite(self.background(sigma, lens))

    def composite(self, background: np.ndarray) -> np.ndarray:
        """``alpha * F + (1 - alpha) * background`` (uint8, at the image's size; written
        into ``background``)."""
        assert background.shape == self.image.shape and background.dtype == np.uint8
        out = background
        cv2.copyTo(self.image, self._opaque, out)
        for start in range(0, self._band.size, BAND_CHUNK):
            part = slice(start, start + BAND_CHUNK)
            pixels = self._band[part]
            # B + a (F - B), flat and in place, alpha repeated per channel
            mixed = pixels_at(out, pixels).reshape(-1).astype(np.float32)
            subject = self._band_colours[part].reshape(-1).astype(np.float32)
            subject -= mixed
            subject *= np.repeat(self._band_alpha[part], 3)
            mixed += subject
            put_pixels(out, pixels, to_uint8(mixed).reshape(-1, 3))
        return out


def blurred_plate(
    image: np.ndarray, alpha: np.ndarray, sigma: float, lens: str = "gaussian"
) -> np.ndarray:
    """The background of ``image`` without its subject, blurred by ``sigma`` pixels."""
    return BlurPlan(image, alpha, clean_edges=False).background(sigma, lens)


def blur_background(
    image: np.ndarray,
    alpha: np.ndarray,
    strength: int = DEFAULT_STRENGTH,
    soft: bool = True,
    *,
    lens: str = "gaussian",
    clean_edges: bool = True,
) -> np.ndarray:
    """Blur the background behind the subject: remove the subject, blur, composite.

    ``strength`` is the Blur Strength: a kernel size (odd, 5..255) on a photo
    REFERENCE_SIDE pixels on its longer side, scaled to ``image``, so a preview and the
    full-size photo look alike (see strength_sigma). ``soft=False`` marks a binary mask,
    whose edge is feathered first. ``lens="disc"`` gives a lens (bokeh) blur with blooming
    highlights instead of the Gaussian. ``clean_edges`` composites the subject's own colour
    in soft pixels instead of the photo's (see foreground_colours). Pixels with alpha = 1
    come back unchanged.
    """
    sigma = strength_sigma(strength, np.shape(alpha))
    return BlurPlan(image, alpha, soft, clean_edges).render(sigma, lens)
