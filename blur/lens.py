"""Lens (bokeh) blur: a disc aperture in linear light, with blooming highlights."""

from __future__ import annotations

import math

import cv2
import numpy as np

LENSES = ("gaussian", "disc")
DISC_RADIUS_PER_SIGMA = 2.0  # a disc of radius 2 sigma spreads as far as the Gaussian
WORKING_DISC_RADIUS = 6.0  # disc radius, in pixels, at the scale where bokeh is computed
GAMMA = 2.2  # bokeh is summed in (roughly) linear light, as a lens does
BLOOM_FROM = 0.6  # linear luminance where highlights start to bloom
BLOOM_GAIN = 4.0  # how much brighter the brightest highlights shine through the disc


def disc_kernel(radius: float) -> np.ndarray:
    """A normalised disc (a lens aperture), its edge anti-aliased over one pixel."""
    radius = max(radius, 0.5)
    half = math.ceil(radius)
    yy, xx = np.mgrid[-half : half + 1, -half : half + 1]
    kernel = np.clip(radius + 0.5 - np.hypot(xx, yy), 0.0, 1.0).astype(np.float32)
    return kernel / kernel.sum()


def lens_blur(plate: np.ndarray, radius: float) -> np.ndarray:
    """Bokeh: a disc blur in linear light, highlights boosted so they bloom into discs."""
    linear = (plate.astype(np.float32) / 255.0) ** GAMMA
    luma = linear @ np.array([0.2126, 0.7152, 0.0722], np.float32)
    bloom = np.clip((luma - BLOOM_FROM) / (1.0 - BLOOM_FROM), 0.0, 1.0) ** 2
    linear *= (1.0 + BLOOM_GAIN * bloom)[..., None]
    blurred = cv2.filter2D(linear, -1, disc_kernel(radius), borderType=cv2.BORDER_REFLECT_101)
    return np.clip(blurred, 0.0, 1.0) ** (1.0 / GAMMA) * 255.0
