"""The mask overlay: the subject tinted green and outlined."""

from __future__ import annotations

import cv2
import numpy as np

from blur.arrays import ellipse, validated

GREEN = (0, 255, 0)
CONTOUR_THICKNESS = 2


def mask_overlay(image: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Tint the subject (alpha > 0.5, closed with a 5x5 ellipse) 50% green and outline it."""
    image, alpha = validated(image, alpha)
    mask = cv2.morphologyEx((alpha > 0.5).astype(np.uint8), cv2.MORPH_CLOSE, ellipse(5))
    green = np.zeros_like(image)
    green[:] = GREEN
    tinted = cv2.addWeighted(image, 0.5, green, 0.5, 0.0)
    out = image.copy()
    cv2.copyTo(tinted, mask, out)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    cv2.drawContours(out, contours, -1, GREEN, CONTOUR_THICKNESS)
    return out
