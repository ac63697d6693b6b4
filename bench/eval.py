"""`uv run python -m bench eval`: evaluation throughput, in this process and on local Ray.

The synthetic set (evaluation.synthetic) through MediaPipe Selfie: photos per second in
this process (the reference), then on a Ray instance started here with one and with two
actors, each from a fresh output folder, in the same run. Ray's own start-up is timed apart.
Nothing here is asserted by the test suite.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from evaluation import cluster, run, synthetic
from evaluation.dataset import pair_files
from models.registry import get_spec
from service import ModelPool, PhotoFile


def dataset(count: int, folder: Path):
    synthetic.write(count, folder / "images", folder / "mattes")
    items, problems = pair_files(folder / "images", folder / "mattes")
    assert not problems, problems
    return items


def in_process(items, spec, out: Path) -> float:
    pool = ModelPool()
    try:
        pool.run(spec, PhotoFile(items[0].image.name, items[0].image.read_bytes()), "cpu")
        start = time.perf_counter()

        def run_model(spec, name, data):
            result = pool.run(spec, PhotoFile(name, data), "cpu")
            return result, pool.peak_mb(spec.key, result.device)

        run.evaluate(items, [spec], run_model, out)
        return time.perf_counter() - start
    finally:
        pool.shutdown()


def on_ray(items, spec, out: Path, workers: int) -> float:
    start = time.perf_counter()
    cluster.evaluate_on_ray(items, [spec], "cpu", out, workers)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench eval", description=__doc__)
    parser.add_argument("--photos", type=int, default=40)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="bench-eval-"))
    items, spec = dataset(args.photos, folder), get_spec("mediapipe_selfie")
    print(f"\nEvaluation of MediaPipe Selfie on {len(items)} synthetic 512x512 photos "
          "(scoring included):")  # fmt: skip
    here = in_process(items, spec, folder / "here")
    print(f"  {'in this process (reference)':<32} {len(items) / here:6.1f} photos/s  1.00x")
    start = time.perf_counter()
    cluster.connect("local", cpus=2)
    print(f"  (local Ray started in {time.perf_counter() - start:.1f} s, two CPUs)")
    for workers in (1, 2):
        seconds = on_ray(items, spec, folder / f"ray-{workers}", workers)
        print(f"  {f'local Ray, {workers} actor(s)':<32} {len(items) / seconds:6.1f} photos/s  "
              f"{here / seconds:.2f}x")  # fmt: skip
    return 0
