"""Compositing for portrait blur: mask overlays and inpaint-then-blur backgrounds.

Pure numpy + OpenCV: no Streamlit, no torch. Images are HxWx3 uint8 RGB, alphas HxW
float32 in [0, 1] at the image's size.
"""

from blur.arrays import fit_within, resize_alpha, to_alpha, to_matte
from blur.composite import (
    DEFAULT_STRENGTH,
    MAX_STRENGTH,
    MIN_STRENGTH,
    REFERENCE_SIDE,
    BlurPlan,
    blur_background,
    blurred_plate,
    equivalent_sigma,
    strength_sigma,
)
from blur.edges import foreground_colours
from blur.lens import LENSES
from blur.metrics import iou_matrix, mask_iou
from blur.views import checkerboard, cutout, difference, mask_overlay

__all__ = [
    "DEFAULT_STRENGTH",
    "REFERENCE_SIDE",
    "BlurPlan",
    "LENSES",
    "MAX_STRENGTH",
    "MIN_STRENGTH",
    "blur_background",
    "blurred_plate",
    "checkerboard",
    "cutout",
    "difference",
    "equivalent_sigma",
    "fit_within",
    "foreground_colours",
    "iou_matrix",
    "mask_iou",
    "mask_overlay",
    "resize_alpha",
    "strength_sigma",
    "to_alpha",
    "to_matte",
]
