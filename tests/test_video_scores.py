"""Temporal scores: flicker without ground truth, and RVM's MAD, MSE and dtSSD with it."""

from __future__ import annotations

import math

import numpy as np
import pytest

from evaluation.video.scores import JUMP_LEVEL, FlickerMeter, TruthMeter, dtssd
from tests.video_scenes import H, W, composite, disc, matte, texture


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(7)


def test_flickering_alpha_scores_worse_than_a_steady_one(rng):
    truth = disc(320, 180, 90)
    frame = composite(truth, texture(rng, H, W), texture(rng, H, W))  # a still scene
    flickering, steady = FlickerMeter(), FlickerMeter()
    for _ in range(20):
        jitter = rng.normal(0, 1.5, 3)  # the edge wanders by pixels from frame to frame
        flickering.add(frame, matte(disc(320 + jitter[0], 180 + jitter[1], 90 + jitter[2])))
        calm = rng.normal(0, 0.05, 3)
        steady.add(frame, matte(disc(320 + calm[0], 180 + calm[1], 90 + calm[2])))
    assert flickering.scored == steady.scored == 19
    assert flickering.mean > 10 * steady.mean
    assert flickering.jump_share > 0 and steady.jump_share == 0


def test_alpha_moving_with_the_colour_is_not_flicker(rng):
    subject, background = texture(rng, H, W), texture(rng, H, W + 200)
    over_still, over_panning = FlickerMeter(), FlickerMeter()
    speckled = FlickerMeter()
    for t in range(15):
        alpha = disc(150 + 6 * t, 180 + 2 * t, 70)  # slides 6 px a frame
        moving = np.roll(subject, (2 * t, 6 * t), axis=(0, 1))
        still = composite(alpha, moving, background[:, :W])
        over_still.add(still, matte(alpha))
        panned = composite(alpha, moving, background[:, 4 * t : 4 * t + W])
        over_panning.add(panned, matte(alpha))
        blotchy = matte(alpha)
        blotchy[20:70, 500 + (t % 2) * 60 : 550 + (t % 2) * 60] = 255  # a blob hops about
        speckled.add(still, blotchy)
    assert over_still.scored == 14  # the background stayed still: those frames are scored
    assert over_still.mean < 0.01 * JUMP_LEVEL
    assert over_still.jumps == 0 and over_panning.jumps == 0
    values = over_panning.values
    assert np.all(np.isnan(values) | (values < 0.1 * JUMP_LEVEL))
    assert speckled.jump_share == 1.0  # the same frames do flicker when the alpha does


def test_jumps_and_worst_frames(rng):
    truth = matte(disc(320, 180, 90))
    frame = composite(truth / 255.0, texture(rng, H, W), texture(rng, H, W))
    cut = composite(truth / 255.0, texture(rng, H, W), texture(rng, H, W))  # another scene
    meter = FlickerMeter()
    shown = truth.copy()
    for t in range(12):
        picture = cut if t == 9 else frame
        if t == 2:
            shown[10:30, 10:30] = 255  # 400 px of 230400 appear: seen, but no jump
        if t == 4:
            shown[300:340, 10:50] = 255  # 1600 px: a jump
        if t == 7:
            shown[10:70, 560:620] = 255  # 3600 px: the worst jump
        if t == 9:
            shown[100:200, 10:110] = 255  # changes with the whole picture: not scored
        meter.add(picture, shown.copy())
    values = meter.values
    assert values.shape == (12,) and math.isnan(values[0])
    assert np.isnan(values[9]) and np.isnan(values[10])  # the cut, and the cut back
    assert values[2] == pytest.approx(400 / (W * H), rel=1e-6)
    assert values[4] == pytest.approx(1600 / (W * H), rel=1e-6)
    assert meter.scored == 9 and meter.jumps == 2
    assert meter.jump_share == pytest.approx(2 / 9)
    assert meter.worst(3) == [7, 4, 2]
    assert meter.worst(1) == [7]
    assert len(meter.worst(50)) == 9  # only scored frames
    assert meter.mean == pytest.approx((400 + 1600 + 3600) / (W * H) / 9, rel=1e-6)


def test_flicker_meter_before_anything_is_scored():
    meter = FlickerMeter()
    assert math.isnan(meter.mean) and math.isnan(meter.jump_share) and meter.worst(3) == []
    frame = np.zeros((8, 8, 3), np.uint8)
    assert math.isnan(meter.add(frame, np.zeros((8, 8), np.uint8)))
    assert meter.add(frame, np.full((8, 8), 255, np.uint8)) == 1.0  # tiny frames work too


# Three frames of 2x2 mattes, in units of 1/255 (51 = 0.2): written out for checking.
TRUE = [[[0, 255], [255, 255]], [[0, 255], [255, 255]], [[0, 0], [255, 255]]]
PRED = [[[51, 255], [255, 204]], [[0, 255], [255, 255]], [[0, 255], [255, 255]]]
# Frame 0: errors 0.2, 0, 0, -0.2:  MAD = 0.4 / 4 * 1e3 = 100; MSE = 0.08 / 4 * 1e3 = 20.
# Frame 1: no error, MAD = MSE = 0. The prediction changed by -0.2, 0, 0, +0.2 and the
#   truth not at all: dtSSD = sqrt(0.08 / 4) * 1e2 = 14.1421356...
# Frame 2: the truth's top right went 1 -> 0, the prediction stayed: error 1 there.
#   MAD = 1 / 4 * 1e3 = 250; MSE = 250; dtSSD = sqrt(1 / 4) * 1e2 = 50.
MAD = [100.0, 0.0, 250.0]
MSE = [20.0, 0.0, 250.0]
DTSSD = [math.nan, math.sqrt(0.02) * 100, 50.0]


def frames(rows) -> list[np.ndarray]:
    return [np.array(r, np.uint8) for r in rows]


def test_dtssd_by_hand():
    p, g = frames(PRED), frames(TRUE)
    assert dtssd(p[1], p[0], g[1], g[0]) == pytest.approx(14.142135623730951)
    assert dtssd(p[2], p[1], g[2], g[1]) == pytest.approx(50.0)
    # float alphas in [0, 1] as RVM reads them give the same
    assert dtssd(*(a / 255 for a in (p[1], p[0], g[1], g[0]))) == pytest.approx(14.1421356)


def test_truth_meter_by_hand():
    meter = TruthMeter()
    for p, g in zip(frames(PRED), frames(TRUE), strict=True):
        meter.add(p, g)
    assert meter.mad_values == pytest.approx(MAD)
    assert meter.mse_values == pytest.approx(MSE)
    assert meter.dtssd_values[1:] == pytest.approx(DTSSD[1:])
    assert math.isnan(meter.dtssd_values[0])
    # RVM averages over every frame, its first frame's dtSSD counted as 0
    assert meter.summary() == pytest.approx(
        {"MAD": 350 / 3, "MSE": 90.0, "dtSSD": (math.sqrt(0.02) * 100 + 50) / 3}
    )
    assert meter.frames == 3


def test_truth_meter_resizes_the_prediction_to_the_truth():
    meter, same = TruthMeter(), TruthMeter()
    for p, g in zip(frames(PRED), frames(TRUE), strict=True):
        meter.add(np.kron(p, np.ones((3, 3), np.uint8)), g)  # 6x6 prediction, 2x2 truth
        same.add(p, g)
    assert meter.summary() == pytest.approx(same.summary())
    small = TruthMeter()
    small.add(np.zeros((1, 1), np.uint8), np.full((4, 4), 255, np.uint8))  # enlarged
    assert small.mad == pytest.approx(1000.0)


def test_truth_meter_agrees_with_float_arithmetic(rng):
    meter = TruthMeter()
    preds = rng.integers(0, 256, (4, 30, 40), np.uint8)
    truths = rng.integers(0, 256, (4, 30, 40), np.uint8)
    for p, g in zip(preds, truths, strict=True):
        meter.add(p, g)
    pred, true = preds / 255.0, truths / 255.0
    assert meter.mad_values == pytest.approx(np.abs(pred - true).mean((1, 2)) * 1e3)
    assert meter.mse_values == pytest.approx(((pred - true) ** 2).mean((1, 2)) * 1e3)
    expected = [dtssd(pred[t], pred[t - 1], true[t], true[t - 1]) for t in range(1, 4)]
    assert meter.dtssd_values[1:] == pytest.approx(expected)
