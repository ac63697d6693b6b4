"""MediaPipe Selfie Segmentation, the offline default: its model files ship in
models/assets/ (Apache-2.0) and run with onnxruntime; nothing is downloaded.

The networks are MediaPipe's: the general model (256x256 input) and the landscape one
(144x256, h x w), each entry's ``asset``. The mediapipe package is not used (its last
wheels with these models stop at Python 3.12 and numpy 1). Pre- and post-processing follow
MediaPipe's own graph for them, so the masks are the package's within 0.002: the photo is
warped to the network's input size corner to corner with bilinear sampling on its 8-bit
pixels, scaled to [0, 1], and the mask is resized back bilinearly.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from models.onnx_assets import alpha_at, cpu_session
from models.paths import asset_file
from models.registry import ModelSpec

MODEL_FILE = asset_file("selfie_segmentation.onnx")  # the general model


def network_input(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The (1, h, w, 3) float32 tensor MediaPipe's graph makes of an RGB photo for a network
    whose input is ``size`` = (h, w): each input pixel samples the photo at
    (x * photo_w / w, y * photo_h / h), as its perspective warp of the whole frame does,
    before the range conversion."""
    height, width = size
    h, w = rgb.shape[:2]
    to_input = np.array([[width / w, 0, 0], [0, height / h, 0], [0, 0, 1]])
    warped = cv2.warpPerspective(
        rgb, to_input, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT
    )
    return (warped.astype(np.float32) * np.float32(1 / 255))[None]


class SelfieSegmenter:
    def __init__(self, model_file: Path = MODEL_FILE, label: str = "MediaPipe Selfie") -> None:
        self._session = cpu_session(label, model_file)
        (tensor,) = self._session.get_inputs()
        batch, height, width, channels = tensor.shape  # NHWC, as tools/selfie_onnx.py writes it
        assert tensor.name == "image" and (batch, channels) == (1, 3), (model_file, tensor.shape)
        self.input_size: tuple[int, int] = (height, width)  # the network's (h, w)

    def predict(self, image: Image.Image) -> np.ndarray:
        """Float32 alpha in [0, 1] at the photo's size."""
        tensor = network_input(np.asarray(image.convert("RGB")), self.input_size)
        return alpha_at(self._session, tensor, image.size)

    def close(self) -> None:
        self._session = None


def build(spec: ModelSpec, device: str) -> SelfieSegmenter:
    """The entry's model file (``spec.asset``, the general model where it names none); the
    network's input size is the file's. An entry that states ``input_size`` (w, h) must
    state that one: the photo reaches the adapter whole and is warped to it here."""
    segmenter = SelfieSegmenter(asset_file(spec.asset) if spec.asset else MODEL_FILE, spec.label)
    if spec.input_size is not None:
        assert spec.input_size == segmenter.input_size[::-1], (spec.key, spec.input_size)
    return segmenter
