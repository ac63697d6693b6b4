"""MediaPipe Selfie Segmentation, run from the model file inside the mediapipe wheel.

The offline default: nothing is downloaded. Only mediapipe 0.10.x (up to 0.10.2x) ships
``selfie_segmentation.tflite``; later releases dropped the legacy solutions.
"""

from __future__ import annotations

import threading
from importlib import metadata, resources
from pathlib import Path

import numpy as np
from PIL import Image

from models.errors import ModelUnavailable
from models.registry import ModelSpec

MODEL_PACKAGE = "mediapipe.modules.selfie_segmentation"
MODEL_FILE = "selfie_segmentation.tflite"
GENERAL_MODEL = 0  # 256x256 "general" model; 1 is the 144x256 landscape one


def _allow_protobuf5() -> None:
    # mediapipe's bindings call MessageFactory.GetPrototype, removed in protobuf 5; the
    # replacement returns the same class. Must run before mediapipe is first imported.
    from google.protobuf import message_factory

    if not hasattr(message_factory.MessageFactory, "GetPrototype"):
        message_factory.MessageFactory.GetPrototype = lambda self, descriptor: (
            message_factory.GetMessageClass(descriptor)
        )


def model_file() -> Path:
    """The .tflite inside the installed mediapipe wheel, or a message saying how to get it."""
    try:
        version = metadata.version("mediapipe")
    except metadata.PackageNotFoundError:
        raise ModelUnavailable(
            "MediaPipe Selfie needs the mediapipe package, which is not installed. "
            "Run `uv sync` in the project folder."
        ) from None
    try:
        path = resources.files(MODEL_PACKAGE) / MODEL_FILE
        found = path.is_file()
    except ModuleNotFoundError:
        found = False
    if not found:
        raise ModelUnavailable(
            f"MediaPipe Selfie: mediapipe {version} does not ship {MODEL_FILE} "
            "(only the 0.10.x wheels up to 0.10.21 do). Run `uv sync` to install the "
            "version pinned in uv.lock."
        )
    return Path(str(path))


class SelfieSegmenter:
    def __init__(self) -> None:
        _allow_protobuf5()
        model_file()
        from mediapipe.python.solutions.selfie_segmentation import SelfieSegmentation

        self._solution = SelfieSegmentation(model_selection=GENERAL_MODEL)
        self._lock = threading.Lock()  # one MediaPipe graph serves one frame at a time

    def predict(self, image: Image.Image) -> np.ndarray:
        rgb = np.ascontiguousarray(np.asarray(image.convert("RGB")))
        with self._lock:
            mask = self._solution.process(rgb).segmentation_mask
        return np.asarray(mask, dtype=np.float32)

    def close(self) -> None:
        self._solution.close()


def build(spec: ModelSpec, device: str) -> SelfieSegmenter:
    return SelfieSegmenter()
