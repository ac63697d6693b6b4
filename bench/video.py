"""`uv run python -m bench video`: frames per second over a clip, end to end.

On the demo clip (1280x720, evaluation.video.session.demo_clip), with each model's worker
already started and loaded (a first run's start is printed apart):
- the Video page's pipeline (evaluation.video.pipeline: decode, the model in the shared
  pool in batches, blur, encode the blurred, matte and overlay clips and the exact mattes),
  for the offline default model and every in-box model;
- against the same frames through the still-photo pipeline, in the same run: each frame
  encoded as a JPEG upload, one pool run per frame as the Compare page does, the blur
  (blur.blur_background) and the blurred frame encoded as a JPEG, one after another.
And memory: the server process's peak resident memory over a 10 s and a 60 s clip
(the demo scene at 1280x720, made longer), which stays flat as frames are streamed.
Nothing here is asserted by the test suite.
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
from pathlib import Path

from PIL import Image

from blur import blur_background
from evaluation.video.clip import probe, read_frames
from evaluation.video.pipeline import Look
from evaluation.video.session import VideoSession, demo_clip
from models.registry import REGISTRY, get_spec
from service.pool import ModelPool, PhotoFile

DEFAULT_MODEL = next(spec.key for spec in REGISTRY if spec.default)  # the first ticked
TARGET_FPS = 30.0


def video_fps(pool: ModelPool, clip: Path, key: str, folder: Path) -> tuple[float, float]:
    """(end-to-end, model) frames per second of the Video page's pipeline for ``key``."""
    session = VideoSession(pool, folder=folder)
    session.use_clip(clip, probe(clip))
    session.submit([get_spec(key)], "cpu", steady=False, look=Look())
    session.wait()
    (result,) = session.results()
    return result.fps, result.model_fps


def still_fps(pool: ModelPool, clip: Path, key: str) -> float:
    """Frames per second of the same frames as photos, one after another."""
    spec, info = get_spec(key), probe(clip)
    frames = 0
    start = time.perf_counter()
    for frame in read_frames(clip, info.work_size):
        upload = io.BytesIO()
        Image.fromarray(frame.rgb).save(upload, "JPEG", quality=92)
        result = pool.run(spec, PhotoFile(f"{frame.index}.jpg", upload.getvalue()), "cpu")
        blurred = blur_background(frame.rgb, result.alpha_at(frame.rgb.shape[:2]))
        Image.fromarray(blurred).save(io.BytesIO(), "JPEG", quality=92)
        frames += 1
    return frames / (time.perf_counter() - start)


def long_demo(path: Path, seconds: float) -> Path:
    """The demo scene for ``seconds`` at 1280x720 and 25 frames/s, encoded as a clip."""
    from evaluation.video import demo
    from evaluation.video.clip import ClipWriter

    with ClipWriter(path, (1280, 720), 25) as writer:
        for index, (rgb, _) in enumerate(demo.demo_frames((1280, 720), seconds, 25)):
            writer.write(rgb, index / 25)
    return path


def peak_rss_mb(pool: ModelPool, clip: Path, folder: Path) -> tuple[float, float]:
    """(resident MB before, peak resident MB during) this process's pass over ``clip``."""
    import threading

    import psutil

    process = psutil.Process()
    before, peak, done = process.memory_info().rss, [0], threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], process.memory_info().rss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    video_fps(pool, clip, DEFAULT_MODEL, folder)
    done.set()
    sampler.join()
    return before / 2**20, peak[0] / 2**20


def memory(pool: ModelPool, folder: Path) -> None:
    print("\nMemory: this process's resident memory over a pass (the model runs in its worker)")
    for seconds in (10, 60):
        clip = long_demo(folder / f"long-{seconds}.mp4", seconds)
        before, peak = peak_rss_mb(pool, clip, folder / f"memory-{seconds}")
        print(f"{seconds:>3} s clip ({seconds * 25} frames): {before:.0f} MB before, "
              f"peak {peak:.0f} MB (+{peak - before:.0f} MB)")  # fmt: skip


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench video", description=__doc__)
    parser.add_argument("--models", nargs="+", default=None, help="keys (default: in-box)")
    parser.add_argument("--memory", action="store_true", help="also memory over 10 and 60 s")
    args = parser.parse_args(argv)
    keys = args.models or [spec.key for spec in REGISTRY if spec.default]
    if DEFAULT_MODEL in keys:
        keys.remove(DEFAULT_MODEL)
    keys.insert(0, DEFAULT_MODEL)
    clip, _ = demo_clip()
    info = probe(clip)
    print(f"\nVideo: the demo clip, {info.width}x{info.height}, {info.frame_count} frames")
    pool = ModelPool()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            folder = Path(scratch)
            first, _ = video_fps(pool, clip, DEFAULT_MODEL, folder / "first")
            print(f"first run of {DEFAULT_MODEL} (worker start and load included): "
                  f"{first:.1f} frames/s")  # fmt: skip
            reference = still_fps(pool, clip, DEFAULT_MODEL)
            print(f"\n{'model':<28} {'frames/s':>9} {'model f/s':>10} {'x photo loop':>13}")
            rows = {}
            for key in keys:
                video_fps(pool, clip, key, folder / f"warm-{key}")  # its worker started
                fps, model_fps = video_fps(pool, clip, key, folder / key)
                rows[key] = fps
                ratio = f"{fps / reference:.1f}x" if key == DEFAULT_MODEL else ""
                print(f"{key:<28} {fps:>9.1f} {model_fps:>10.1f} {ratio:>13}")
            print(f"{'photo loop, ' + DEFAULT_MODEL:<28} {reference:>9.1f}")
            if args.memory:
                memory(pool, folder)
    finally:
        pool.shutdown()
    fps = rows[DEFAULT_MODEL]
    mark = "met" if fps >= TARGET_FPS else "NOT met"
    print(f"\nTarget: {DEFAULT_MODEL} end to end >= {TARGET_FPS:.0f} frames/s: {fps:.1f}, {mark}")
    return 0
