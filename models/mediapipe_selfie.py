"""MediaPipe Selfie Segmentation, the offline default: its model file ships in
models/assets/ (Apache-2.0) and runs with onnxruntime; nothing is downloaded.

The network is MediaPipe's (the general 256x256 model); the mediapipe package is not used
(its last wheels with this model stop at Python 3.12 and numpy 1). Pre- and post-processing
follow MediaPipe's own graph for it, so the masks are the package's within 0.002:
the photo is warped to 256x256 corner to corner with bilinear sampling on its 8-bit
pixels, scaled to [0, 1], and the 256x256 mask is resized back bilinearly.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from models.errors import ModelUnavailable
from models.registry import ModelSpec

MODEL_FILE = Path(__file__).parent / "assets" / "selfie_segmentation.onnx"
INPUT_SIDE = 256


def network_input(rgb: np.ndarray) -> np.ndarray:
    """The (1, 256, 256, 3) float32 tensor MediaPipe's graph makes of an RGB photo: each
    output pixel samples the photo at (x * w / 256, y * h / 256), as its perspective warp
    of the whole frame does, before the range conversion."""
    h, w = rgb.shape[:2]
    to_input = np.array([[INPUT_SIDE / w, 0, 0], [0, INPUT_SIDE / h, 0], [0, 0, 1]])
    warped = cv2.warpPerspective(
        rgb, to_input, (INPUT_SIDE, INPUT_SIDE), flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
    )  # fmt: skip
    return (warped.astype(np.float32) * np.float32(1 / 255))[None]


class SelfieSegmenter:
    def __init__(self, model_file: Path = MODEL_FILE) -> None:
        try:
            import onnxruntime
        except ImportError:
            raise ModelUnavailable(
                "MediaPipe Selfie needs the onnxruntime package, which is not installed. "
                "Run `uv sync` in the project folder."
            ) from None
        if not model_file.is_file():
            raise ModelUnavailable(
                f"MediaPipe Selfie: its model file {model_file.name} is missing from "
                f"{model_file.parent}. Restore it with `git checkout -- {model_file.parent}`."
            )
        self._session = onnxruntime.InferenceSession(
            str(model_file), providers=["CPUExecutionProvider"]
        )

    def predict(self, image: Image.Image) -> np.ndarray:
        """Float32 alpha in [0, 1] at the photo's size."""
        rgb = np.asarray(image.convert("RGB"))
        (mask,) = self._session.run(["alpha"], {"image": network_input(rgb)})
        alpha = cv2.resize(mask, image.size, interpolation=cv2.INTER_LINEAR)
        return np.clip(alpha, 0.0, 1.0, out=alpha)

    def close(self) -> None:
        self._session = None


def build(spec: ModelSpec, device: str) -> SelfieSegmenter:
    return SelfieSegmenter()
