"""Robust Video Matting (MobileNetV3): its authors' ONNX export, run by onnxruntime on the CPU.

RVM is recurrent: each frame's run also takes four hidden states (``r1i``..``r4i``) and returns
the next ones (``r1o``..``r4o``), so a frame's matte draws on what the clip's earlier frames
showed. The segmenter ``build`` returns offers, and the video worker relies on exactly this:

- ``predict(image)``: a still, run as a one-frame clip (fresh zero states): float32 HxW alpha
  in [0, 1] at the image's size.
- ``clip()``: a new object for one video clip whose ``predict(image)`` (same contract) carries
  the states from one call to the next. One object per clip, handed the clip's frames in
  order; a new ``clip()`` starts from zero states again. A frame whose size differs from the
  one before restarts from zero too (the states are at the frame's scale).
- ``close()``: drops the session.

The graph takes ``src`` as float32 [1, 3, H, W] RGB in 0..1, zero states of shape
[1, 1, 1, 1] on a first frame, and ``downsample_ratio`` (float32 [1]): the scale its first
stage runs at, before its refiner works at the frame's own size. Any frame size works as is
(the export sizes every stage itself; checked down to 7x5 px and on odd sizes like 333x251),
as long as no side shrinks to nothing, so nothing is padded or cropped here.

The weights are GPL-3.0: downloaded from the authors' GitHub release on first use, never
shipped.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from models import hub
from models.onnx_assets import cpu_session
from models.registry import ModelSpec

STATE_INPUTS = ("r1i", "r2i", "r3i", "r4i")
OUTPUTS = ("pha", "r1o", "r2o", "r3o", "r4o")  # the matte and the next states, not ``fgr``
# The authors' converter, given no ratio, makes the downsampled frame's longer side 512 px;
# their guide asks for 256 to 512 (0.375 at 1280x720, 0.25 at 1920x1080, 1 at 512 or less).
FIRST_STAGE_SIDE = 512
MIN_FIRST_STAGE_SIDE = 16  # a very thin frame: a side that rounds to 0 px fails in the graph

States = tuple[np.ndarray, ...]


def downsample_ratio(size: tuple[int, int]) -> float:
    """The first stage's scale for a frame of ``size`` (w, h): its longer side down to
    FIRST_STAGE_SIDE (never up), its shorter side at least MIN_FIRST_STAGE_SIDE, rounded to
    three decimals."""
    longer, shorter = max(size), min(size)
    ratio = min(1.0, FIRST_STAGE_SIDE / longer)
    ratio = max(ratio, min(1.0, MIN_FIRST_STAGE_SIDE / shorter))
    return round(ratio, 3)


def zero_states() -> States:
    """A clip's first states: what the authors feed their export before the first frame."""
    return tuple(np.zeros((1, 1, 1, 1), np.float32) for _ in STATE_INPUTS)


def frame_tensor(image: Image.Image) -> np.ndarray:
    """``image`` as the graph's ``src``: (1, 3, h, w) float32 RGB in 0..1."""
    pixels = np.asarray(image.convert("RGB"), np.float32) / 255
    return np.ascontiguousarray(pixels.transpose(2, 0, 1)[None])


def run_frame(session, image: Image.Image, states: States) -> tuple[np.ndarray, States]:
    """One frame through the graph: its float32 HxW alpha in [0, 1] and the next states."""
    feeds = dict(zip(STATE_INPUTS, states, strict=True))
    feeds["src"] = frame_tensor(image)
    feeds["downsample_ratio"] = np.array([downsample_ratio(image.size)], np.float32)
    alpha, *next_states = session.run(list(OUTPUTS), feeds)
    return np.clip(alpha[0, 0], 0.0, 1.0), tuple(next_states)


class RvmClip:
    """One video clip's matting: ``predict`` is handed the clip's frames in order, each run
    on the states the previous frame left (zero states first, and after a size change)."""

    def __init__(self, session) -> None:
        self._session = session
        self._states: States = zero_states()
        self._size: tuple[int, int] | None = None

    def predict(self, image: Image.Image) -> np.ndarray:
        """Float32 alpha in [0, 1] at the frame's size."""
        if image.size != self._size:
            self._states, self._size = zero_states(), image.size
        alpha, self._states = run_frame(self._session, image, self._states)
        return alpha


class RvmSegmenter:
    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec
        self._session = cpu_session(spec.label, hub.fetch_weights(spec))

    def clip(self) -> RvmClip:
        """A new clip starting from zero states; its frames share this segmenter's session."""
        assert self._session is not None, f"{self.spec.label} was closed"
        return RvmClip(self._session)

    def predict(self, image: Image.Image) -> np.ndarray:
        """Float32 alpha in [0, 1] at the photo's size: a one-frame clip."""
        return self.clip().predict(image)

    def close(self) -> None:
        self._session = None


def build(spec: ModelSpec, device: str) -> RvmSegmenter:
    return RvmSegmenter(spec)
