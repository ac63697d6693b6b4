"""ViTMatte (hustvl), a matting network that refines a trimap, through transformers.

Its processor stacks the photo and the trimap into four channels and pads both to a
multiple of 32; the alpha comes back at the padded size and is cropped to the photo. Where
the trimap is sure, the mask's own answer is kept: the network decides the band only.
"""

from __future__ import annotations

import threading

import numpy as np
import torch
from PIL import Image

from blur.trimap import BACKGROUND, FOREGROUND, band_pixels, has_both_sides, trimap
from models import hub, torch_runtime
from models.registry import ModelSpec


class ViTMatteRefiner:
    def __init__(self, spec: ModelSpec, device: str) -> None:
        from transformers import VitMatteForImageMatting, VitMatteImageProcessor

        folder = hub.fetch_snapshot(spec, list(spec.files), required=spec.files)
        self.processor = VitMatteImageProcessor.from_pretrained(folder)
        model = VitMatteForImageMatting.from_pretrained(folder)
        self.model = torch_runtime.prepare(model, spec, device)
        self.device = device
        self._lock = threading.Lock()

    @torch.inference_mode()
    def refine(self, image: Image.Image, mask: np.ndarray, band: float) -> np.ndarray:
        """Alpha of ``image`` (float32, its size) from ``mask`` (float32 at that size)."""
        assert mask.shape == (image.height, image.width), (mask.shape, image.size)
        known = trimap(mask, band_pixels(band, mask.shape))
        if not has_both_sides(known):
            return mask
        grey = Image.fromarray(np.round(known * 255).astype(np.uint8), "L")
        inputs = self.processor(images=image.convert("RGB"), trimaps=grey, return_tensors="pt")
        with self._lock:
            alphas = self.model(pixel_values=inputs["pixel_values"].to(self.device)).alphas
        alpha = alphas[0, 0, : image.height, : image.width].float().cpu().numpy()
        alpha[known == FOREGROUND] = 1.0
        alpha[known == BACKGROUND] = 0.0
        return np.clip(alpha, 0.0, 1.0)

    def close(self) -> None:
        self.model = None
        torch_runtime.free_device_memory(self.device)


def build(spec: ModelSpec, device: str) -> ViTMatteRefiner:
    return ViTMatteRefiner(spec, device)
