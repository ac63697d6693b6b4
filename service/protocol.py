"""The pool <-> worker wire protocol: every message both sides exchange, as one dataclass each.

Messages are pickled over a ``multiprocessing.connection.Connection``. The pool sends
``Load`` once, then one ``Run`` per photo and model, or one ``RunFrames`` per batch of a
clip's frames (a worker group's process holds several models, each built on its first
job); for each job the worker sends any number of ``Stage`` and ``Download`` reports, then
exactly one ``Done`` (``FramesDone``) or ``Failed``. Both sides
import this module, so a field added here is added for both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from models.registry import ModelSpec
from models.runtime import Guide

# pool -> worker


@dataclass(frozen=True)
class Load:
    """The device the worker runs its models on, for its whole life: sent once, first."""

    device: str


@dataclass(frozen=True)
class Run:
    """One photo to segment with ``spec`` (a refiner: ``guide``'s mask of it to refine)."""

    spec: ModelSpec
    photo_name: str
    photo_bytes: bytes
    hub_online: bool  # False: the worker makes every download fail at once
    guide: Guide | None = None


@dataclass(frozen=True)
class RunFrames:
    """Consecutive frames of one clip to segment with ``spec``, in order: N x H x W x 3 uint8
    RGB, already scaled to the model's photo size. A model that carries state from frame
    to frame (its segmenter has ``clip()``) starts afresh on a new ``clip_id`` or at
    ``first == 0``."""

    spec: ModelSpec
    clip_id: str
    first: int  # the clip's index of frames[0]
    frames: np.ndarray
    hub_online: bool


# worker -> pool


@dataclass(frozen=True)
class Stage:
    """The worker began loading the Run's model, preparing its CPU fast path (an export made
    once, models.cpu_fast) or running it on the photo."""

    stage: Literal["load", "prepare", "run"]


@dataclass(frozen=True)
class Download:
    """Bytes of the model's files downloaded so far, of ``total_bytes``."""

    done_bytes: int
    total_bytes: int


@dataclass(frozen=True)
class Done:
    """The photo's matte (uint8 HxW at ``input_size``), with the seconds it took."""

    matte: np.ndarray
    inference_s: float
    load_s: float  # 0 when the model was already loaded
    input_size: tuple[int, int]  # (w, h) of the image the model was handed


@dataclass(frozen=True)
class FramesDone:
    """The frames' mattes (N x H x W uint8 at the frames' size), with the seconds they took."""

    mattes: np.ndarray
    inference_s: float  # all N frames
    load_s: float


@dataclass(frozen=True)
class Failed:
    """The model could not load or run: one line for the user, the traceback for the log."""

    message: str
    traceback: str
    out_of_memory: bool  # the pool stops the worker to give its memory back


ToWorker = Load | Run | RunFrames
FromWorker = Stage | Download | Done | FramesDone | Failed
