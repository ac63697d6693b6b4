"""The synthetic demo clip: a moving cut-out over a panning photo, with its exact alpha."""

from __future__ import annotations

import numpy as np
import pytest

from evaluation.video.demo import NOTICE, DemoScene, composite, demo_frames, frame_count

SIZE = (320, 180)  # (width, height): small, so the tests are fast
FPS = 25


@pytest.fixture(scope="module")
def clip() -> list[tuple[np.ndarray, np.ndarray]]:
    return list(demo_frames(SIZE, seconds=10 / FPS, fps=FPS, seed=0))


def centroid(matte: np.ndarray) -> np.ndarray:
    y, x = np.nonzero(matte)
    weights = matte[y, x].astype(np.float64)
    return np.array([np.average(x, weights=weights), np.average(y, weights=weights)])


def test_frame_count():
    assert frame_count(4.0, 25) == 100
    assert frame_count(10 / 25, 25) == 10
    assert frame_count(1.0, 29.97) == 30
    assert frame_count(0, 25) == 0


def test_sizes_and_dtypes(clip):
    assert len(clip) == 10
    for frame, matte in clip:
        assert frame.shape == (180, 320, 3) and frame.dtype == np.uint8
        assert matte.shape == (180, 320) and matte.dtype == np.uint8
    frame, matte = clip[0]
    partial = ((matte > 0) & (matte < 255)).mean()
    assert (matte == 0).mean() > 0.2 and (matte == 255).mean() > 0.1 and partial > 0.01


def test_same_seed_same_clip_other_seed_other_clip(clip):
    again = list(demo_frames(SIZE, seconds=10 / FPS, fps=FPS, seed=0))
    for (frame, matte), (frame2, matte2) in zip(clip, again, strict=True):
        assert np.array_equal(frame, frame2) and np.array_equal(matte, matte2)
    other_frame, other_matte = next(demo_frames(SIZE, seconds=1 / FPS, fps=FPS, seed=1))
    assert not np.array_equal(other_frame, clip[0][0])


def test_subject_moves(clip):
    path = np.array([centroid(matte) for _, matte in clip])
    steps = np.linalg.norm(np.diff(path, axis=0), axis=1)
    assert np.all(steps > 0.05)  # every frame moves a little
    assert np.linalg.norm(path[-1] - path[0]) > 1.0  # in pixels, at 320x180
    assert not np.array_equal(clip[0][1], clip[1][1])


def test_background_pans():
    scene = DemoScene(SIZE, seed=0)
    (first, before), (last, after) = scene.frame(0.0), scene.frame(9 / FPS)
    (x0, y0), (x1, y1) = scene.window(0.0), scene.window(9 / FPS)
    dx, dy = x1 - x0, y1 - y0
    assert (dx, dy) != (0, 0)
    # Far from the subject in both frames, the last frame is the first one shifted.
    h, w = before.shape
    ys, xs = np.mgrid[0:h, 0:w]
    inside = (ys + dy >= 0) & (ys + dy < h) & (xs + dx >= 0) & (xs + dx < w)
    ys, xs = ys[inside], xs[inside]
    clear = (after[ys, xs] == 0) & (before[ys + dy, xs + dx] == 0)
    assert clear.mean() > 0.3
    ys, xs = ys[clear], xs[clear]
    assert np.array_equal(last[ys, xs], first[ys + dy, xs + dx])
    assert np.abs(last[ys, xs].astype(int) - first[ys, xs]).mean() > 2  # and it did move


def test_frame_is_composited_with_its_matte():
    scene = DemoScene(SIZE, seed=0)
    subject, matte, background = scene.layers(0.2)
    frame, shown = scene.frame(0.2)
    assert np.array_equal(shown, matte)
    alpha = matte[..., None] / 255.0
    expected = np.rint(alpha * subject + (1 - alpha) * background)
    assert np.abs(frame - expected).max() <= 1  # float32 against float64, at a .5 tie
    assert np.mean(frame == expected) > 0.999
    assert np.array_equal(frame[matte == 255], subject[matte == 255])
    assert np.array_equal(frame[matte == 0], background[matte == 0])
    assert np.array_equal(composite(subject, matte, background), frame)


def test_composite_of_literal_pixels():
    subject = np.array([[[200, 100, 0], [200, 100, 0], [200, 100, 0]]], np.uint8)
    background = np.array([[[0, 50, 250], [0, 50, 250], [0, 50, 250]]], np.uint8)
    matte = np.array([[0, 51, 255]], np.uint8)  # alpha 0, 0.2, 1
    assert composite(subject, matte, background).tolist() == [
        [[0, 50, 250], [40, 60, 200], [200, 100, 0]]
    ]


def test_notice_says_synthetic():
    assert "synthetic" in NOTICE.lower() and "not claims" in NOTICE
