"""Stand-in adapters that run in real model workers (other processes). They test the
service's plumbing (loading, queueing, timeouts, crashes, memory, retries), never a model's
quality; nothing they return is shown as a model result.

The behaviour is the spec key's part before any "-" ("hangs-2" hangs like "hangs"): square,
slow, hangs, crashes, greedy, spikes, broken, downloads, pickles, flickers, counts. As the model
runs in another process, a test switches behaviour between calls with flag files in the
folder $STANDIN_FLAGS, and reads what happened there:
    <key>.broken   build fails as a model that is not downloaded yet fails
    <key>.hang     predict hangs (until the pool kills the worker)
    weights.pt     what a "pickles" model loads, asking torch for a full unpickle, as
                   Ultralytics does for SAM3's checkpoint
    loads.log      one line per build: "<key> <device> <pid>"
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
from PIL import Image

from models.errors import ModelUnavailable
from models.registry import ModelSpec


def flags() -> Path:
    return Path(os.environ["STANDIN_FLAGS"])


def centre_square(image: Image.Image) -> np.ndarray:
    """The photo's centre square as subject (a quarter of each side)."""
    w, h = image.size
    alpha = np.zeros((h, w), np.float32)
    alpha[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4] = 1.0
    return alpha


class Square:
    """Finds the centre square; obeys <key>.hang."""

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec

    def predict(self, image: Image.Image) -> np.ndarray:
        while (flags() / f"{self.spec.key}.hang").exists():
            time.sleep(0.05)
        return centre_square(image)


class Hangs(Square):
    def predict(self, image: Image.Image) -> np.ndarray:
        time.sleep(3600)
        return centre_square(image)


class Crashes(Square):
    def predict(self, image: Image.Image) -> np.ndarray:
        os._exit(3)  # as a segfault in native code would end it: no exception, no reply


class Greedy(Square):
    def predict(self, image: Image.Image) -> np.ndarray:
        raise MemoryError


SPIKE_MB = 400


class Spikes(Square):
    """Touches SPIKE_MB of memory on each photo and frees it before answering: a worker that
    holds far less between photos than while it runs, as a real model's does."""

    def predict(self, image: Image.Image) -> np.ndarray:
        working = np.ones(SPIKE_MB * 2**20, np.uint8)  # every page written, so resident
        del working
        return super().predict(image)


class Slow(Square):
    """Takes half a second to load and a second per photo: long enough for a test to see
    each stage and to act while it runs."""

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__(spec)
        time.sleep(0.5)

    def predict(self, image: Image.Image) -> np.ndarray:
        time.sleep(1.0)
        return super().predict(image)


class Flickers(Square):
    """The centre square with each edge moved a few pixels at random on every call: a model
    whose mask jumps from frame to frame on a still picture."""

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__(spec)
        self._rng = np.random.default_rng(0)

    def predict(self, image: Image.Image) -> np.ndarray:
        w, h = image.size
        top, bottom, left, right = self._rng.integers(-6, 7, size=4)
        alpha = np.zeros((h, w), np.float32)
        alpha[h // 4 + top : 3 * h // 4 + bottom, w // 4 + left : 3 * w // 4 + right] = 1.0
        return alpha


class _Counting:
    """One clip's frames: frame k (from 0) comes back as a flat alpha of k / 255."""

    def __init__(self) -> None:
        self.seen = 0

    def predict(self, image: Image.Image) -> np.ndarray:
        w, h = image.size
        alpha = np.full((h, w), self.seen / 255, np.float32)
        self.seen += 1
        return alpha


class Counts(Square):
    """Carries state across a clip's frames, as a recurrent video model (RVM) does: its
    ``clip()`` counts the frames it was handed; a still is a one-frame clip."""

    def predict(self, image: Image.Image) -> np.ndarray:
        return _Counting().predict(image)

    def clip(self) -> _Counting:
        return _Counting()


def _broken(spec: ModelSpec, device: str):
    raise OSError("weights file is corrupt")


BEHAVIOURS = {
    "square": Square,
    "slow": Slow,
    "hangs": Hangs,
    "crashes": Crashes,
    "greedy": Greedy,
    "spikes": Spikes,
    "flickers": Flickers,
    "counts": Counts,
}


def build(spec: ModelSpec, device: str):
    with open(flags() / "loads.log", "a") as log:
        log.write(f"{spec.key} {device} {os.getpid()}\n")
    behaviour = spec.key.split("-")[0]
    if behaviour == "downloads":  # reports bytes as a Hub download does, then is a square
        from models import hub

        bar = hub.progress_class(spec.label)(total=2_000_000, unit="B")
        bar.update(500_000)
        time.sleep(0.3)
        bar.update(1_500_000)
        bar.close()
        return Square(spec)
    if behaviour == "broken":
        return _broken(spec, device)
    if behaviour == "pickles":
        import torch

        torch.load(flags() / "weights.pt", weights_only=False)
        return Square(spec)
    if (flags() / f"{spec.key}.broken").exists():
        raise ModelUnavailable(f"{spec.label} is not downloaded yet (stand-in).")
    return BEHAVIOURS[behaviour](spec)


def loads() -> list[tuple[str, str, int]]:
    """(key, device, worker pid) of every build so far."""
    path = flags() / "loads.log"
    if not path.exists():
        return []
    return [
        (key, device, int(pid))
        for key, device, pid in (line.split() for line in path.read_text().splitlines())
    ]
