"""rembg's ONNX networks (U^2-Net, U^2-Net-p, U^2-Net human seg, Silueta, IS-Net), run as the
``rembg`` package runs them, without the package.

rembg's sessions all do the same thing with different constants, which the registry holds
(``input_size``, ``mean_std``): the photo is resized to the network's square with PIL's
Lanczos filter, its 8-bit RGB divided by its own brightest value (not by 255), normalised
per channel, and fed NCHW; the first output's first channel is stretched to [0, 1] by its
own minimum and maximum, truncated to 8 bits and resized back to the photo with Lanczos.
So the matte is rembg's ``remove(photo, only_mask=True)``, to the bit (a test proves it on
the shipped U^2-Net-p). The min-max stretch means the network never says "nobody": a
photo without a subject still gets a full-range mask.

U^2-Net-p ships in models/assets; the others are rembg's GitHub release files, fetched by
models.hub and checked against rembg's MD5s.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from models import hub, paths
from models.onnx_assets import cpu_session
from models.registry import ModelSpec

LANCZOS = Image.Resampling.LANCZOS


def network_input(image: Image.Image, spec: ModelSpec) -> np.ndarray:
    """The (1, 3, h, w) float32 tensor rembg's ``BaseSession.normalize`` makes of ``image``."""
    mean, std = (np.array(values) for values in spec.mean_std)
    pixels = np.asarray(image.convert("RGB").resize(spec.input_size, LANCZOS), np.float64)
    pixels = pixels / max(pixels.max(), 1e-6)
    return ((pixels - mean) / std).transpose(2, 0, 1)[None].astype(np.float32)


def to_mask(prediction: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """rembg's mask of the network's (1, 1, h, w) output at ``size`` (w, h), as float32."""
    saliency = prediction[0, 0]
    low, high = float(saliency.min()), float(saliency.max())
    stretched = (saliency - low) / (high - low) if high > low else np.zeros_like(saliency)
    matte = Image.fromarray((stretched.clip(0, 1) * 255).astype(np.uint8))
    return np.asarray(matte.resize(size, LANCZOS), np.float32) / 255


class U2NetSegmenter:
    def __init__(self, spec: ModelSpec) -> None:
        assert spec.input_size and spec.mean_std, spec.key
        self.spec = spec
        weights = paths.asset_file(spec.asset) if spec.asset else hub.fetch_weights(spec)
        self._session = cpu_session(spec.label, weights)
        self._input = self._session.get_inputs()[0].name

    def predict(self, image: Image.Image) -> np.ndarray:
        """Float32 alpha in [0, 1] at the photo's size."""
        outputs = self._session.run(None, {self._input: network_input(image, self.spec)})
        return to_mask(outputs[0], image.size)

    def close(self) -> None:
        self._session = None


def build(spec: ModelSpec, device: str) -> U2NetSegmenter:
    return U2NetSegmenter(spec)
