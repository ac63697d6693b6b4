"""Compositing for portrait blur: mask overlays and inpaint-then-blur backgrounds.

Pure numpy + OpenCV: no Streamlit, no torch. Images are HxWx3 uint8 RGB, alphas HxW
float32 in [0, 1] at the image's size.
"""

from blur.composite import (
    DEFAULT_STRENGTH,
    LENSES,
    MAX_STRENGTH,
    MIN_STRENGTH,
    blur_background,
    fit_within,
    foreground_colours,
    mask_overlay,
    resize_alpha,
)
from blur.metrics import iou_matrix, mask_iou

__all__ = [
    "DEFAULT_STRENGTH",
    "LENSES",
    "MAX_STRENGTH",
    "MIN_STRENGTH",
    "blur_background",
    "fit_within",
    "foreground_colours",
    "iou_matrix",
    "mask_iou",
    "mask_overlay",
    "resize_alpha",
]
