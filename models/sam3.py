"""SAM3 through Ultralytics: text prompt "person", every instance mask merged into one.

Weights: ``sam3.pt`` from the Hub mirror in the registry. Ultralytics' tokenizer import is
served by models.clip_tokenizer so nothing is pip-installed at run time.
"""

from __future__ import annotations

import threading

import cv2
import numpy as np
from PIL import Image

from models import hub, torch_runtime
from models.clip_tokenizer import install_clip_module
from models.registry import ModelSpec

PROMPT = ["person"]
CONFIDENCE = 0.25
_ULTRALYTICS_DEVICE = {"cuda": "0", "mps": "mps", "cpu": "cpu"}


def predictor_overrides(spec: ModelSpec, weights: str, device: str) -> dict:
    from ultralytics.cfg import DEFAULT_CFG_DICT

    half = torch_runtime.use_half(spec, device)
    overrides = {
        "model": weights,
        "task": "segment",
        "mode": "predict",
        "conf": CONFIDENCE,
        "imgsz": spec.input_size[0] if spec.input_size else 1008,  # SAM3's native size
        "device": _ULTRALYTICS_DEVICE[device],
        "save": False,
        "verbose": False,
    }
    # Ultralytics replaced `half` with `quantize`; speak whichever this release knows.
    if "quantize" in DEFAULT_CFG_DICT:
        overrides["quantize"] = 16 if half else 32
    else:
        overrides["half"] = half
    return overrides


def no_usage_events() -> None:
    """Ultralytics sends an anonymous usage event after each prediction while its `sync`
    setting is on, and these are people's photos: switch the sender off for this process.
    The user's own settings file is not written."""
    from ultralytics.utils import events

    events.events.enabled = False


class Sam3Segmenter:
    def __init__(self, spec: ModelSpec, device: str) -> None:
        install_clip_module()
        no_usage_events()
        from ultralytics.models.sam import SAM3SemanticPredictor

        weights = hub.fetch_file(spec, spec.filename)
        self.device = device
        self.predictor = SAM3SemanticPredictor(
            overrides=predictor_overrides(spec, str(weights), device)
        )
        self.predictor.setup_model(verbose=False)  # build and load now: load time, not inference
        self._lock = threading.Lock()

    def predict(self, image: Image.Image) -> np.ndarray:
        bgr = cv2.cvtColor(np.asarray(image.convert("RGB")), cv2.COLOR_RGB2BGR)
        with self._lock:
            self.predictor.set_image(bgr)
            results = self.predictor(text=PROMPT)
        masks = results[0].masks if results else None
        if masks is None or len(masks.data) == 0:
            return np.zeros((image.height, image.width), np.float32)
        return masks.data.bool().any(dim=0).float().cpu().numpy()

    def close(self) -> None:
        self.predictor = None
        torch_runtime.free_device_memory(self.device)


def build(spec: ModelSpec, device: str) -> Sam3Segmenter:
    return Sam3Segmenter(spec, device)
