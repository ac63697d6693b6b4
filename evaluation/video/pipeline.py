"""One model over a clip, streamed: decode, segment in batches, blur, encode, score.

The model is passed in as ``segment(frames, first) -> mattes`` (a batch of N frames at the
model's photo size, N x H x W x 3 uint8, and the clip's index of the first; N mattes back),
so this module runs the same in the app (the shared model pool), the CLI, tests and bench.
While the model works on one batch, the previous one is blurred and encoded: the model's
process and this one run side by side. Each result is written as it goes (the blurred
clip with the source's sound, and the exact mattes, losslessly; its matte and overlay
clips are made from those when first asked for), and its scores grow frame by frame;
nothing holds more than two batches of frames.
"""

from __future__ import annotations

import logging
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

from blur.arrays import to_alpha
from blur.composite import DEFAULT_STRENGTH, BlurPlan, strength_sigma
from blur.views import mask_overlay
from evaluation.video.clip import ClipInfo, ClipWriter, Frame, InBackground, read_frames
from evaluation.video.scores import FlickerMeter, TruthMeter
from evaluation.video.steady import Steadier

log = logging.getLogger("portrait_blur.video")

VIEWS = ("Blur", "Matte", "Overlay")
STEADY = "steady"  # the suffix of a steadied result's key
OVERLAY_MAX_SIDE = 640  # the overlay view is for looking, not for editing: made smaller
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


def unexpected(failure: Exception) -> str:
    """The message for a failure that is not the model's: a frame that will not decode,
    a file that cannot be written."""
    return (
        f"The clip could not be processed to the end ({type(failure).__name__}: {failure}). "
        "If the clip is damaged, export it again (MP4, H.264); if the disk is full, free "
        "some space; the server log has the details."
    )


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
    times: list[float] = field(default_factory=list)  # each frame's time, in seconds


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
    """The files of one Output written during the pass: the blurred clip and the exact
    mattes (the matte and overlay clips are made from them when first asked for)."""

    def __init__(self, output: Output, info: ClipInfo, source: Path) -> None:
        size, fps = info.work_size, info.fps
        files = output.files
        self.blur = InBackground(ClipWriter(files["Blur"], size, fps, audio_from=source))
        self.exact = InBackground(LosslessMattes(files["mattes"], None, fps))

    def close(self) -> None:
        """Close both (each writer's thread joined), then raise the first failure."""
        failures = []
        for writer in (self.blur, self.exact):
            try:
                writer.close()
            except Exception as failure:  # noqa: BLE001 - raised below, after the other
                failures.append(failure)
        if failures:
            raise failures[0]


def overlay_size(size: tuple[int, int]) -> tuple[int, int]:
    """(w, h) of the overlay clip of frames of ``size``: at most OVERLAY_MAX_SIDE, even."""
    scale = min(1.0, OVERLAY_MAX_SIDE / max(size))
    return max(2, int(size[0] * scale) // 2 * 2), max(2, int(size[1] * scale) // 2 * 2)


def write_view(source: Path, info: ClipInfo, mattes: Path, view: str, target: Path) -> Path:
    """The Matte or Overlay clip of a pass, from its exact mattes and the source's frames
    (their times, and for the overlay their pixels), written to ``target`` (atomically)."""
    assert view in ("Matte", "Overlay"), view
    size = info.work_size if view == "Matte" else overlay_size(info.work_size)
    making = target.with_name(f"making-{target.name}")
    try:
        with ClipWriter(making, size, info.fps) as writer:
            exact = read_mattes(mattes, info.work_size)
            for frame, matte in zip(read_frames(source, info.work_size), exact, strict=False):
                if view == "Matte":
                    writer.write(matte, frame.time_s)
                    continue
                small_rgb = cv2.resize(frame.rgb, size, interpolation=cv2.INTER_AREA)
                small_alpha = to_alpha(cv2.resize(matte, size, interpolation=cv2.INTER_AREA))
                writer.write(mask_overlay(small_rgb, small_alpha), frame.time_s)
        making.replace(target)
    finally:
        making.unlink(missing_ok=True)
    return target


class LosslessMattes:
    """Mattes kept exactly (FFV1, grey), to score or blur again without the model. The file
    takes the first matte's size (a model's own: smaller than the frame, and resized as
    read_mattes resizes it), or ``size``; nothing is written before the first matte."""

    def __init__(self, path: Path, size: tuple[int, int] | None, fps: float) -> None:
        self._path, self._size, self._rate = path, size, round(fps) or 25
        self._out = self._stream = None
        self._index = 0

    def write(self, matte: np.ndarray) -> None:
        if self._out is None:
            self._out = av.open(str(self._path), "w", format="matroska")
            self._stream = self._out.add_stream("ffv1", rate=self._rate)
            self._stream.width, self._stream.height = self._size or matte.shape[::-1]
            self._stream.pix_fmt = "gray"
        frame = av.VideoFrame.from_ndarray(matte, format="gray")
        frame.pts, self._index = self._index, self._index + 1
        for packet in self._stream.encode(frame):
            self._out.mux(packet)

    def close(self) -> None:
        if self._out is None:
            return
        for packet in self._stream.encode():
            self._out.mux(packet)
        self._out.close()


def read_mattes(path: Path, size: tuple[int, int] | None = None) -> Iterator[np.ndarray]:
    """The exact mattes a pass kept, in order (HxW uint8), at ``size`` (w, h) if given:
    resized as the pass resized the model's mattes, so the same mattes."""
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            matte = frame.to_ndarray(format="gray")
            if size is not None and matte.shape[::-1] != tuple(size):
                matte = cv2.resize(matte, size, interpolation=cv2.INTER_LINEAR)
            yield matte


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
    in order. Never raises: a failure (the model's, a frame that will not decode, a file
    that cannot be written) comes back as the Outcome's error, and the partial files are
    removed (as after a cancel)."""
    outcome = Outcome(outputs)
    started = time.perf_counter()
    writers: list[_Writers] = []
    frames = read_frames(source, info.work_size)
    sigma = strength_sigma(look.strength, (info.work_size[1], info.work_size[0]))
    drawn: deque[tuple[_Writers, Frame, np.ndarray, Future]] = deque()
    try:
        writers.extend(_Writers(output, info, source) for output in outputs)
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
                        full, made = _score(output, frame, matte, true)
                        render = compositor.submit(_draw, frame, full, sigma, look, soft)
                        drawn.append((files, frame, made, render))
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
    except Exception as failure:  # noqa: BLE001 - a clip must never stop the session's runs
        log.exception("A pass over %s failed", source.name)
        outcome.error = unexpected(failure)
    finally:
        frames.close()
        for files in writers:
            try:
                files.close()
            except Exception as failure:  # noqa: BLE001 - close every writer, keep the first
                outcome.error = outcome.error or unexpected(failure)
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


def _score(output: Output, frame: Frame, matte: np.ndarray, true) -> tuple[np.ndarray, ...]:
    """The output's matte of the frame at the frame's size (steadied if it steadies),
    scored: the steps that must see the frames in order. Also the matte to keep: the
    model's own (smaller) one, or the steadied one."""
    h, w = frame.rgb.shape[:2]
    made = matte
    if matte.shape != (h, w):
        matte = cv2.resize(matte, (w, h), interpolation=cv2.INTER_LINEAR)
    if output.steadier is not None:
        matte = made = output.steadier.smooth(frame.rgb, matte)
    output.flicker.add(frame.rgb, matte)
    output.times.append(frame.time_s)
    if output.truth is not None and true is not None:
        output.truth.add(matte, true)
    return matte, made


def _draw(frame: Frame, matte: np.ndarray, sigma: float, look: Look, soft: bool) -> np.ndarray:
    """The blurred frame: any frame, on any thread."""
    alpha = to_alpha(matte)
    return BlurPlan(frame.rgb, alpha, soft, look.clean_edges).render(sigma, look.lens)


def _write(files: _Writers, frame: Frame, matte: np.ndarray, drawn: Future) -> None:
    files.blur.write(drawn.result(), frame.time_s)
    files.exact.write(matte)
