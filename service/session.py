"""One user's photos, results and model runs, with no UI: the app keeps one per browser session.

Runs happen on a background thread, one job after another, through the shared model pool;
each result is stored the moment it arrives, so a rerun of the page (a slider, another
upload) never loses a finished result and never stops the running one. Failures are shown
but never count as done: submitting again retries exactly them.

Memory is bounded per session: a photo is kept once, as its uploaded bytes, plus a
display-size preview; results keep uint8 mattes. Over the byte budget the oldest photos'
previews are dropped first (decoded again when shown), then their mattes are packed as PNG.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from typing import TypeVar

import cv2
import numpy as np

import blur
from blur.mask_controls import MaskControls, adjust_matte
from models.registry import ModelSpec
from models.runtime import ModelResult, runs_on
from photo.decode import Photo, decode_photo
from service import memory
from service.pool import JobState, ModelPool, PhotoFile
from service.runs import run_spec

PREVIEW_MAX_SIDE = 1280  # what the browser gets; full resolution is for downloads only
SESSION_BUDGET_ENV = "PORTRAIT_BLUR_SESSION_MB"
DEFAULT_SESSION_MB = 256

ResultKey = tuple[str, str, str]  # (photo id, model key, device it ran on)
T = TypeVar("T")
START_S = 2.0  # a model worker's start and load, before it is measured: an estimate
VIEW_SHARE = 0.5  # of the session budget, at most, for views (derived images, blur plans)


@dataclass(frozen=True)
class ViewKey:
    """What a kept view (an image, a blur plan, an adjusted matte) is made from: its photo,
    the result it shows (None: the photo alone) and everything else it depends on."""

    photo_id: str
    result: ResultKey | None
    what: tuple[Hashable, ...]


def session_budget_bytes() -> int:
    return int(float(os.environ.get(SESSION_BUDGET_ENV, DEFAULT_SESSION_MB)) * 2**20)


class StoredPhoto:
    """An upload kept once, encoded, with a display-size preview that can be dropped."""

    def __init__(self, photo_id: str, title: str, folder: str, file: PhotoFile) -> None:
        self.id = photo_id
        self.title = title  # tab title, unique among the uploads
        self.folder = folder  # safe name for files and archives, unique among the uploads
        self.file = file
        decoded = decode_photo(file.data, file.name, draft_side=PREVIEW_MAX_SIDE)
        self.size: tuple[int, int] = decoded.full_size  # (w, h) at full resolution
        self.notes = decoded.notes
        self._preview: np.ndarray | None = self._fit(decoded.image)
        # The user's true matte of the photo (uint8, full size), to score the models against;
        # its version is part of every view made from it.
        self.truth: np.ndarray | None = None
        self.truth_version = 0

    @staticmethod
    def _fit(image) -> np.ndarray:
        return blur.fit_within(np.asarray(image), PREVIEW_MAX_SIDE)[0]

    @property
    def preview(self) -> np.ndarray:
        """The photo at most PREVIEW_MAX_SIDE pixels on a side (decoded again if dropped)."""
        preview = self._preview
        if preview is None:
            draft = decode_photo(self.file.data, self.file.name, draft_side=PREVIEW_MAX_SIDE)
            preview = self._preview = self._fit(draft.image)
        return preview

    @property
    def preview_scale(self) -> float:
        """Preview pixels per full-resolution pixel."""
        return self.preview.shape[1] / self.size[0]

    def full_photo(self) -> Photo:
        """The photo at full resolution with its EXIF, decoded for this call only (downloads)."""
        return decode_photo(self.file.data, self.file.name)

    def full_rgb(self) -> np.ndarray:
        return np.asarray(self.full_photo().image)

    def drop_preview(self) -> int:
        freed = self._preview.nbytes if self._preview is not None else 0
        self._preview = None
        return freed

    def set_truth(self, matte: np.ndarray | None) -> None:
        self.truth = matte
        self.truth_version += 1

    @property
    def nbytes(self) -> int:
        held = (self._preview, self.truth)
        return len(self.file.data) + sum(a.nbytes for a in held if a is not None)


@dataclass
class Job:
    """One model on one photo, asked for by this session."""

    photo: StoredPhoto
    spec: ModelSpec
    device: str  # the device asked for
    state: JobState | None = None  # None while it waits in this session's own queue
    cancelled: bool = False

    @property
    def key(self) -> ResultKey:
        return result_key(self.photo.id, self.spec, self.device)


def result_key(photo_id: str, spec: ModelSpec, device: str) -> ResultKey:
    """Where a result is kept: per photo, model and the device it ran on; a refined
    result also per its base model's device (a CPU refiner of a CUDA mask is not one of the
    same model's CPU mask)."""
    on = runs_on(spec, device)
    if spec.base is not None:
        on = f"{runs_on(spec.base, device)}>{on}"
    return (photo_id, spec.key, on)


def size_of(value: object) -> int:
    """Bytes held by a cached view: an array, bytes, or anything with ``nbytes``."""
    if isinstance(value, bytes | bytearray):
        return len(value)
    if isinstance(value, tuple | list):
        return sum(size_of(part) for part in value)
    return int(getattr(value, "nbytes", 0))


def _pack(matte: np.ndarray) -> bytes:
    ok, png = cv2.imencode(".png", matte, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    assert ok, "PNG encoding of a uint8 matte cannot fail"
    return png.tobytes()


def _unpack(png: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_UNCHANGED)


class Session:
    """Photos, results and runs of one user. Thread-safe; holds no UI objects."""

    def __init__(
        self,
        pool: ModelPool,
        budget_bytes: int | None = None,
        page_open: Callable[[], bool] | None = None,
        grace_s: float = 120.0,
    ) -> None:
        """``page_open`` says whether the user's page is still connected (None: always);
        once it has said no for ``grace_s`` seconds, the janitor closes the session."""
        self.pool = pool
        self.budget_bytes = session_budget_bytes() if budget_bytes is None else budget_bytes
        self._page_open, self._grace_s = page_open, grace_s
        self._closed_since: float | None = None  # when the page was first seen closed
        self.closed = False
        self._lock = threading.Lock()
        self._photos: dict[str, StoredPhoto] = {}  # oldest first
        self._results: dict[ResultKey, ModelResult] = {}
        self._packed: dict[ResultKey, bytes] = {}  # PNG mattes of results over the budget
        self._views: OrderedDict[ViewKey, tuple[object, int]] = OrderedDict()  # LRU last
        self._view_bytes = 0
        self._queue: deque[Job] = deque()
        self._running: Job | None = None
        self._worker: threading.Thread | None = None
        self.finished = 0  # results stored so far: the UI reruns when it grows
        self._batch = [0, 0]  # jobs done, jobs asked for since the queue was last empty
        memory.track(self)

    # Photos

    def add_photo(self, photo_id: str, title: str, folder: str, file: PhotoFile) -> StoredPhoto:
        """Decode and keep an upload; raises photo.PhotoError for a file that is no photo."""
        photo = StoredPhoto(photo_id, title, folder, file)
        with self._lock:
            self._photos[photo_id] = photo
        self._fit_budget()
        return photo

    def photo(self, photo_id: str) -> StoredPhoto | None:
        with self._lock:
            return self._photos.get(photo_id)

    def photos(self) -> list[StoredPhoto]:
        with self._lock:
            return list(self._photos.values())

    def keep_only(self, photo_ids: set[str]) -> None:
        """Forget every other photo at once: its bytes, preview, results and queued jobs."""
        with self._lock:
            gone = [p for p in self._photos if p not in photo_ids]
            for photo_id in gone:
                del self._photos[photo_id]
            for key in [k for k in self._results if k[0] not in photo_ids]:
                self._results.pop(key)
                self._packed.pop(key, None)
            self._drop_views(lambda key: key.photo_id not in photo_ids)
            for job in self._queue:
                job.cancelled |= job.photo.id not in photo_ids
            self._queue = deque(job for job in self._queue if not job.cancelled)
            if self._running is not None and self._running.photo.id not in photo_ids:
                self._running.cancelled = True
        if gone:
            memory.release_memory()

    def close(self) -> None:
        """Forget everything at once: queued jobs, photos, results and views."""
        self.cancel()
        self.keep_only(set())
        self.closed = True

    def close_if_abandoned(self, now: float | None = None) -> bool:
        """Close the session if its page has been gone for the grace time (a page that
        reconnects within it finds everything); True if it is closed now."""
        if self._page_open is None:
            return False
        now = time.monotonic() if now is None else now
        if self._page_open():  # back again: a later leave closes it again
            self._closed_since, self.closed = None, False
            return False
        if self.closed:
            return True
        if self._closed_since is None:
            self._closed_since = now
        if now - self._closed_since >= self._grace_s:
            self.close()
        return self.closed

    # Results

    def result(
        self, photo_id: str, spec: ModelSpec, device: str, mask: MaskControls | None = None
    ) -> ModelResult | None:
        """The result of ``spec`` on the photo, its matte with ``mask`` applied (kept as a
        view: the page asks for every result on every rerun)."""
        key = result_key(photo_id, spec, device)
        result = self._result_at(key)
        if result is None or result.matte is None or mask is None or mask.identity:
            return result
        matte = result.matte
        adjusted = self.view(
            ViewKey(photo_id, key, ("adjusted", mask)), lambda: adjust_matte(matte, mask)
        )
        return replace(result, matte=adjusted)

    def done(self, photo_id: str) -> list[tuple[ResultKey, ModelResult]]:
        """The photo's successful results, oldest first (their mattes as the models made
        them)."""
        with self._lock:
            keys = [k for k, r in self._results.items() if k[0] == photo_id and r.ok]
        return [(key, result) for key in keys if (result := self._result_at(key)) is not None]

    def _result_at(self, key: ResultKey) -> ModelResult | None:
        with self._lock:
            result, packed = self._results.get(key), self._packed.get(key)
        if result is not None and packed is not None:
            matte = self.view(ViewKey(key[0], key, ("unpacked",)), lambda: _unpack(packed))
            result = replace(result, matte=matte)
        return result

    def nbytes(self) -> int:
        """Bytes this session holds: photos, previews, mattes (packed or not), views."""
        with self._lock:
            photos = sum(p.nbytes for p in self._photos.values())
            mattes = sum(r.nbytes for r in self._results.values())
            packed = sum(len(png) for png in self._packed.values())
            return photos + mattes + packed + self._view_bytes

    # Views

    def view(self, key: ViewKey, make: Callable[[], T]) -> T:
        """``make()``, kept under ``key`` until its photo is removed, its result replaced,
        or, least recently used first, the views outgrow their share of the budget. For
        what a page shows again on every rerun."""
        assert isinstance(key, ViewKey), key
        with self._lock:
            if key in self._views:
                self._views.move_to_end(key)
                return self._views[key][0]  # type: ignore[return-value]
        value = make()
        size = size_of(value)
        with self._lock:
            if key.photo_id in self._photos and key not in self._views:
                self._views[key] = (value, size)
                self._view_bytes += size
                limit = VIEW_SHARE * self.budget_bytes
                while self._view_bytes > limit and len(self._views) > 1:
                    self._view_bytes -= self._views.popitem(last=False)[1][1]
        return value

    def _drop_views(self, gone: Callable[[ViewKey], bool]) -> None:
        for key in [k for k in self._views if gone(k)]:
            self._view_bytes -= self._views.pop(key)[1]

    # Runs

    def submit(self, photo_ids: list[str], specs: list[ModelSpec], device: str) -> int:
        """Queue every (photo, model) without a successful result that is not already
        queued or running; returns how many were queued."""
        with self._lock:
            waiting = {job.key for job in self._queue}
            if self._running is not None:
                waiting.add(self._running.key)
            else:
                self._batch = [0, 0]
            queued = 0
            for photo_id in photo_ids:
                photo = self._photos.get(photo_id)
                if photo is None:
                    continue
                for spec in specs:
                    job = Job(photo, spec, device)
                    done = self._results.get(job.key)
                    if job.key in waiting or (done is not None and done.ok):
                        continue
                    self._queue.append(job)
                    waiting.add(job.key)
                    queued += 1
            self._batch[1] += queued
            if queued and (self._worker is None or not self._worker.is_alive()):
                self._worker = threading.Thread(target=self._work, name="session-runs", daemon=True)
                self._worker.start()
            return queued

    def pending(self) -> list[Job]:
        """The running job first, then the queued ones."""
        with self._lock:
            running = [self._running] if self._running is not None else []
            return running + list(self._queue)

    def seconds_left(self) -> float:
        """What the pending jobs take by the registry's figures: the runs to come, plus a
        start for each model not loaded yet, in seconds."""
        return sum(
            job.spec.seconds(runs_on(job.spec, job.device))
            + (0.0 if self.pool.ready(job.spec, job.device) else START_S)
            for job in self.pending()
        )

    def progress(self) -> float:
        """The share of the jobs asked for since the queue was last empty that are done."""
        with self._lock:
            done, asked = self._batch
        return done / asked if asked else 1.0

    @property
    def busy(self) -> bool:
        with self._lock:
            return self._running is not None or bool(self._queue)

    def cancel(self) -> None:
        """Drop the queued jobs; the running one finishes and its result is kept."""
        with self._lock:
            for job in self._queue:
                job.cancelled = True
            self._batch[1] -= len(self._queue)
            self._queue.clear()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no job is left (tests and the CLI); False on timeout."""
        worker = self._worker
        if worker is not None:
            worker.join(timeout)
        return not self.busy

    def _next(self) -> Job | None:
        with self._lock:
            self._running = self._queue.popleft() if self._queue else None
            return self._running

    def _work(self) -> None:
        while (job := self._next()) is not None:
            spec, photo = job.spec, job.photo
            base = self.result(photo.id, spec.base, job.device) if spec.base else None
            result = run_spec(
                self.pool, spec, photo.file, job.device, base,
                on_state=lambda state, job=job: setattr(job, "state", state),
                cancelled=lambda job=job: job.cancelled,
            )  # fmt: skip
            with self._lock:
                if result is not None and job.photo.id in self._photos:
                    self._results[job.key] = result
                    self._packed.pop(job.key, None)
                    self._drop_views(lambda key, done=job.key: key.result == done)
                    self.finished += 1
                self._batch[0] += 1
                self._running = None
            self._fit_budget()

    def _fit_budget(self) -> None:
        """Drop views, then the oldest photos' previews, then pack their mattes, until
        under budget."""
        over = self.nbytes() - self.budget_bytes
        if over <= 0:
            return
        with self._lock:
            while over > 0 and self._views:
                size = self._views.popitem(last=False)[1][1]
                self._view_bytes -= size
                over -= size
            older = list(self._photos.values())[:-1]  # the newest photo keeps everything
            for photo in older:
                if over <= 0:
                    return
                over -= photo.drop_preview()
            for photo in older:
                for key, result in self._results.items():
                    if over <= 0:
                        return
                    if key[0] == photo.id and result.matte is not None:
                        self._packed[key] = _pack(result.matte)
                        self._results[key] = replace(result, matte=None)
                        over -= result.matte.nbytes - len(self._packed[key])
