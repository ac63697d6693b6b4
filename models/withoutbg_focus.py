"""withoutBG Focus: the ``withoutbg`` package's open-weights ONNX pipeline (CPU).

The package pins the Hub revision of its ONNX bundle (the registry entry holds the same
revision). Its main graph and sidecar are fetched here first, at that revision, so the
download shows progress like every other model; the package then finds them in the cache
(and fetches any further bundle assets).
"""

from __future__ import annotations

import threading

import numpy as np
from PIL import Image

from models import hub
from models.registry import ModelSpec


class WithoutBGSegmenter:
    def __init__(self, spec: ModelSpec, device: str) -> None:
        from withoutbg import WithoutBG

        for filename in spec.files:
            hub.fetch_file(spec, filename)

        self.model = WithoutBG.open_weights()
        self.model.preload()  # download and open the ONNX sessions now, not mid-inference
        self._lock = threading.Lock()

    def predict(self, image: Image.Image) -> np.ndarray:
        with self._lock:
            cutout = self.model.remove_background(image.convert("RGB"))
        return np.asarray(cutout.getchannel("A"), dtype=np.float32) / 255.0


def build(spec: ModelSpec, device: str) -> WithoutBGSegmenter:
    return WithoutBGSegmenter(spec, device)
