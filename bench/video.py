"""`uv run python -m bench video`: frames per second over a clip, end to end.

On the demo clip (1280x720, evaluation.video.session.demo_clip), with each model's worker
already started and loaded (a first run's start is printed apart):
- the Video page's pipeline (evaluation.video.pipeline: decode, the model in the shared
  pool in batches, blur, encode the blurred, matte and overlay clips and the exact mattes),
  for the offline default model and every in-box model;
- against the same frames through the still-photo pipeline, in the same run: each frame
  encoded as a JPEG upload, one pool run per frame as the Compare page does, the blur
  (blur.blur_background) and the blurred frame encoded as a JPEG, one after another.
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

DEFAULT_MODEL = "mediapipe_selfie_landscape"  # the in-box model made for landscape video
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


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench video", description=__doc__)
    parser.add_argument("--models", nargs="+", default=None, help="keys (default: in-box)")
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
    finally:
        pool.shutdown()
    fps = rows[DEFAULT_MODEL]
    mark = "met" if fps >= TARGET_FPS else "NOT met"
    print(f"\nTarget: {DEFAULT_MODEL} end to end >= {TARGET_FPS:.0f} frames/s: {fps:.1f}, {mark}")
    return 0
