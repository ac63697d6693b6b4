"""NAVER's extremely light portrait networks, SINet and ExtremeC3Net
(github.com/clovaai/ext_portrait_segmentation, MIT, trained on EG1800 at 224x224): their
model files ship in models/assets/ (each entry's ``asset``, made by tools/ext_portrait_onnx.py)
and run with onnxruntime; nothing is downloaded.

Pre- and post-processing follow the authors' demo (etc/Visualize_video.py, evaluateModelCV),
so the masks are their PyTorch models' (tests/data/sinet_reference, extremec3_reference): the
photo's BGR pixels are resized to 224x224 with OpenCV's bilinear filter, normalised per
channel and divided by 255, as in training. The graph's 224x224 "alpha" (SINet's person
probability; ExtremeC3Net's hard mask, its logit being a hinge score) is resized back to the
photo bilinearly; the demo never maps its mask back to the frame.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from models.onnx_assets import alpha_at, cpu_session
from models.paths import asset_file
from models.registry import ModelSpec

# The authors' normalisation of the released models, per channel of cv2.imread's BGR pixels
# in 0..255 (data/DataSet.py line 40): etc/Visualize_video.py lines 265-266 (and
# etc/Visualize_webCam.py lines 248-249). The demo subtracts the mean, divides by the std and
# then by 255 (Visualize_video.py lines 115-121), as training did (data/CVTransforms.py lines
# 286-290 and 313). Test_model.py takes its mean and std from a dataset pickle not published.
BGR = [2, 1, 0]  # the network's channels, as indices into RGB
MEAN = np.array([107.304565, 115.69884, 132.35703], np.float32)
STD = np.array([63.97182, 65.1337, 68.29726], np.float32)
SCALE = np.float32(255)


def network_input(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The (1, 3, h, w) float32 tensor the authors' demo makes of an RGB photo for a network
    whose input is ``size`` = (w, h)."""
    bgr = cv2.resize(np.ascontiguousarray(rgb[:, :, BGR]), size, interpolation=cv2.INTER_LINEAR)
    normalised = (bgr.astype(np.float32) - MEAN) / STD / SCALE
    return normalised.transpose(2, 0, 1)[None]


class ExtPortraitSegmenter:
    def __init__(self, spec: ModelSpec) -> None:
        self._session = cpu_session(spec.label, asset_file(spec.asset))
        (tensor,) = self._session.get_inputs()
        width, height = spec.input_size
        # NCHW, as tools/ext_portrait_onnx.py writes it
        assert tensor.name == "image" and tensor.shape == [1, 3, height, width], tensor.shape
        self.input_size = (width, height)

    def predict(self, image: Image.Image) -> np.ndarray:
        """Float32 alpha in [0, 1] at the photo's size."""
        tensor = network_input(np.asarray(image.convert("RGB")), self.input_size)
        return alpha_at(self._session, tensor, image.size)

    def close(self) -> None:
        self._session = None


def build(spec: ModelSpec, device: str) -> ExtPortraitSegmenter:
    return ExtPortraitSegmenter(spec)
