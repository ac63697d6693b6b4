"""The evaluation on a Ray cluster: the photos as a Ray Data dataset, streamed through one
long-lived actor per model and GPU (or CPU worker), each row kept by the driver the moment
it arrives. Each actor runs its model exactly as the app and the in-process evaluation do,
through its own model pool (a worker process with the registry's timeouts and memory
checks), and the scoring is the same function (evaluation.run.score_photo).

Ray is optional (uv sync --extra cluster). Photos travel inside the dataset, so workers
need no shared folder; each node needs this project installed and, for Hub models, either
internet or the models in its Hugging Face cache (HF_HUB_CACHE on shared storage works).
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sys
from pathlib import Path

import numpy as np

from blur.arrays import to_alpha, to_matte
from evaluation.dataset import Item
from evaluation.run import Progress, Results, keep, pending, score_photo
from models.registry import ModelSpec

log = logging.getLogger(__name__)


class RayMissing(RuntimeError):
    pass


def connect(address: str, cpus: int | None = None) -> None:
    """Join the cluster at ``address`` ("auto": the one this machine belongs to, or if it
    belongs to none, one started here; "local": one started here with ``cpus`` CPUs),
    unless this process already has."""
    try:
        import ray
    except ImportError:
        raise RayMissing(
            "--ray needs Ray, which is not installed: run `uv sync --extra cluster` (or "
            "`pip install 'ray[data]'`) in the project folder."
        ) from None
    if ray.is_initialized():
        return
    from service.environment import worker_variables

    runtime_env = {"env_vars": worker_variables()}
    if address == "auto":
        try:
            ray.init(address="auto", runtime_env=runtime_env, log_to_driver=False)
            return
        except ConnectionError:
            print("No Ray cluster is running on this machine: starting one here.",
                  file=sys.stderr)  # fmt: skip
            address = "local"
    if address == "local":
        ray.init(num_cpus=cpus, include_dashboard=False, runtime_env=runtime_env,
                 log_to_driver=False)  # fmt: skip
    else:
        ray.init(address=address, runtime_env=runtime_env, log_to_driver=False)


class ModelActor:
    """One model on one device, for the life of the evaluation: scores the photos Ray Data
    hands it, one at a time."""

    def __init__(self, spec: ModelSpec, device: str) -> None:
        from service import ModelPool

        self.spec, self.device = spec, device  # the spec itself: no registry lookup there
        self.pool = ModelPool()

    def __call__(self, batch: dict) -> dict:
        from service import PhotoFile

        rows, pngs = [], []
        for name, file, data, truth in zip(batch["name"], batch["file"], batch["data"],
                                           batch["truth"], strict=True):  # fmt: skip
            result = self.pool.run(self.spec, PhotoFile(str(file), bytes(data)), self.device)
            worker_mb = self.pool.peak_mb(self.spec.key, result.device)
            alpha = to_alpha(np.asarray(truth, np.uint8))
            row, png = score_photo(self.spec, str(name), alpha, result, worker_mb)
            rows.append(json.dumps(row))
            pngs.append(png or b"")
        return {"row": rows, "png": pngs}

    def __del__(self) -> None:
        pool = getattr(self, "pool", None)
        if pool is not None:
            pool.shutdown()


def evaluate_on_ray(items: list[Item], specs: list[ModelSpec], device: str, out: Path,
                    workers: int = 1,
                    progress: Progress = lambda text, runs: None) -> Results:  # fmt: skip
    """evaluation.run.evaluate on the cluster ``connect`` joined: ``workers`` actors per
    model (each holding one GPU on CUDA), rows kept as they arrive."""
    import ray

    # The command's own bar counts the photos.
    ray.data.DataContext.get_current().enable_progress_bars = False
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    out.mkdir(parents=True, exist_ok=True)
    results = Results(out)
    jobs: dict[str, list[dict]] = {spec.key: [] for spec in specs}
    for item, data, truth, todo in pending(items, specs, results, progress):
        matte = to_matte(truth)
        for spec in todo:
            jobs[spec.key].append(
                {"name": item.name, "file": item.image.name, "data": data, "truth": matte}
            )
    for spec in specs:
        if not jobs[spec.key]:
            continue
        scored = ray.data.from_items(jobs[spec.key]).map_batches(
            ModelActor,
            fn_constructor_kwargs={"spec": spec, "device": device},
            batch_size=1,
            compute=ray.data.ActorPoolStrategy(size=workers),
            num_gpus=1 if device == "cuda" else 0,
            num_cpus=1,
        )
        arrived = set()
        try:
            with quiet("ray.data"):  # its traceback of our error is said in one line below
                for row in scored.iter_rows():
                    record = json.loads(row["row"])
                    keep(results, out, record, row["png"] or None)
                    arrived.add(record["image"])
                    progress(f"{record['image']} · {spec.label} (Ray)", 1)
        except ray.exceptions.RayError as error:  # the other models still run
            log.debug("%s failed on Ray", spec.key, exc_info=error)
            message = cluster_failure(spec, error)
            for job in jobs[spec.key]:
                if job["name"] not in arrived:  # tried again on a rerun, as any failure
                    keep(results, out, {"image": job["name"], "model": spec.key,
                                        "error": message}, None)  # fmt: skip
                    progress(f"{job['name']} · {spec.label} (Ray)", 1)
    return results


@contextlib.contextmanager
def quiet(logger_name: str):
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


# The last line of a Python traceback: the error raised on the node.
RAISED = re.compile(r"^[\w.]*(Error|Exception|Exit|Interrupt)\b(: .*)?$")


def reported(error: BaseException) -> list[BaseException]:
    """``error`` and what it was raised from, outermost first (Ray wraps a node's error in
    its own, and Ray Data wraps that again)."""
    chain: list[BaseException] = []
    while error is not None and error not in chain:
        chain.append(error)
        cause = getattr(error, "cause", None)
        error = cause if isinstance(cause, BaseException) else error.__cause__ or error.__context__
    return chain


def cluster_failure(spec: ModelSpec, error: Exception) -> str:
    """One line for a model that Ray could not run: the error raised on the node (Ray's
    message ends with that node's traceback) and, if the model's actor could not even
    start, the usual fix."""
    import ray

    raised = [
        line.strip()
        for told in reported(error)
        for line in str(told).splitlines()
        if RAISED.match(line.strip()) and not line.strip().startswith("ray.")
    ]
    cause = raised[-1] if raised else type(error).__name__
    if isinstance(error, ray.exceptions.ActorDiedError) and "creation task" in str(error):
        return (
            f"{spec.label} could not start on the Ray cluster ({cause}). Every node needs "
            "this project and its packages as on this machine (`uv sync --extra cluster` "
            "in the project's folder there); the node's Ray log has the details."
        )
    return f"{spec.label} failed on the Ray cluster ({cause}); the node's Ray log has the details."
