"""InSPyReNet through the ``transparent-background`` package (MIT): its base and fast modes.

Left to itself, the package downloads a missing checkpoint from GitHub with ``wget``, which
has no timeout (an offline machine can wait forever), into ``~/.transparent-background``.
Here the checkpoint comes through models.hub (progress, MD5 check, the offline message)
and the package is handed its path, so it never goes to the network; its config copy is
written beside our weights, not into the user's home folder.
"""

from __future__ import annotations

import os
import threading
import warnings

import numpy as np
from PIL import Image

from models import hub, paths
from models.registry import ModelSpec

CONFIG_FOLDER_ENV = "TRANSPARENT_BACKGROUND_FILE_PATH"  # where the package copies its config


def torch_device(device: str) -> str:
    if device == "mps":
        # Some of the network's operations have no MPS kernel (the package's own advice).
        os.environ.setdefault("PYTORCH_ENABLE_MPS_FALLBACK", "1")
    return device


class InSPyReNetSegmenter:
    def __init__(self, spec: ModelSpec, device: str) -> None:
        assert spec.variant in ("base", "fast"), spec.variant
        checkpoint = hub.fetch_weights(spec)
        os.environ.setdefault(CONFIG_FOLDER_ENV, str(paths.weights_dir()))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Failed to import flet": its GUI, unused here
            from transparent_background import Remover

        self.remover = Remover(
            mode=spec.variant, device=torch_device(device), ckpt=str(checkpoint), resize="static"
        )
        self._lock = threading.Lock()

    def predict(self, image: Image.Image) -> np.ndarray:
        import torch

        with self._lock, torch.inference_mode():
            saliency = self.remover.process(image.convert("RGB"), type="map")
        return np.asarray(saliency, dtype=np.float32)[..., 0] / 255.0

    def close(self) -> None:
        self.remover = None


def build(spec: ModelSpec, device: str) -> InSPyReNetSegmenter:
    return InSPyReNetSegmenter(spec, device)
