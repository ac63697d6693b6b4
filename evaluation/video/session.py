"""One user's clip and its results, with no UI: the Video page keeps one per browser session.

Models run one after another on a background thread, each over every frame of the clip in
the shared model pool (several frames per worker call); a finished model's result is kept
until the clip changes, whatever the page does, and a cancel stops only the running one
(its partial files are removed). Files live in a folder of the session's own, removed when
the session closes.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import time
import uuid
import weakref
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import av
import cv2
import numpy as np

from evaluation.video.clip import ClipError, ClipInfo, probe
from evaluation.video.pipeline import (
    Cancelled,
    Look,
    ModelFailed,
    Outcome,
    Output,
    batch_size,
    model_side,
    outputs_for,
    process_clip,
    read_mattes,
    result_key,
    unexpected,
    write_view,
)  # fmt: skip
from evaluation.video.scores import FlickerMeter, TruthMeter
from models.registry import ModelSpec
from models.runtime import runs_on
from service.pool import JobState, ModelPool

log = logging.getLogger("portrait_blur.video")

START_S = 2.0  # a model worker's start and load, before it is measured


@dataclass
class ClipResult:
    """One model's result on the clip (or a steadied one): its files and scores."""

    key: str
    label: str
    spec: ModelSpec
    device: str
    files: dict[str, Path]
    frames: int
    fps: float  # end to end on ``device``: decode, model, blur, encode
    model_fps: float  # the model alone
    flicker: FlickerMeter
    truth: TruthMeter | None
    look: Look
    times: list[float]  # each frame's time, in seconds (a variable rate's own)

    def scores(self) -> dict[str, object]:
        """The result's row of scores: speed, flicker (per mille of alpha, and the share of
        frames that jump, in percent) and, with true mattes, RVM's MAD, MSE and dtSSD."""
        row: dict[str, object] = {
            "Result": self.label,
            "Device": self.device.upper(),
            "Frames/s": round(self.fps, 1),
            "Model frames/s": round(self.model_fps, 1),
            "Flicker ‰": round(self.flicker.mean * 1e3, 2),
            "Jumps %": round(self.flicker.jump_share * 100, 1),
        }
        if self.truth is not None and self.truth.frames:
            row.update({name: round(value, 2) for name, value in self.truth.summary().items()})
        return row


@dataclass
class ClipJob:
    """One model over the clip, asked for by this session."""

    spec: ModelSpec
    device: str
    steady: bool
    look: Look
    frames_done: int = 0
    started: float | None = None  # time.monotonic() of its first frame's batch
    state: JobState | None = None
    cancelled: bool = False

    @property
    def keys(self) -> list[str]:
        keys = [result_key(self.spec.key, False)]
        return keys + [result_key(self.spec.key, True)] if self.steady else keys


@dataclass
class Truth:
    """True mattes of the clip's frames: a matte video, or PNGs in name order."""

    video: Path | None = None
    images: list[Path] = field(default_factory=list)

    def frames(self) -> Iterator[np.ndarray]:
        if self.video is not None:
            with av.open(str(self.video)) as container:
                for frame in container.decode(video=0):
                    yield frame.to_ndarray(format="gray")
            return
        for path in self.images:
            yield cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)


def score_against(truth: Truth | None, mattes: Path, size: tuple[int, int]) -> TruthMeter | None:
    """Kept mattes (at the clip's work ``size``) scored against ``truth``, frame by frame."""
    if truth is None:
        return None
    meter = TruthMeter()
    for matte, true in zip(read_mattes(mattes, size), truth.frames(), strict=False):
        meter.add(matte, true)
    return meter


class VideoSession:
    """A clip, its true mattes if given, the results and the runs of one user."""

    def __init__(self, pool: ModelPool, folder: Path | None = None, per_clip: bool = True) -> None:
        """Files go in ``folder`` (a new temporary one by default), in a subfolder per clip
        unless not ``per_clip`` (the CLI: one clip, its results side by side)."""
        self.pool = pool
        self.folder = folder or Path(tempfile.mkdtemp(prefix="portrait-blur-video-"))
        if folder is None:  # a folder of its own goes when the session does (a page closed)
            weakref.finalize(self, shutil.rmtree, self.folder, True)
        self._per_clip = per_clip
        self._lock = threading.Lock()
        self._views_lock = threading.Lock()  # one view made at a time, once
        self.clip: Path | None = None
        self.info: ClipInfo | None = None
        self.clip_id = ""
        self.truth: Truth | None = None
        self._results: dict[str, ClipResult] = {}
        self._errors: dict[str, str] = {}  # model key -> why its last run failed
        self._queue: deque[ClipJob] = deque()
        self._running: ClipJob | None = None
        self._thread: threading.Thread | None = None
        self.finished = 0  # results stored so far: the page reruns when it grows

    # The clip

    def set_clip(self, name: str, data: bytes) -> ClipInfo:
        """Keep an uploaded clip (a new one forgets the last one's results); raises
        ClipError for a file that is no usable clip, keeping the current one."""
        suffix = Path(name).suffix.lower() or ".mp4"
        path = self.folder / f"upload-{uuid.uuid4().hex[:8]}{suffix}"
        path.write_bytes(data)
        try:
            info = probe(path, name)
        except ClipError:
            path.unlink(missing_ok=True)
            raise
        self.use_clip(path, info)
        return info

    def use_clip(
        self, path: Path | None, info: ClipInfo | None, truth: Truth | None = None
    ) -> None:
        """Work on the clip at ``path`` (None: no clip), forgetting the last one's results."""
        self.cancel(running=True)
        with self._lock:
            old, old_id = self.clip, self.clip_id
            self.clip, self.info, self.truth = path, info, truth
            self.clip_id = uuid.uuid4().hex
            self._results, self._errors = {}, {}
            in_use = self._running is not None
        if old_id and not in_use:  # else the running job's end removes them
            self._discard(old_id, old)

    def _discard(self, clip_id: str, clip: Path | None) -> None:
        """A clip no longer used: its results' files (and the upload, if it was one)."""
        if self._per_clip:
            shutil.rmtree(self.folder / clip_id[:8], ignore_errors=True)
        if clip is not None and clip.parent == self.folder and clip != self.clip:
            clip.unlink(missing_ok=True)

    def set_truth(self, truth: Truth | None) -> None:
        """New true mattes: every finished result is scored against them at once, from the
        exact mattes it kept (no model runs again); the runs to come score as they go."""
        with self._lock:
            self.truth = truth
            if self.info is None:
                return
            results, size = list(self._results.values()), self.info.work_size
        for result in results:
            result.truth = score_against(truth, result.files["mattes"], size)

    # Results

    def results(self) -> list[ClipResult]:
        with self._lock:
            return list(self._results.values())

    def view_file(self, result: ClipResult, view: str) -> Path:
        """``result``'s clip in ``view``: the blurred one as written, the matte and overlay
        ones made from its exact mattes on first use (a second or so per 100 frames)."""
        path = result.files[view]
        with self._views_lock:
            if not path.exists():
                write_view(self.clip, self.info, result.files["mattes"], view, path)
        return path

    def errors(self) -> dict[str, str]:
        with self._lock:
            return dict(self._errors)

    # Runs

    def submit(self, specs: list[ModelSpec], device: str, steady: bool, look: Look) -> int:
        """Queue every model whose results (with this look, steadied if asked) are missing;
        returns how many were queued."""
        with self._lock:
            if self.clip is None:
                return 0
            waiting = {job.spec.key for job in self._queue}
            if self._running is not None and not self._running.cancelled:
                waiting.add(self._running.spec.key)
            queued = 0
            for spec in specs:
                job = ClipJob(spec, device, steady, look)
                have = all(self._has(key, job) for key in job.keys)
                if spec.key in waiting or have:
                    continue
                self._queue.append(job)
                queued += 1
            if queued and self._thread is None:  # _next forgets it as it finds none left
                self._thread = threading.Thread(target=self._work, name="clip-runs", daemon=True)
                self._thread.start()
            return queued

    def _has(self, key: str, job: ClipJob) -> bool:
        done = self._results.get(key)
        return (done is not None and done.look == job.look
                and done.device == runs_on(job.spec, job.device))  # fmt: skip

    def pending(self) -> list[ClipJob]:
        with self._lock:
            running = [self._running] if self._running is not None else []
            return running + list(self._queue)

    @property
    def busy(self) -> bool:
        return bool(self.pending())

    def frames_total(self) -> int:
        return self.info.frame_count if self.info else 0

    def seconds_left(self, job: ClipJob) -> float:
        """The job's time left: from its measured time per frame once a batch is back,
        else from the registry's figures."""
        left = max(0, self.frames_total() - job.frames_done)
        if job.started is not None and job.frames_done:
            return left * (time.monotonic() - job.started) / job.frames_done
        per_frame = job.spec.seconds(runs_on(job.spec, job.device))
        return left * per_frame + (0.0 if self.pool.ready(job.spec, job.device) else START_S)

    def cancel(self, running: bool = True) -> None:
        """Drop the queued models and, with ``running``, stop the running one (its partial
        files are removed; finished models are kept)."""
        with self._lock:
            for job in self._queue:
                job.cancelled = True
            self._queue.clear()
            if running and self._running is not None:
                self._running.cancelled = True

    def wait(self, timeout: float | None = None) -> bool:
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return not self.busy

    def close(self) -> None:
        self.cancel()
        self.wait(30)
        shutil.rmtree(self.folder, ignore_errors=True)

    def _next(self) -> ClipJob | None:
        with self._lock:
            self._running = self._queue.popleft() if self._queue else None
            if self._running is None:
                self._thread = None  # a submit from now on starts a new thread
            return self._running

    def _work(self) -> None:
        while (job := self._next()) is not None:
            with self._lock:
                clip, info, clip_id, truth = self.clip, self.info, self.clip_id, self.truth
            try:
                outputs, outcome = self._run(job, clip, info, clip_id, truth)
            except Exception as failure:  # noqa: BLE001 - the next models still run
                log.exception("%s failed on the clip", job.spec.label)
                outputs, outcome = [], Outcome([], error=unexpected(failure))
            with self._lock:
                if clip_id == self.clip_id:
                    self._keep(job, outputs, outcome, truth)
                    clip_id = None
                self._running = None
            if clip_id is not None:  # the clip changed while it ran: nothing of it is kept
                self._discard(clip_id, clip)

    def _run(self, job: ClipJob, clip: Path, info: ClipInfo, clip_id: str, truth):
        """One model's pass over the clip, into a folder of its own (a result shown now
        is never overwritten by the next run of the same model)."""
        where = self.folder / clip_id[:8] if self._per_clip else self.folder
        if self._per_clip:
            where = where / uuid.uuid4().hex[:8]
        outputs = outputs_for(job.spec.key, job.spec.label, where, job.steady, truth is not None)
        where.mkdir(parents=True, exist_ok=True)
        return outputs, process_clip(
                clip, info, self._segmenter(job, clip_id), outputs,
                soft=job.spec.soft_mask,
                model_max_side=model_side(job.spec.input_size, job.spec.photo_max_side),
                look=job.look, batch=batch_size(job.spec.seconds(runs_on(job.spec, job.device))),
                truth=truth.frames() if truth else None,
                on_frames=lambda done, job=job: setattr(job, "frames_done", done),
                cancelled=lambda job=job: job.cancelled,
            )  # fmt: skip

    def _keep(self, job: ClipJob, outputs: list[Output], outcome, truth) -> None:
        """Keep a finished pass's results (their files replace an earlier run's; its scores
        against true mattes given while it ran are made now), or its error."""
        if outcome.error:
            self._errors[job.spec.key] = outcome.error
            return
        if outcome.cancelled:
            return
        self._errors.pop(job.spec.key, None)
        device = runs_on(job.spec, job.device)
        for output in outputs:
            if self.truth is not truth:
                output.truth = score_against(
                    self.truth, output.files["mattes"], self.info.work_size
                )
            replaced = self._results.get(output.key)
            if replaced is not None and self._per_clip:
                for path in replaced.files.values():
                    path.unlink(missing_ok=True)
            self._results[output.key] = ClipResult(
                output.key, output.label, job.spec, device, output.files, outcome.frames,
                outcome.fps, outcome.model_fps, output.flicker, output.truth, job.look,
                output.times,
            )  # fmt: skip
        self.finished += 1

    def _segmenter(self, job: ClipJob, clip_id: str):
        def segment(frames: np.ndarray, first: int) -> np.ndarray:
            if job.started is None:
                job.started = time.monotonic()
            result = self.pool.run_frames(
                job.spec, clip_id, first, frames, job.device,
                on_state=lambda state: setattr(job, "state", state),
                cancelled=lambda: job.cancelled,
            )  # fmt: skip
            if result is None:
                raise Cancelled()
            if not result.ok:
                raise ModelFailed(result.error)
            return result.mattes

        return segment


DEMO_NAME = "demo clip (synthetic).mp4"
DEMO_VERSION = 1  # bump when demo.demo_frames changes: the cached files are made again
DEMO_SIZE, DEMO_FPS, DEMO_SECONDS = (1280, 720), 25, 4.0


def demo_clip(folder: Path | None = None) -> tuple[Path, Truth]:
    """The offline demo clip and its exact true mattes, made on first use (about a second)
    and kept in ``folder`` (the system's temporary folder by default) for every session."""
    from evaluation.video import demo
    from evaluation.video.clip import ClipWriter
    from evaluation.video.pipeline import LosslessMattes

    folder = folder or Path(tempfile.gettempdir()) / f"portrait-blur-demo-v{DEMO_VERSION}"
    clip, truth = folder / DEMO_NAME, folder / "demo-truth.mkv"
    if not (clip.exists() and truth.exists()):
        folder.mkdir(parents=True, exist_ok=True)
        making = folder / f"making-{uuid.uuid4().hex[:8]}"
        making.mkdir()
        size, fps = DEMO_SIZE, DEMO_FPS
        with ClipWriter(making / clip.name, size, fps) as frames:
            mattes = LosslessMattes(making / truth.name, size, fps)
            for index, (rgb, matte) in enumerate(demo.demo_frames(size, DEMO_SECONDS, fps)):
                frames.write(rgb, index / fps)
                mattes.write(matte)
            mattes.close()
        for made in (truth, clip):  # the clip last: its presence says both are whole
            (making / made.name).replace(made)
        making.rmdir()
    return clip, Truth(video=truth)
