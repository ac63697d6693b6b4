"""The models the arena can compare: one entry of plain data per model.

Adapters (one module per family) read these specs; the UI only iterates over them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

MaskKind = Literal["alpha", "binary"]


@dataclass(frozen=True)
class ModelSpec:
    key: str
    label: str
    family: str  # adapter module in models/, e.g. "mediapipe_selfie"
    source: str  # Hugging Face repo id, or the package that ships the weights
    mask_kind: MaskKind  # "binary" masks get their edge feathered before compositing
    licence: str
    url: str  # model card, linked from messages
    # Input policy: None runs the photo as is (the adapter or the model scales it),
    # (w, h) resizes to that size, size_multiple pads/rounds each side up to it.
    input_size: tuple[int, int] | None = None
    size_multiple: int | None = None
    revision: str | None = None  # pinned Hub revision for remote code, when set
    filename: str | None = None  # single weights file inside the repo, when the family needs it
    download_mb: int = 0  # approximate first-use download; 0 = ships with a package
    devices: tuple[str, ...] = ("cuda", "mps", "cpu")  # where the model can run
    default: bool = False  # ticked in the sidebar on first visit
    note: str = ""

    @property
    def offline(self) -> bool:
        return self.download_mb == 0


REGISTRY: tuple[ModelSpec, ...] = (
    ModelSpec(
        key="mediapipe_selfie",
        label="MediaPipe Selfie",
        family="mediapipe_selfie",
        source="mediapipe (model file inside the wheel)",
        mask_kind="alpha",
        licence="Apache-2.0",
        url="https://ai.google.dev/edge/mediapipe/solutions/vision/image_segmenter",
        devices=("cpu",),
        default=True,
        note="256x256 general model; runs on the CPU through MediaPipe's own graph.",
    ),
)


def get_spec(key: str) -> ModelSpec:
    for spec in REGISTRY:
        if spec.key == key:
            return spec
    raise KeyError(f"unknown model {key!r}; known: {', '.join(s.key for s in REGISTRY)}")
