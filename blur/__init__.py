"""Compositing for portrait blur: mask overlays and inpaint-then-blur backgrounds.

Pure numpy + OpenCV: no Streamlit, no torch. Images are HxWx3 uint8 RGB, alphas HxW
float32 in [0, 1] at the image's size.
"""

from blur.arrays import fit_within, resize_alpha
from blur.composite import (
    DEFAULT_STRENGTH,
    MAX_STRENGTH,
    MIN_STRENGTH,
    blur_background,
    blurred_plate,
    equivalent_sigma,
)
from blur.edges import foreground_colours
from blur.lens import LENSES
from blur.metrics import iou_matrix, mask_iou
from blur.overlay import mask_overlay

__all__ = [
    "DEFAULT_STRENGTH",
    "LENSES",
    "MAX_STRENGTH",
    "MIN_STRENGTH",
    "blur_background",
    "blurred_plate",
    "equivalent_sigma",
    "fit_within",
    "foreground_colours",
    "iou_matrix",
    "mask_iou",
    "mask_overlay",
    "resize_alpha",
]
