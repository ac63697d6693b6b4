"""Clean edges: the subject's own colour in soft pixels."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from blur.arrays import mask, pixels_at, put_pixels, to_uint8, validated
from blur.blocks import Parts
from blur.fill import fill_holes, known_parts

# Soft pixels: alpha strictly between these; outside, the result is the background or the
# photo within half a grey level.
SOFT_LOW, SOFT_HIGH = 0.5 / 255, 1.0 - 0.5 / 255
FOREGROUND_ALPHA = 0.9  # surely subject, for the estimate of the subject's own colour
BACKGROUND_ALPHA = 0.1  # surely background, for the estimate of the colour behind
EDGE_BLOCK = 0.004  # size of the blocks the local colours are averaged over, of the diagonal
BAND_CHUNK = 1 << 20  # soft pixels handled at once


def _sample(
    maps: tuple[np.ndarray, ...], factor: int, ys: np.ndarray, xs: np.ndarray
) -> list[np.ndarray]:
    """Bilinear samples (N x channels float32) of each of ``maps``, made at ``factor``, at
    full-size coordinates."""
    n = ys.size
    width = 4096  # remap wants a 2-D map of under 32767 rows
    rows = -(-n // width)
    map_x = np.zeros(rows * width, np.float32)
    map_y = np.zeros(rows * width, np.float32)
    map_x[:n] = (xs + 0.5) / factor - 0.5
    map_y[:n] = (ys + 0.5) / factor - 0.5
    map_x, map_y = map_x.reshape(rows, width), map_y.reshape(rows, width)
    samples = []
    for small in maps:
        small = small.astype(np.float32, copy=False)
        sample = cv2.remap(small, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        samples.append(sample.reshape(rows * width, -1)[:n])
    return samples


def soft_band(alpha: np.ndarray) -> np.ndarray:
    """Flat indices of the pixels that are neither background nor subject."""
    # inRange is inclusive: the float32 neighbours inside make it strict. A 0/1 mask read
    # as bool takes numpy's fast nonzero.
    low = np.nextafter(np.float32(SOFT_LOW), np.float32(1))
    high = np.nextafter(np.float32(SOFT_HIGH), np.float32(0))
    inside = cv2.inRange(alpha, float(low), float(high))
    cv2.bitwise_and(inside, 1, dst=inside)
    return np.flatnonzero(inside.view(bool))


def edge_factor(shape: tuple[int, int]) -> int:
    """The size of the blocks the local colours are averaged over, for an alpha of ``shape``."""
    h, w = shape
    return max(1, min(int(EDGE_BLOCK * math.hypot(h, w)), h, w))


@dataclass
class _EdgeMaps:
    """Coarse maps of the subject's own colour and of the colour behind it."""

    own: np.ndarray
    behind: np.ndarray
    factor: int  # both maps are at 1/factor scale

    def unmix(self, image: np.ndarray, alpha: np.ndarray, band: np.ndarray) -> np.ndarray:
        """F at the band pixels, from I = alpha F + (1 - alpha) B and the local estimates."""
        ys = band // alpha.shape[1]
        xs = band - ys * alpha.shape[1]
        # Flat N x 3 values, alpha repeated per channel: numpy's loops run the whole length.
        subject, behind = (
            v.reshape(-1) for v in _sample((self.own, self.behind), self.factor, ys, xs)
        )
        a = np.repeat(np.take(alpha.reshape(-1), band), 3)
        mixed = pixels_at(image, band).reshape(-1).astype(np.float32)
        # The local subject colour S, corrected by what the observed mix I says it must be:
        # S + a (I - a S - (1 - a) B), as S + a ((I - B) - a (S - B)) in place.
        mixed -= behind
        subject_gap = subject - behind
        subject_gap *= a
        mixed -= subject_gap
        mixed *= a
        mixed += subject
        return np.clip(mixed, 0, 255, out=mixed).reshape(-1, 3)


def _edge_maps(
    image: np.ndarray,
    alpha: np.ndarray,
    parts: Parts | None = None,
    behind: np.ndarray | None = None,
) -> _EdgeMaps | None:
    """Local estimates of the subject's and the background's own colours, or None.

    Each comes from the pixels that are surely subject (alpha >= FOREGROUND_ALPHA) or surely
    background (alpha <= BACKGROUND_ALPHA) nearby, averaged and filled at a coarse scale:
    from ``parts`` (block averages with those alphas) where given, at the largest multiple
    of their block size within edge_factor, else from the photo. ``behind``, where given,
    is the background already filled at twice the parts' block size.
    """
    factor = edge_factor(alpha.shape)
    usable = parts is not None and (parts.background_alpha, parts.subject_alpha) == (
        BACKGROUND_ALPHA, FOREGROUND_ALPHA
    )
    if usable and factor >= parts.subject.factor:
        factor -= factor % parts.subject.factor
        subject = parts.subject.at(factor)
        background = parts.background.at(factor)
    else:
        subject_mask = mask(alpha, ">=", FOREGROUND_ALPHA)
        background_mask = mask(alpha, "<=", BACKGROUND_ALPHA)
        if not subject_mask.any() or not background_mask.any():
            return None
        subject = known_parts(image, subject_mask, factor)
        background = known_parts(image, background_mask, factor)
    if not subject[1].any() or not background[1].any():
        return None
    if behind is None or behind.shape[:2] != background[1].shape:
        behind = fill_holes(*background)
    # A rough fill is enough: only the band next to the subject is ever sampled.
    own = fill_holes(*subject, relax_budget=0)
    return _EdgeMaps(own, behind, factor)


def foreground_colours(image: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """The subject's own colour F in every pixel, from ``I = alpha F + (1 - alpha) B``.

    Soft pixels (hair, motion blur) mix the subject with the background behind it; F is
    taken apart from that mix with local estimates of both colours (a blur-fusion estimate),
    so cut-outs and blurs do not carry a fringe of the sharp original background. Other
    pixels keep the photo's colour.
    """
    image, alpha = validated(image, alpha)
    out = image.copy()
    band = soft_band(alpha)
    put_pixels(out, band, subject_colours(image, alpha, band))
    return out


def subject_colours(
    image: np.ndarray,
    alpha: np.ndarray,
    band: np.ndarray,
    clean: bool = True,
    parts: Parts | None = None,
    behind: np.ndarray | None = None,
) -> np.ndarray:
    """The subject's colour (N x 3 uint8) at the flat indices ``band`` of soft pixels:
    its own colour estimated as in foreground_colours when ``clean`` (from ``parts``, the
    photo's block averages, and ``behind``, where given: see _edge_maps), else the photo's."""
    colours = pixels_at(image, band)
    maps = _edge_maps(image, alpha, parts, behind) if clean and band.size else None
    if maps is not None:
        for start in range(0, band.size, BAND_CHUNK):
            part = band[start : start + BAND_CHUNK]
            colours[start : start + BAND_CHUNK] = to_uint8(maps.unmix(image, alpha, part))
    return colours
