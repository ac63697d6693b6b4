"""One process's models: loading, per-(model, device) caching and timed, failure-proof inference.

Inside the app and the CLI this runs in a model worker process (see ``service``), which
holds one model; tests and benchmarks also call it in-process.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np
from PIL import Image

from blur.arrays import resize_alpha, to_alpha, to_matte
from models.devices import EXACT_CPU, device_for
from models.errors import caused_by_memory, describe_failure
from models.registry import ModelSpec, get_spec

# A result found a subject when at least this share of the photo is more subject than
# background (alpha >= 0.5): a few stray pixels over a threshold are not a person.
MIN_SUBJECT_SHARE = 0.005
NO_SUBJECT = f"No humans detected (under {MIN_SUBJECT_SHARE:.1%} of the photo is subject)"


class Segmenter(Protocol):
    def predict(self, image: Image.Image) -> np.ndarray: ...


class Refiner(Protocol):
    def refine(self, image: Image.Image, mask: np.ndarray, band: float) -> np.ndarray: ...


@dataclass(frozen=True)
class Guide:
    """What a refiner works from: another model's matte (uint8, any size) and the trimap's
    unknown band (a fraction of the photo's longer side)."""

    matte: np.ndarray
    band: float

    def alpha_at(self, size: tuple[int, int]) -> np.ndarray:
        """float32 alpha at ``size`` (w, h)."""
        return to_alpha(resize_alpha(self.matte, (size[1], size[0])))


@dataclass
class ModelResult:
    spec: ModelSpec
    device: str
    # The alpha as uint8 HxW (0-255), at the size of the image the model ran on: a quarter
    # of a float32 alpha's bytes, and within 1/510 of it.
    matte: np.ndarray | None = None
    inference_s: float = 0.0
    load_s: float = 0.0  # 0 when the model was already loaded
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def alpha(self) -> np.ndarray | None:
        """The matte as float32 in [0, 1] (a new array on every call)."""
        return None if self.matte is None else to_alpha(self.matte)

    def matte_at(self, shape: tuple[int, int]) -> np.ndarray:
        """The uint8 matte at ``shape`` (h, w): area-averaged down, bilinear up."""
        assert self.matte is not None, "a failed result has no alpha"
        return resize_alpha(self.matte, shape)

    def alpha_at(self, shape: tuple[int, int]) -> np.ndarray:
        """float32 alpha at ``shape`` (h, w): resized as uint8 first, which is cheaper."""
        return to_alpha(self.matte_at(shape))

    @property
    def subject_share(self) -> float:
        """The share of the photo the matte calls subject (alpha >= 0.5); 0 when failed.
        Counted once per matte: every rerun asks it of every result."""
        if self.matte is None or not self.matte.size:
            return 0.0
        counted = self.__dict__.get("_share")
        if counted is None or counted[0] != id(self.matte):
            counted = (id(self.matte), np.count_nonzero(self.matte >= 128) / self.matte.size)
            self.__dict__["_share"] = counted
        return counted[1]

    @property
    def found_subject(self) -> bool:
        return self.subject_share >= MIN_SUBJECT_SHARE

    @property
    def nbytes(self) -> int:
        return 0 if self.matte is None else self.matte.nbytes


_loaded: dict[tuple[str, str], Segmenter] = {}
_load_locks: dict[tuple[str, str], threading.Lock] = {}
_registry_lock = threading.Lock()


def _release(segmenter: Segmenter) -> None:
    close = getattr(segmenter, "close", None)
    if callable(close):
        close()


def unload(key: str | None = None) -> None:
    """Drop loaded models (all, or every device's copy of one) and free their memory."""
    with _registry_lock:
        dropped = [k for k in _loaded if key is None or k[0] == key]
        segmenters = [_loaded.pop(k) for k in dropped]
    for segmenter in segmenters:
        _release(segmenter)
    if segmenters:
        gc.collect()
        _empty_accelerator_caches()


def _empty_accelerator_caches() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def loaded_models() -> list[tuple[str, str]]:
    with _registry_lock:
        return list(_loaded)


def build_segmenter(spec: ModelSpec, device: str) -> Segmenter:
    """A new segmenter from the spec's adapter module; downloads what is missing."""
    return spec.family.build(spec, device)


def get_segmenter(spec: ModelSpec, device: str) -> tuple[Segmenter, float]:
    """The model built for this device, loading it on first use; also the seconds spent loading."""
    cache_key = (spec.key, device)
    with _registry_lock:
        lock = _load_locks.setdefault(cache_key, threading.Lock())
    with lock:
        if cache_key in _loaded:
            return _loaded[cache_key], 0.0
        # One copy per model: a device switch frees the copy on the old device first.
        with _registry_lock:
            stale = any(k[0] == spec.key for k in _loaded)
        if stale:
            unload(spec.key)
        start = time.perf_counter()
        segmenter = build_segmenter(spec, device)
        load_s = time.perf_counter() - start
        with _registry_lock:
            _loaded[cache_key] = segmenter
        return segmenter, load_s


def as_alpha(raw: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Coerce an adapter's output to the contract: float32 HxW in [0, 1] at ``size`` (w, h)."""
    alpha = np.asarray(raw, dtype=np.float32).squeeze()
    if alpha.ndim != 2:
        raise ValueError(f"model returned a mask of shape {np.shape(raw)}, expected HxW")
    if alpha.shape != (size[1], size[0]):
        alpha = cv2.resize(alpha, size, interpolation=cv2.INTER_LINEAR)
    return np.clip(np.nan_to_num(alpha, nan=0.0), 0.0, 1.0)


def refine_guide(spec: ModelSpec, base: ModelResult | None, device: str) -> Guide | ModelResult:
    """What the refined entry ``spec`` works from: its base model's ``base`` result of the
    photo as a Guide; else the result to keep instead (no subject: an empty matte, as the
    base found; no usable mask: an error naming why)."""
    assert spec.base is not None, f"{spec.key} refines nothing"
    label, on = spec.base.label, runs_on(spec, device)
    if base is None:
        why = f"{label} has no result for this photo yet. Run {label} first."
    elif not base.ok:
        why = f"{label} failed on this photo: {base.error}"
    elif not base.found_subject:
        return ModelResult(spec=spec, device=on, matte=np.zeros_like(base.matte))
    else:
        return Guide(base.matte, spec.trimap_band)
    return ModelResult(spec=spec, device=on, error=f"Nothing to refine: {why}")


def segment(
    segmenter: Segmenter | Refiner, image: Image.Image, guide: Guide | None = None
) -> tuple[np.ndarray, float]:
    """The model's matte of ``image`` (uint8, at the image's size) and its inference seconds;
    a refiner's of ``guide``'s mask."""
    start = time.perf_counter()
    if guide is None:
        raw = segmenter.predict(image)
    else:
        raw = segmenter.refine(image, guide.alpha_at(image.size), guide.band)
    seconds = time.perf_counter() - start
    return to_matte(as_alpha(raw, image.size)), seconds


def runs_on(spec: ModelSpec, device: str) -> str:
    """The device a model actually runs on when ``device`` is requested (exact CPU only
    for a model with a CPU fast path: for the others it is the CPU)."""
    if device == EXACT_CPU:
        return EXACT_CPU if spec.onnx_on_cpu else "cpu"
    return device_for(spec.devices, device)


def run_model(
    key: str | ModelSpec,
    image: Image.Image,
    device: str,
    on_stage: Callable[[str], None] | None = None,
    guide: Guide | None = None,
) -> ModelResult:
    """Segment ``image`` with one model in this process (a refined entry: refine ``guide``
    with its refiner). Never raises: failures come back as ``error``."""
    spec = get_spec(key) if isinstance(key, str) else key
    run_on = runs_on(spec, device)
    result = ModelResult(spec=spec, device=run_on)
    try:
        if on_stage:
            on_stage("load")
        segmenter, result.load_s = get_segmenter(spec.runner, run_on)
        if on_stage:
            on_stage("run")
        result.matte, result.inference_s = segment(segmenter, image, guide)
    except Exception as error:  # noqa: BLE001 - every failure becomes a message in its column
        result.error = describe_failure(spec, error)
        if caused_by_memory(error):
            unload(spec.key)  # give the memory back to the models that come next
    return result
