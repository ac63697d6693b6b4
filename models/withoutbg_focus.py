"""withoutBG Focus: the ``withoutbg`` package's open-weights ONNX pipeline (CPU).

The package pins the Hub revision of its bundle (the registry entry holds the same
revision): a sidecar JSON naming a router graph and two branch graphs (withoutBG matting,
BiRefNet), each SHA256-checked by the package before it is opened. Every file of the bundle
is fetched here first, through the Hub helper, so the whole download shows progress and an
offline machine gets the usual message; the package is then pointed at the cached folder
and never downloads by itself.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from PIL import Image

from models import hub
from models.errors import ModelUnavailable, shown_path
from models.registry import ModelSpec


def fetch_bundle(spec: ModelSpec) -> Path:
    """Every file of the bundle in the local cache; the main graph's path."""
    main = hub.fetch_file(spec, spec.files[0])
    for name in spec.files[1:]:
        hub.fetch_file(spec, name)
    for name in hub.index_entries(hub.fetch_file(spec, spec.index_file)):
        hub.fetch_file(spec, name)
    return main


class WithoutBGSegmenter:
    def __init__(self, spec: ModelSpec, device: str) -> None:
        from withoutbg import WithoutBG

        main = fetch_bundle(spec)
        self.model = WithoutBG.open_weights(model_path=main)
        try:
            self.model.preload()  # verify and open every graph now, not mid-inference
        except ValueError as error:
            if "checksum" not in str(error).lower():
                raise
            raise ModelUnavailable(
                f"{spec.label}: a graph in {shown_path(str(main.parent))} does not match its "
                f"checksum in the bundle ({error}), a damaged download. Delete that folder and "
                f"run `uv run portrait-blur models --check {spec.key}` with internet."
            ) from error
        self._lock = threading.Lock()

    def predict(self, image: Image.Image) -> np.ndarray:
        with self._lock:
            cutout = self.model.remove_background(image.convert("RGB"))
        return np.asarray(cutout.getchannel("A"), dtype=np.float32) / 255.0


def build(spec: ModelSpec, device: str) -> WithoutBGSegmenter:
    return WithoutBGSegmenter(spec, device)
