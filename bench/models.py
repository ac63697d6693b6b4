"""`uv run python -m bench models`: seconds per photo of every model ready here (the in-box
networks, and any downloaded one), as the app runs them: through the model pool, in their
worker, with the registry's input policy, on the sample portrait and on a 12 MP JPEG.

The reference, timed in the same run: the rembg package's own `remove(..., only_mask=True)`
with U^2-Net-p on the same photos (the masks are equal; see tests/test_u2net.py).

`--cpu-paths`: the heavy families' CPU paths (ONNX Runtime, int8, bf16) against eager fp32
on their real architectures with random weights (bench/cpu_paths.py).
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from PIL import Image

from models import hub, registry
from models.paths import asset_file
from photo.samples import sample_path
from service import ModelPool, PhotoFile

REPEATS = 5


def photos() -> dict[str, PhotoFile]:
    sample = sample_path()
    large = Image.open(sample).convert("RGB").resize((4000, 3000), Image.Resampling.BICUBIC)
    buffer = io.BytesIO()
    large.save(buffer, "JPEG", quality=90)
    return {
        "sample 512x512": PhotoFile(sample.name, sample.read_bytes()),
        "12 MP JPEG": PhotoFile("large.jpg", buffer.getvalue()),
    }


def ready_models() -> list[registry.ModelSpec]:
    return [spec for spec in registry.REGISTRY if hub.availability(spec) == hub.READY]


def pool_seconds(pool: ModelPool, spec, photo: PhotoFile) -> tuple[float, float]:
    """Median (wall seconds the caller waited, the model's own inference seconds)."""
    pool.run(spec, photo, "cpu")  # loaded; the in-box worker keeps this photo decoded, as it
    # does for the in-box models that follow one another on a photo in the app
    walls, inferences = [], []
    for _ in range(REPEATS):
        start = time.perf_counter()
        result = pool.run(spec, photo, "cpu")
        walls.append(time.perf_counter() - start)
        inferences.append(result.inference_s)
    return statistics.median(walls), statistics.median(inferences)


def rembg_seconds(photo: PhotoFile) -> float:
    """The rembg package's U^2-Net-p on the decoded photo, median seconds per mask."""
    from rembg import new_session, remove

    home = tempfile.mkdtemp()
    shutil.copy(asset_file("u2netp.onnx"), home)
    os.environ["U2NET_HOME"] = home
    session = new_session("u2netp")
    image = Image.open(io.BytesIO(photo.data)).convert("RGB")
    remove(image, session=session, only_mask=True)
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        remove(image, session=session, only_mask=True)
        times.append(time.perf_counter() - start)
    shutil.rmtree(home)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench models", description=__doc__)
    parser.add_argument("--cpu-paths", action="store_true",
                        help="only the heavy families' CPU paths (bench/cpu_paths.py)")
    parser.add_argument("--birefnet-code", type=Path, help="a clone of BiRefNet's GitHub repo")
    parser.add_argument("--ben2-code", type=Path, help="a folder with BEN2.py (PramaLLC/BEN2)")
    parser.add_argument("--family", action="append", help="only these families (repeatable)")
    parser.add_argument("--repeats", type=int, default=3, help="timed rounds per path")
    parser.add_argument("--path", action="append", choices=("onnx", "int8", "bf16"),
                        help="only these paths beside eager (repeatable; default: all)")
    args = parser.parse_args(argv)
    if args.cpu_paths:
        from bench import cpu_paths

        paths = tuple(args.path) if args.path else cpu_paths.PATHS
        cpu_paths.run(args.birefnet_code, args.ben2_code, args.family, args.repeats, paths)
        return 0
    specs, inputs = ready_models(), photos()
    print(f"Seconds per photo on the CPU ({os.cpu_count()} cores), median of {REPEATS}, warm")
    header = f"{'model':<28} {'photo':<15} {'waited s':>8} {'network s':>9}"
    print(header + "\n" + "-" * len(header))
    pool = ModelPool(gpu_budget_mb=0)
    try:
        for spec in specs:
            for name, photo in inputs.items():
                wall, inference = pool_seconds(pool, spec, photo)
                print(f"{spec.label:<28} {name:<15} {wall:>8.3f} {inference:>9.3f}", flush=True)
    finally:
        pool.shutdown()
    for name, photo in inputs.items():
        seconds = rembg_seconds(photo)
        print(f"{'reference: rembg u2netp':<28} {name:<15} {seconds:>8.3f} {'':>9}")
    return 0
