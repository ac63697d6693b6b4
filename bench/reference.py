"""The seed's inpaint-then-blur, written out as the benchmark's reference.

Telea inpaint of the subject mask dilated with a 15x15 ellipse (radius 5), three passes of
a k x k Gaussian, then the alpha composite, all at full resolution.
"""

from __future__ import annotations

import cv2
import numpy as np

from blur import BlurPlan, equivalent_sigma


def reference_blur(image: np.ndarray, alpha: np.ndarray, strength: int) -> np.ndarray:
    subject = (alpha > 0.5).astype(np.uint8)
    hole = cv2.dilate(subject, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (15, 15)))
    plate = cv2.inpaint(image, hole, 5, cv2.INPAINT_TELEA) if hole.any() else image
    blurred = plate
    for _ in range(3):
        blurred = cv2.GaussianBlur(blurred, (strength, strength), 0)
    a = alpha[..., None]
    out = image.astype(np.float32) * a + blurred.astype(np.float32) * (1.0 - a)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def blur_at_kernel(
    image: np.ndarray,
    alpha: np.ndarray,
    kernel: int,
    soft: bool = True,
    lens: str = "gaussian",
    clean_edges: bool = True,
) -> np.ndarray:
    """Our blur with the kernel size in ``image``'s own pixels, the seed's unit, so it can
    be set against reference_blur on any size (the app's Blur Strength is relative)."""
    return BlurPlan(image, alpha, soft, clean_edges).render(equivalent_sigma(kernel), lens)
