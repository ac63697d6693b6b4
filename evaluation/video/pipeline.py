"""One model over a clip, streamed: decode, segment in batches, blur, encode, score.

The model is passed in as ``segment(frames, first) -> mattes`` (a batch of N frames at the
model's photo size, N x H x W x 3 uint8, and the clip's index of the first; N mattes back),
so this module runs the same in the app (the shared model pool), the CLI, tests and bench.
While the model works on one batch, the previous one is blurred and encoded: the model's
process and this one run side by side. Each result is written as it goes (the blurred
clip with the source's sound, the matte, the overlay, and the exact mattes, losslessly),
and its scores grow frame by frame; nothing holds more than two batches of frames.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import av
import cv2
import numpy as np

from blur.arrays import fit_within, to_alpha
from blur.composite import DEFAULT_STRENGTH, BlurPlan, strength_sigma
from blur.views import mask_overlay
from evaluation.video.clip import ClipInfo, ClipWriter, Frame, InBackground, read_frames
from evaluation.video.scores import FlickerMeter, TruthMeter
from evaluation.video.steady import Steadier

VIEWS = ("Blur", "Matte", "Overlay")
STEADY = "steady"  # the suffix of a steadied result's key
OVERLAY_MAX_SIDE = 640  # the overlay view is for looking, not for editing: written smaller
CALL_S = 0.5  # a batch holds about this much model time: progress and cancel stay prompt
MAX_BATCH = 16
MODEL_MAX_SIDE = 1280  # frames handed to a model with no photo size of its own
COMPOSITORS = 2  # threads blurring frames side by side (OpenCV lets go of Python's lock)
IN_FLIGHT = 2 * COMPOSITORS  # frames being blurred while the earlier ones are written

Segment = Callable[[np.ndarray, int], np.ndarray]


class ModelFailed(Exception):
    """The model could not segment a batch: the message for the user."""


class Cancelled(ModelFailed):
    """The user cancelled while the batch waited for the model."""


@dataclass(frozen=True)
class Look:
    """How the background blur looks in the written clips."""

    strength: int = DEFAULT_STRENGTH
    lens: str = "gaussian"
    clean_edges: bool = True


def batch_size(seconds_per_frame: float) -> int:
    """Frames per worker call for a model taking ``seconds_per_frame``."""
    return int(np.clip(CALL_S / max(seconds_per_frame, 1e-3), 1, MAX_BATCH))


def result_key(model_key: str, steady: bool) -> str:
    return f"{model_key}+{STEADY}" if steady else model_key


def file_stem(key: str) -> str:
    return key.replace("+", "-").replace("@", "_")


@dataclass
class Output:
    """One result being written: a model's mattes as it made them, or steadied."""

    key: str
    label: str
    files: dict[str, Path]  # view -> MP4, and "mattes" -> the exact mattes (FFV1, MKV)
    flicker: FlickerMeter = field(default_factory=FlickerMeter)
    truth: TruthMeter | None = None
    steadier: Steadier | None = None


@dataclass
class Outcome:
    """What one model's pass over the clip made."""

    outputs: list[Output]
    frames: int = 0  # frames done
    model_s: float = 0.0  # the model's own seconds, all frames
    wall_s: float = 0.0  # decode to encode, end to end
    error: str | None = None
    cancelled: bool = False

    @property
    def fps(self) -> float:
        """Frames per second end to end (decode, model, blur, encode)."""
        return self.frames / self.wall_s if self.wall_s else 0.0

    @property
    def model_fps(self) -> float:
        return self.frames / self.model_s if self.model_s else 0.0


class _Writers:
    """The files of one Output, written frame by frame."""

    def __init__(self, output: Output, info: ClipInfo, source: Path) -> None:
        size, fps = info.work_size, info.fps
        small = fit_within(np.zeros((size[1], size[0]), np.uint8), OVERLAY_MAX_SIDE)[0].shape
        self.overlay_size = (small[1] // 2 * 2, small[0] // 2 * 2)
        files = output.files
        self.blur = InBackground(ClipWriter(files["Blur"], size, fps, audio_from=source))
        self.matte = InBackground(ClipWriter(files["Matte"], size, fps))
        self.overlay = InBackground(ClipWriter(files["Overlay"], self.overlay_size, fps))
        self.exact = InBackground(LosslessMattes(files["mattes"], size, fps))

    def close(self) -> None:
        for writer in (self.blur, self.matte, self.overlay, self.exact):
            writer.close()


class LosslessMattes:
    """Mattes kept exactly (FFV1, grey), to score or blur again without the model."""

    def __init__(self, path: Path, size: tuple[int, int], fps: float) -> None:
        self._out = av.open(str(path), "w", format="matroska")
        self._stream = self._out.add_stream("ffv1", rate=round(fps) or 25)
        self._stream.width, self._stream.height = size
        self._stream.pix_fmt = "gray"
        self._index = 0

    def write(self, matte: np.ndarray) -> None:
        frame = av.VideoFrame.from_ndarray(matte, format="gray")
        frame.pts, self._index = self._index, self._index + 1
        for packet in self._stream.encode(frame):
            self._out.mux(packet)

    def close(self) -> None:
        for packet in self._stream.encode():
            self._out.mux(packet)
        self._out.close()


def read_mattes(path: Path) -> Iterator[np.ndarray]:
    """The exact mattes a pass kept, in order (HxW uint8)."""
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            yield frame.to_ndarray(format="gray")


def outputs_for(
    key: str, label: str, out_dir: Path, steady: bool, with_truth: bool
) -> list[Output]:
    """The results of one model's pass: as it made them and, with ``steady``, steadied."""
    outputs = []
    for steadied in (False, True) if steady else (False,):
        result = result_key(key, steadied)
        stem = out_dir / file_stem(result)
        files = {view: stem.with_suffix(f".{view.lower()}.mp4") for view in VIEWS}
        files["mattes"] = stem.with_suffix(".mattes.mkv")
        outputs.append(Output(
            result, f"{label} + steady" if steadied else label, files,
            truth=TruthMeter() if with_truth else None,
            steadier=Steadier() if steadied else None,
        ))  # fmt: skip
    return outputs


def model_side(input_size: tuple[int, int] | None, photo_max_side: int | None) -> int:
    """The longer side of the frames a model is handed: a model that resizes every image
    to a fixed ``input_size`` gets twice that (its resize still averages pixels), so a
    batch crosses to the worker small; any other gets its photo size."""
    side = photo_max_side or MODEL_MAX_SIDE
    return min(side, 2 * max(input_size)) if input_size else side


def model_frame(rgb: np.ndarray, max_side: int | None) -> np.ndarray:
    """The frame scaled down (never up) to at most ``max_side``: halved by averaging 2x2
    pixels while it is twice too large, then area-averaged the rest of the way, which
    costs a fraction of one area resize over the whole frame."""
    h, w = rgb.shape[:2]
    scale = (max_side or MODEL_MAX_SIDE) / max(h, w)
    if scale >= 1:
        return rgb
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    while rgb.shape[1] >= 2 * size[0] and rgb.shape[0] >= 2 * size[1]:
        half = (rgb.shape[1] // 2, rgb.shape[0] // 2)
        rgb = cv2.resize(rgb, half, interpolation=cv2.INTER_LINEAR)
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)


def process_clip(
    source: Path,
    info: ClipInfo,
    segment: Segment,
    outputs: list[Output],
    *,
    soft: bool = True,
    model_max_side: int | None = None,
    look: Look = Look(),
    batch: int = 8,
    truth: Iterator[np.ndarray] | None = None,
    on_frames: Callable[[int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Outcome:
    """Run ``segment`` over the clip at ``source`` and write every Output. ``soft`` False:
    binary masks, feathered before blurring. ``truth`` yields the true matte of each frame
    in order. Never raises for the model's failure: the Outcome says it, and the partial
    files are removed (as after a cancel)."""
    outcome = Outcome(outputs)
    started = time.perf_counter()
    writers = [_Writers(output, info, source) for output in outputs]
    frames = read_frames(source, info.work_size)
    sigma = strength_sigma(look.strength, (info.work_size[1], info.work_size[0]))
    drawn: deque[tuple[_Writers, Frame, np.ndarray, Future]] = deque()
    try:
        with (
            ThreadPoolExecutor(1, thread_name_prefix="clip-model") as model,
            ThreadPoolExecutor(COMPOSITORS, thread_name_prefix="clip-blur") as compositor,
        ):
            ahead = _next_batch(model, frames, batch, segment, model_max_side)
            while ahead is not None:
                chunk, future = ahead
                if cancelled and cancelled():
                    outcome.cancelled = True
                    break
                mattes, seconds = future.result()
                ahead = _next_batch(model, frames, batch, segment, model_max_side)
                outcome.model_s += seconds
                for frame, matte in zip(chunk, mattes, strict=True):
                    true = next(truth, None) if truth is not None else None
                    for output, files in zip(outputs, writers, strict=True):
                        kept = _score(output, frame, matte, true)
                        render = compositor.submit(_draw, frame, kept, files.overlay_size,
                                                   sigma, look, soft)  # fmt: skip
                        drawn.append((files, frame, kept, render))
                    while len(drawn) > IN_FLIGHT:
                        _write(*drawn.popleft())
                outcome.frames += len(chunk)
                if on_frames:
                    on_frames(outcome.frames)
            while drawn and not outcome.cancelled:
                _write(*drawn.popleft())
    except Cancelled:
        outcome.cancelled = True
    except ModelFailed as failure:
        outcome.error = str(failure)
    finally:
        frames.close()
        for files in writers:
            files.close()
    outcome.wall_s = time.perf_counter() - started
    if outcome.error or outcome.cancelled:
        for output in outputs:
            for path in output.files.values():
                path.unlink(missing_ok=True)
    return outcome


def _next_batch(model: ThreadPoolExecutor, frames, size: int, segment: Segment, max_side):
    """The next ``size`` frames and the model's future mattes of them; None at the end."""
    chunk: list[Frame] = list(islice(frames, size))
    if not chunk:
        return None
    stack = np.stack([model_frame(frame.rgb, max_side) for frame in chunk])

    def run() -> tuple[np.ndarray, float]:
        start = time.perf_counter()
        mattes = segment(stack, chunk[0].index)
        return mattes, time.perf_counter() - start

    future: Future = model.submit(run)
    return chunk, future


def _score(output: Output, frame: Frame, matte: np.ndarray, true) -> np.ndarray:
    """The output's matte of the frame at the frame's size (steadied if it steadies),
    scored: the steps that must see the frames in order."""
    h, w = frame.rgb.shape[:2]
    if matte.shape != (h, w):
        matte = cv2.resize(matte, (w, h), interpolation=cv2.INTER_LINEAR)
    if output.steadier is not None:
        matte = output.steadier.smooth(frame.rgb, matte)
    output.flicker.add(frame.rgb, matte)
    if output.truth is not None and true is not None:
        output.truth.add(matte, true)
    return matte


def _draw(frame: Frame, matte: np.ndarray, overlay_size, sigma: float, look: Look,
          soft: bool) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """The blurred frame and the (smaller) overlay: any frame, on any thread."""
    alpha = to_alpha(matte)
    blurred = BlurPlan(frame.rgb, alpha, soft, look.clean_edges).render(sigma, look.lens)
    small_rgb = cv2.resize(frame.rgb, overlay_size, interpolation=cv2.INTER_AREA)
    small_alpha = cv2.resize(alpha, overlay_size, interpolation=cv2.INTER_AREA)
    return blurred, mask_overlay(small_rgb, small_alpha)


def _write(files: _Writers, frame: Frame, matte: np.ndarray, drawn: Future) -> None:
    blurred, overlay = drawn.result()
    files.blur.write(blurred, frame.time_s)
    files.matte.write(matte, frame.time_s)
    files.exact.write(matte)
    files.overlay.write(overlay, frame.time_s)
