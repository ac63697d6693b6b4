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

# Pixels above this alpha carry enough subject colour to be cut out of the plate
# before blurring; the hole then grows so soft edges never leak into the blur.
HOLE_ALPHA = 0.1
HOLE_GROW_PX = 15
INPAINT_RADIUS = 5
# The filled hole is blurred afterwards, so filling it at about a megapixel loses
# nothing visible and keeps Telea's cost bounded on phone photos.
INPAINT_MAX_PIXELS = 1_000_000


def _ellipse(size: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))


def _validated(image: np.ndarray, alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    image = np.asarray(image)
    alpha = np.asarray(alpha)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image must be HxWx3 uint8 RGB, got {image.dtype} {image.shape}")
    if alpha.shape != image.shape[:2]:
        raise ValueError(f"alpha shape {alpha.shape} does not match image {image.shape[:2]}")
    return image, np.clip(alpha.astype(np.float32, copy=False), 0.0, 1.0)


def mask_overlay(image: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Tint the subject (alpha > 0.5, closed with a 5x5 ellipse) 50% green and outline it."""
    image, alpha = _validated(image, alpha)
    mask = cv2.morphologyEx((alpha > 0.5).astype(np.uint8), cv2.MORPH_CLOSE, _ellipse(5))
    out = image.copy()
    subject = mask.astype(bool)
    green = np.array(GREEN, dtype=np.uint16)
    out[subject] = ((image[subject].astype(np.uint16) + green + 1) // 2).astype(np.uint8)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    cv2.drawContours(out, contours, -1, GREEN, CONTOUR_THICKNESS)
    return out


def equivalent_sigma(strength: int) -> float:
    """Sigma of one Gaussian that looks like three passes of a k x k OpenCV Gaussian."""
    single = 0.3 * ((strength - 1) * 0.5 - 1) + 0.8  # OpenCV's sigma for ksize k
    return math.sqrt(3.0) * single


def feather(alpha: np.ndarray) -> np.ndarray:
    """Soften a binary mask outwards, so every alpha = 1 pixel stays 1."""
    h, w = alpha.shape
    sigma = max(1.5, 0.002 * math.hypot(h, w))
    soft = cv2.GaussianBlur(alpha, (0, 0), sigmaX=sigma, borderType=cv2.BORDER_REPLICATE)
    return np.maximum(alpha, soft)


def background_plate(image: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """The photo with the subject (grown by a margin) inpainted away."""
    hole = (alpha > HOLE_ALPHA).astype(np.uint8)
    if not hole.any():
        return image
    hole = cv2.dilate(hole, _ellipse(HOLE_GROW_PX))
    if hole.all():
        # Nothing of the background is visible: any flat colour will do.
        return np.full_like(image, image.mean(axis=(0, 1)).round().astype(np.uint8))

    h, w = hole.shape
    scale = min(1.0, math.sqrt(INPAINT_MAX_PIXELS / (h * w)))
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        # Any trace of the hole marks the small pixel, so no subject colour survives.
        small_hole = cv2.resize(hole.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0
        filled = cv2.inpaint(small, small_hole.astype(np.uint8), INPAINT_RADIUS, cv2.INPAINT_TELEA)
        filled = cv2.resize(filled, (w, h), interpolation=cv2.INTER_LINEAR)
    else:
        filled = cv2.inpaint(image, hole, INPAINT_RADIUS, cv2.INPAINT_TELEA)
    return np.where(hole[..., None].astype(bool), filled, image)


def blur_background(
    image: np.ndarray,
    alpha: np.ndarray,
    strength: int = DEFAULT_STRENGTH,
    soft: bool = True,
) -> np.ndarray:
    """Blur the background behind the subject: inpaint the subject away, blur, composite.

    ``strength`` is the Gaussian kernel size in pixels (odd, 5..255). ``soft=False``
    marks a binary mask, whose edge is feathered first. Pixels with alpha = 1 come back
    unchanged.
    """
    image, alpha = _validated(image, alpha)
    if not (MIN_STRENGTH <= strength <= MAX_STRENGTH) or strength % 2 == 0:
        raise ValueError(
            f"strength must be an odd kernel size in {MIN_STRENGTH}..{MAX_STRENGTH}, got {strength}"
        )
    if not soft:
        alpha = feather(alpha)
    plate = background_plate(image, alpha)
    blurred = cv2.GaussianBlur(
        plate, (0, 0), sigmaX=equivalent_sigma(strength), borderType=cv2.BORDER_REFLECT_101
    )
    a = alpha[..., None]
    out = blurred.astype(np.float32) * (1.0 - a) + image.astype(np.float32) * a
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)
