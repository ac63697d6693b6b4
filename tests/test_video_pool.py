"""A clip's frames through the shared model pool: several frames per worker call, and a
model's state carried from frame to frame of one clip, never into the next."""

from __future__ import annotations

import numpy as np

from models.registry import get_spec
from models.runtime import run_model
from service.pool import ModelPool


def frames_of(rgb: np.ndarray, count: int) -> np.ndarray:
    return np.stack([np.roll(rgb, 4 * i, axis=1) for i in range(count)])


def test_a_batch_of_frames_gives_what_the_model_gives_each_frame(astronaut_rgb):
    spec = get_spec("mediapipe_selfie")
    frames = frames_of(astronaut_rgb[::2, ::2].copy(), 3)
    pool = ModelPool()
    try:
        result = pool.run_frames(spec, "clip", 0, frames, "cpu")
    finally:
        pool.shutdown()
    assert result.ok and result.mattes.shape == frames.shape[:3]
    assert result.mattes.dtype == np.uint8 and result.inference_s > 0
    from PIL import Image

    for frame, matte in zip(frames, result.mattes, strict=True):
        alone = run_model(spec, Image.fromarray(frame), "cpu")
        assert np.abs(alone.matte.astype(int) - matte).max() <= 1
    assert pool.jobs[(spec.key, "cpu")] == 3


def test_a_models_state_runs_through_a_clip_and_restarts_with_the_next(add_standin_model):
    spec = add_standin_model("counts", "Counts")
    frames = np.zeros((4, 8, 8, 3), np.uint8)
    pool = ModelPool()
    try:
        first = pool.run_frames(spec, "clip-a", 0, frames, "cpu")
        second = pool.run_frames(spec, "clip-a", 4, frames, "cpu")
        other = pool.run_frames(spec, "clip-b", 0, frames[:2], "cpu")
        again = pool.run_frames(spec, "clip-a", 0, frames[:1], "cpu")
    finally:
        pool.shutdown()
    assert [int(m[0, 0]) for m in first.mattes] == [0, 1, 2, 3]
    assert [int(m[0, 0]) for m in second.mattes] == [4, 5, 6, 7]
    assert [int(m[0, 0]) for m in other.mattes] == [0, 1]
    assert [int(m[0, 0]) for m in again.mattes] == [0]  # from its first frame: afresh


def test_a_failing_model_fails_the_batch_with_its_message(add_standin_model, standin_flags):
    spec = add_standin_model("square-broken", "Broken square")
    (standin_flags / "square-broken.broken").touch()
    pool = ModelPool()
    try:
        result = pool.run_frames(spec, "clip", 0, np.zeros((2, 8, 8, 3), np.uint8), "cpu")
    finally:
        pool.shutdown()
    assert not result.ok and "not downloaded yet" in result.error and result.mattes is None


def test_two_clips_in_turn_each_keep_their_state_and_a_lost_state_says_so(add_standin_model):
    spec = add_standin_model("counts", "Counts")
    frames = np.zeros((2, 8, 8, 3), np.uint8)
    pool = ModelPool()
    try:
        a0 = pool.run_frames(spec, "clip-a", 0, frames, "cpu")
        b0 = pool.run_frames(spec, "clip-b", 0, frames, "cpu")
        a2 = pool.run_frames(spec, "clip-a", 2, frames, "cpu")  # another session's in between
        b2 = pool.run_frames(spec, "clip-b", 2, frames, "cpu")
        gap = pool.run_frames(spec, "clip-a", 9, frames, "cpu")  # its frames 4-8 never came
    finally:
        pool.shutdown()
    assert [int(m[0, 0]) for r in (a0, a2) for m in r.mattes] == [0, 1, 2, 3]
    assert [int(m[0, 0]) for r in (b0, b2) for m in r.mattes] == [0, 1, 2, 3]
    assert not gap.ok and "run it again" in gap.error
