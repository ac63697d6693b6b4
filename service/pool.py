"""The model pool: every session's models, each in a worker process the pool can kill.

One worker per (model, device), shared by all sessions and the CLI; the small in-box
networks share one worker (their registry entries name a ``worker_group``), so a run of
all of them pays one process start. A job leases its
worker while it waits and runs; only workers nobody leases are stopped, least recently
used first, when a new model would not fit the memory budget. The timeout is counted from
the moment the model starts on the photo, never from the queue; a model that hangs or
crashes is killed (its memory goes back to the system) and the next job starts afresh.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

import psutil

from models import devices, hub
from models.registry import ModelSpec
from models.runtime import Guide, ModelResult, runs_on
from service.environment import worker_environment
from service.protocol import (
    Done,
    Download,
    Failed,
    FramesDone,
    FromWorker,
    Load,
    Run,
    RunFrames,
    Stage,
)  # fmt: skip

log = logging.getLogger("portrait_blur.pool")

POLL_S = 0.1
LOAD_STALL_S = 300.0  # a load (download, build) with no progress for this long is killed
# The CPU fast path's one-off export traces the model and optimises its graph: a few eager
# runs' worth of work (models.cpu_fast), allowed beside the load's own limit.
EXPORT_RUNS = 4
STAGES = {"load": "loading", "prepare": "preparing", "run": "running"}  # Stage -> JobState
RAM_BUDGET_ENV = "PORTRAIT_BLUR_MODEL_MEMORY_MB"
RAM_SHARE = 0.5  # default budget: half the machine's memory, the rest for sessions
GPU_SHARE = 0.9
CUDA_RAM_MB = 1500  # host memory of a CUDA worker before it is measured


def _resident_peak_mb(process: subprocess.Popen | None) -> float:
    """Linux's high-water mark of a process's resident memory (VmHWM); 0 elsewhere."""
    try:
        status = Path(f"/proc/{process.pid}/status").read_text()
    except (OSError, AttributeError):
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def ram_need_mb(spec: ModelSpec, device: str) -> float:
    """Host memory a worker for ``spec`` on ``device`` plans for."""
    return CUDA_RAM_MB if device == "cuda" else spec.memory_mb


def memory_shortfall(worker: Worker, spec: ModelSpec) -> str | None:
    """The message for ``spec`` when its worker would not fit in the memory free now (the
    machine's, and on CUDA the GPU's), else None: it is refused before it starts rather
    than letting the system kill the server or CUDA fail halfway."""
    need = ram_need_mb(spec, worker.device)
    free = psutil.virtual_memory().available / 2**20
    if need > free:
        log.warning("Refused %s: needs ~%.0f MB, %.0f MB free", spec.label, need, free)
        return (
            f"{spec.label} needs about {need / 1024:.1f} GB of memory to run, and "
            f"{free / 1024:.1f} GB is free on this machine now. Untick models you are not "
            "using, close other programs, or pick a smaller model."
        )
    if worker.device != "cuda" or worker.alive:
        return None  # a running worker already holds its GPU memory
    gpu_free = devices.gpu_free_mb()
    if gpu_free is None or spec.memory_mb <= gpu_free:
        return None
    log.warning("Refused %s on CUDA: needs ~%.0f MB, %.0f MB free", spec.label,
                spec.memory_mb, gpu_free)  # fmt: skip
    return (
        f"{spec.label} needs about {spec.memory_mb / 1024:.1f} GB of GPU memory, and the GPU "
        f"has {gpu_free / 1024:.1f} GB free now (other programs or models hold the rest). "
        "Choose CPU as the compute device, close other GPU programs, or untick models."
    )


@dataclass(frozen=True)
class PhotoFile:
    """A photo as uploaded: its name and encoded bytes (the worker decodes it itself)."""

    name: str
    data: bytes


@dataclass(frozen=True)
class JobState:
    """Where a job is: queued (``ahead`` jobs before it), starting, downloading, loading,
    running."""

    stage: str
    since: float  # time.monotonic() when the stage began
    ahead: int = 0
    done_bytes: int = 0
    total_bytes: int = 0


StateListener = Callable[[JobState], None]


@dataclass
class FramesResult:
    """One model's mattes of a batch of a clip's frames (N x H x W uint8), or why not."""

    spec: ModelSpec
    device: str
    mattes: object = None  # np.ndarray; None when failed
    inference_s: float = 0.0
    load_s: float = 0.0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def default_ram_budget_mb() -> int:
    configured = os.environ.get(RAM_BUDGET_ENV)
    if configured:
        return int(configured)
    return int(psutil.virtual_memory().total / 2**20 * RAM_SHARE)


def default_gpu_budget_mb() -> int:
    import torch

    if not torch.cuda.is_available():
        return 0
    return int(torch.cuda.get_device_properties(0).total_memory / 2**20 * GPU_SHARE)


class Worker:
    """One model (or one worker group's models) on one device in a child process, and how
    many jobs hold it."""

    def __init__(self, key: str, device: str) -> None:
        self.key = key  # the entries' worker_key
        self.specs: dict[str, ModelSpec] = {}  # the entries it has been given, by key
        self.device = device
        self.turn = threading.Lock()  # one photo at a time
        self.leases = 0  # jobs waiting for or running on this worker; guarded by the pool
        self.last_used = 0.0
        # The process's high-water mark of resident memory (VmHWM; elsewhere the highest
        # resident memory seen after a job), measured after each job: what memory_mb plans
        # for. A sample of the resident memory at the answer would depend on whether the
        # worker had freed the photo's decode yet, so the budget would vary with the load.
        self.held_mb = 0.0
        self.peak_mb = 0.0  # the highest held_mb of any of its processes
        self.loaded: set[str] = set()  # keys of the models loaded in the process
        self.process: subprocess.Popen | None = None
        self.conn: Connection | None = None

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def label(self) -> str:
        return ", ".join(spec.label for spec in self.specs.values()) or self.key

    def planned_mb(self) -> float:
        """The registry's memory plan of the models it holds."""
        return float(sum(spec.memory_mb for spec in self.specs.values()))

    @property
    def ram_mb(self) -> float:
        """What the budget counts: the registry's plan, or more if measured so."""
        if self.process is None:
            return 0.0
        planned = CUDA_RAM_MB if self.device == "cuda" else self.planned_mb()
        return max(self.held_mb, planned)

    @property
    def gpu_mb(self) -> float:
        return self.planned_mb() if self.process and self.device == "cuda" else 0.0

    def stale(self, spec: ModelSpec) -> bool:
        """The registry entry changed since this worker was given it (tests edit entries)."""
        return self.specs.get(spec.key, spec) != spec

    def start(self) -> None:
        ours, theirs = socket.socketpair()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "service.worker", str(theirs.fileno())],
            pass_fds=(theirs.fileno(),),
            env=worker_environment(),
            stdin=subprocess.DEVNULL,
            stdout=2,  # the worker's prints go to the server's log, never into a protocol
        )
        theirs.close()
        self.conn = Connection(ours.detach())
        self.conn.send(Load(self.device))
        self.loaded = set()
        self.held_mb = 0.0

    def measure(self) -> None:
        resident = 0.0
        with contextlib.suppress(psutil.Error, AttributeError):
            resident = psutil.Process(self.process.pid).memory_info().rss / 2**20
        self.held_mb = max(self.held_mb, resident, _resident_peak_mb(self.process))
        self.peak_mb = max(self.peak_mb, self.held_mb)

    def kill(self) -> None:
        """Kill the process only; the thread running a job on it sees the pipe close."""
        process = self.process
        if process is not None and process.poll() is None:
            process.kill()

    def stop(self) -> None:
        """Kill at once (a hung model may never answer), then reap the process. Only for
        the thread holding the worker's turn, or a worker nobody leases."""
        process, conn = self.process, self.conn
        self.process, self.conn, self.loaded, self.held_mb = None, None, set(), 0.0
        if conn is not None:
            conn.close()
        if process is not None:
            if process.poll() is None:
                process.kill()
            process.wait()

    def how_it_ended(self) -> str:
        """Its exit, for a message; a closed pipe may come a moment before the exit."""
        code = None
        if self.process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                code = self.process.wait(timeout=2)
        if code is None:
            return "it stopped answering"
        if code < 0:
            return f"killed by signal {signal.Signals(-code).name}"
        return f"exit code {code}"


class ModelPool:
    """Runs models for every session and the CLI; thread-safe."""

    def __init__(
        self,
        ram_budget_mb: float | None = None,
        gpu_budget_mb: float | None = None,
        load_stall_s: float = LOAD_STALL_S,
    ) -> None:
        self.ram_budget_mb = default_ram_budget_mb() if ram_budget_mb is None else ram_budget_mb
        self._gpu_budget_mb = gpu_budget_mb
        self.load_stall_s = load_stall_s
        self._lock = threading.Lock()
        self._workers: dict[tuple[str, str], Worker] = {}
        self.jobs: Counter[tuple[str, str]] = Counter()  # photos handed to each model
        self.starts: Counter[tuple[str, str]] = Counter()  # processes started per worker_key

    @property
    def gpu_budget_mb(self) -> float:
        if self._gpu_budget_mb is None:
            self._gpu_budget_mb = default_gpu_budget_mb()
        return self._gpu_budget_mb

    def run(
        self,
        spec: ModelSpec,
        photo: PhotoFile,
        device: str,
        on_state: StateListener | None = None,
        cancelled: Callable[[], bool] | None = None,
        guide: Guide | None = None,
    ) -> ModelResult | None:
        """One model on one photo (a refiner: on ``guide``'s mask of it). Never raises:
        failures come back as the result's error. None when ``cancelled()`` turned true
        while the job was still queued."""
        run_on = runs_on(spec, device)
        result = ModelResult(spec=spec, device=run_on)

        def message(hub_online: bool) -> Run:
            return Run(spec.runner, photo.name, photo.data, hub_online, guide)

        # One worker per refiner, whatever it refines.
        result = self._job(spec.runner, run_on, message, result, on_state, cancelled)
        if result is not None:
            result.spec = spec
        return result

    def run_frames(
        self,
        spec: ModelSpec,
        clip_id: str,
        first: int,
        frames,
        device: str,
        on_state: StateListener | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> FramesResult | None:
        """One model on consecutive frames of a clip (N x H x W x 3 uint8 RGB, ``first``
        the clip's index of the first): their mattes. Never raises; None when
        ``cancelled()`` turned true while the job was still queued."""
        run_on = runs_on(spec, device)

        def message(hub_online: bool) -> RunFrames:
            return RunFrames(spec, clip_id, first, frames, hub_online)

        result = FramesResult(spec=spec, device=run_on)
        return self._job(spec, run_on, message, result, on_state, cancelled, len(frames))

    def _job(self, spec, run_on, message, result, on_state, cancelled, photos: int = 1):
        """Lease ``spec``'s worker, wait for its turn, send ``message(hub_online)`` and
        fill ``result`` from the answer."""
        offline = hub.offline_reason(spec)
        if offline:
            result.error = offline
            return result
        hub_online = hub.hub_reachable() if spec.repo else True
        report = on_state or (lambda state: None)
        worker = self._lease(spec, run_on)
        try:
            if not self._wait_turn(worker, report, cancelled or (lambda: False)):
                return None
            try:
                return self._run_on(worker, spec, message(hub_online), result, report, photos)
            finally:
                worker.turn.release()
        finally:
            with self._lock:
                worker.leases -= 1
                worker.last_used = time.monotonic()

    def ready(self, spec: ModelSpec, device: str) -> bool:
        """Whether ``spec`` is loaded in a live worker on ``device``: its next run pays no
        process start and no load."""
        runner = spec.runner
        with self._lock:
            worker = self._workers.get((runner.worker_key, runs_on(runner, device)))
            return worker is not None and worker.alive and runner.key in worker.loaded

    def jobs_under_way(self) -> int:
        """Jobs of every session waiting for or running on a model now."""
        with self._lock:
            return sum(worker.leases for worker in self._workers.values())

    def peak_mb(self, key: str, device: str) -> float:
        """The highest resident memory measured of the worker that ran model ``key`` on
        ``device`` (a group's worker: with all the models it holds)."""
        with self._lock:
            for worker in self._workers.values():
                if worker.device == device and key in worker.specs:
                    return worker.peak_mb
            return 0.0

    def loaded(self) -> list[tuple[str, str, float]]:
        """(model key, device, the MB its worker counts in the budget) of each live model."""
        with self._lock:
            return [(key, w.device, w.ram_mb) for w in self._workers.values() if w.alive
                    for key in w.loaded]  # fmt: skip

    def worker_pids(self) -> dict[tuple[str, str], int]:
        """The process of each live worker, by (worker_key, device)."""
        with self._lock:
            return {k: w.process.pid for k, w in self._workers.items() if w.alive}

    def shutdown(self) -> None:
        """Kill every worker now; never waits for a model to finish."""
        with self._lock:
            workers = list(self._workers.values())
        for worker in workers:
            if worker.turn.acquire(blocking=False):
                worker.stop()
                worker.turn.release()
            else:
                worker.kill()  # its job's thread reaps it and reports the end

    def _lease(self, spec: ModelSpec, device: str) -> Worker:
        with self._lock:
            worker = self._workers.get((spec.worker_key, device))
            if worker is None or worker.stale(spec):
                if worker is not None and worker.leases == 0:
                    worker.stop()  # the registry entry changed: a fresh worker for it
                worker = self._workers[(spec.worker_key, device)] = Worker(spec.worker_key, device)
            worker.specs[spec.key] = spec
            worker.leases += 1
            return worker

    def _wait_turn(self, worker: Worker, report: StateListener, cancelled) -> bool:
        if worker.turn.acquire(blocking=False):
            return True
        since = time.monotonic()
        while not worker.turn.acquire(timeout=POLL_S * 2):
            if cancelled():
                return False
            with self._lock:
                ahead = worker.leases - 1
            report(JobState("queued", since, ahead=max(ahead, 1)))
        return True

    def _make_room(self, worker: Worker) -> None:
        """Stop unleased workers, least recently used first, until ``worker`` fits."""
        ram_need = CUDA_RAM_MB if worker.device == "cuda" else worker.planned_mb()
        gpu_need = worker.planned_mb() if worker.device == "cuda" else 0
        with self._lock:
            others = [w for w in self._workers.values() if w.alive and w is not worker]
            for victim in sorted(others, key=lambda w: w.last_used):
                if self._fits(others, ram_need, gpu_need):
                    break
                if victim.leases == 0:
                    log.info(
                        "Unloading %s (%s, %.0f MB) to make room for %s",
                        victim.label, victim.device, victim.ram_mb, worker.label,
                    )  # fmt: skip
                    victim.stop()
                    others.remove(victim)
            if not self._fits(others, ram_need, gpu_need):
                log.warning(
                    "Loading %s beyond the model memory budget (%.0f MB): the models in use "
                    "cannot be unloaded now", worker.label, self.ram_budget_mb,
                )  # fmt: skip

    def _fits(self, workers: list[Worker], ram_need: float, gpu_need: float) -> bool:
        ram = sum(w.ram_mb for w in workers) + ram_need
        if ram > self.ram_budget_mb:
            return False
        return gpu_need == 0 or sum(w.gpu_mb for w in workers) + gpu_need <= self.gpu_budget_mb

    def _run_on(self, worker: Worker, spec: ModelSpec, message, result, report, photos: int):
        """``message`` (a Run or RunFrames of ``photos`` images) on ``worker``, its answer
        written into ``result``."""
        started = time.monotonic()
        if not worker.alive:
            if worker.process is not None:
                log.warning("%s's worker on %s had died since its last job (%s); restarting it",
                            spec.label, worker.device, worker.how_it_ended())  # fmt: skip
                worker.stop()
            report(JobState("starting", started))
            self._make_room(worker)
            short = memory_shortfall(worker, spec)
            if short:
                result.error = short
                return result
            worker.start()
            self.starts[(worker.key, worker.device)] += 1
        self.jobs[(spec.key, worker.device)] += photos
        try:
            worker.conn.send(message)
            ran_from = self._follow(worker, spec, result, report, photos)
            if result.load_s:  # the user waited for the process and its imports too
                result.load_s = max(result.load_s, ran_from - started)
            return result
        except (EOFError, OSError):
            result.error = self._crashed(worker, spec)
            return result

    def _stall_limit(self, spec: ModelSpec, stage: JobState) -> float:
        """Seconds a stage other than running may go without news before the worker is
        stopped: an export gets a few of the model's exact runs more."""
        if stage.stage == "preparing":
            return self.load_stall_s + EXPORT_RUNS * spec.seconds(devices.EXACT_CPU)
        return self.load_stall_s

    def _follow(self, worker: Worker, spec: ModelSpec, result, report, photos: int) -> float:
        """Relay the worker's progress on ``spec`` until it answers (into ``result``), or kill
        it when it takes too long (``photos`` times a photo's limit); returns when the model
        started on the job."""
        conn = worker.conn
        stage = JobState("running" if spec.key in worker.loaded else "loading", time.monotonic())
        while True:
            if not conn.poll(POLL_S):
                if not worker.alive:
                    result.error = self._crashed(worker, spec)
                    return stage.since
                waited = time.monotonic() - stage.since
                limit = photos * spec.timeout(worker.device)
                if stage.stage == "running" and waited > limit:
                    result.error = self._timed_out(worker, spec, waited, limit, photos)
                    return stage.since
                if stage.stage != "running" and waited > self._stall_limit(spec, stage):
                    result.error = self._stalled(worker, spec, waited)
                    return stage.since
                continue
            message: FromWorker = conn.recv()
            if isinstance(message, Stage):
                stage = JobState(STAGES[message.stage], time.monotonic())
                report(stage)
            elif isinstance(message, Download):
                stage = JobState("downloading", time.monotonic(), 0, message.done_bytes,
                                 message.total_bytes)  # fmt: skip
                report(stage)
            elif isinstance(message, Done | FramesDone):
                if isinstance(message, Done):
                    result.matte = message.matte
                else:
                    result.mattes = message.mattes
                result.inference_s, result.load_s = message.inference_s, message.load_s
                worker.loaded.add(spec.key)
                worker.measure()
                return stage.since
            elif isinstance(message, Failed):
                result.error = message.message
                log.error("%s failed on %s:\n%s", spec.label, worker.device, message.traceback)
                if message.out_of_memory:
                    worker.stop()  # give the memory back to the models that come next
                return stage.since
            else:
                raise AssertionError(f"not a worker message: {message!r}")

    def _timed_out(
        self, worker: Worker, spec: ModelSpec, waited: float, limit: float, photos: int
    ) -> str:
        log.error("%s on %s ran %.0f s, over its %.0f s limit: killed", spec.label,
                  worker.device, waited, limit)  # fmt: skip
        worker.stop()
        return (
            f"{spec.label} took longer than {limit:g} s on "
            f"{'this photo' if photos == 1 else f'{photos} frames of the clip'} and was stopped "
            "(its memory is freed; the next run starts it afresh). Try a smaller "
            f"{'photo' if photos == 1 else 'clip'}, CUDA or MPS, or untick it."
        )

    def _stalled(self, worker: Worker, spec: ModelSpec, waited: float) -> str:
        log.error("%s made no loading progress for %.0f s: killed", spec.label, waited)
        worker.stop()
        return (
            f"{spec.label} made no progress loading for {waited:.0f} s and was stopped. "
            "Check the network and the server log, then run it again."
        )

    def _crashed(self, worker: Worker, spec: ModelSpec) -> str:
        how = worker.how_it_ended()
        log.error("%s's worker on %s died (%s); see its output above", spec.label,
                  worker.device, how)  # fmt: skip
        worker.stop()
        return (
            f"{spec.label} crashed ({how}) and was stopped; the next run starts it afresh. "
            "The server log has the details."
        )


_shared: ModelPool | None = None
_shared_lock = threading.Lock()


def shared_pool() -> ModelPool:
    """The process's one pool, used by every Streamlit session (and the CLI)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = ModelPool()
            atexit.register(_shared.shutdown)  # server exit never waits for a model
        return _shared


def reset_shared_pool() -> None:
    """Stop every worker of the shared pool and forget it (tests that change the setup)."""
    global _shared
    with _shared_lock:
        pool, _shared = _shared, None
    if pool is not None:
        pool.shutdown()
        atexit.unregister(pool.shutdown)
