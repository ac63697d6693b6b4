"""Refiners from pymatting: closed-form (Levin et al.) and KNN (Chen et al.) matting.

They solve for alpha in a trimap's unknown band from the photo's colours, taking the
model's mask as certain elsewhere; they see no more than the photo and the mask, so they
help where a mask is hard-edged (SAM3's) and a matting model's own alpha is often better.
"""

from __future__ import annotations

import contextlib
import io
import logging

import numpy as np
from PIL import Image

from blur.trimap import band_pixels, has_both_sides, trimap
from models.registry import ModelSpec

log = logging.getLogger("portrait_blur.refine")


class MattingRefiner:
    def __init__(self, spec: ModelSpec, device: str) -> None:
        from pymatting import estimate_alpha_cf, estimate_alpha_knn

        self.solve = {"cf": estimate_alpha_cf, "knn": estimate_alpha_knn}[spec.variant]

    def refine(self, image: Image.Image, mask: np.ndarray, band: float) -> np.ndarray:
        """Alpha of ``image`` (float32, its size) from ``mask`` (float32 at that size)."""
        assert mask.shape == (image.height, image.width), (mask.shape, image.size)
        known = trimap(mask, band_pixels(band, mask.shape))
        if not has_both_sides(known):
            return mask  # all subject or all background: nothing for a solver to go on
        rgb = np.asarray(image.convert("RGB"), dtype=np.float64) / 255.0
        # pymatting prints its solver's fallbacks ("PERFORMANCE WARNING: ..."): to the log,
        # not onto the user's terminal or the server's output as if something failed.
        with contextlib.redirect_stdout(io.StringIO()) as printed:
            alpha = self.solve(rgb, known)
        if printed.getvalue().strip():
            log.debug("pymatting: %s", " ".join(printed.getvalue().split()))
        return np.clip(alpha, 0.0, 1.0).astype(np.float32)


def build(spec: ModelSpec, device: str) -> MattingRefiner:
    return MattingRefiner(spec, device)
