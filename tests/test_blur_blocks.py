"""The blur's block averages: one downsampling of the photo split by alpha along the
outline, against the masked downsamplings they replace."""

from __future__ import annotations

import numpy as np
import pytest

from bench.scenes import portrait_scene, psnr
from blur import BlurPlan, equivalent_sigma
from blur.arrays import mask, shrink
from blur.blocks import MAX_BLOCK, block_parts
from blur.edges import BACKGROUND_ALPHA, FOREGROUND_ALPHA, SOFT_HIGH, SOFT_LOW, soft_band
from blur.fill import known_parts


@pytest.fixture(scope="module")
def scene():
    return portrait_scene(1603, 1201, edge_fraction=0.015)  # sizes not a multiple of a block


def test_shrink_halving_stays_within_a_grey_level_of_the_block_mean():
    image = np.random.default_rng(0).integers(0, 256, (307, 411, 3), dtype=np.uint8)
    for factor in (2, 3, 4, 10, 20):
        rows, cols = 307 // factor, 411 // factor
        exact = image[: rows * factor, : cols * factor].reshape(rows, factor, cols, factor, 3)
        small = shrink(image, factor)
        assert small.shape == (rows, cols, 3)
        assert np.abs(small - exact.mean((1, 3))).max() <= 1.0


@pytest.mark.parametrize("factor", [2, 5, 10, 16, 22])
def test_one_odd_pixel_keeps_a_block_of_a_mask_from_reading_as_whole(factor):
    ones = np.zeros((2 * factor, 2 * factor), np.uint8)
    ones[factor - 1, 1] = 255
    assert 0 < shrink(ones, factor)[0, 0] < 255
    assert 0 < shrink(255 - ones, factor)[0, 0] < 255
    assert factor <= MAX_BLOCK


def test_soft_band_is_strictly_between_its_limits():
    edges = [0.0, SOFT_LOW, SOFT_HIGH, 1.0]
    near = [np.nextafter(np.float32(v), np.float32(d)) for v in edges for d in (0, 1)]
    values = np.array(edges + near + [0.5, 0.1, 0.9], np.float32)
    alpha = np.random.default_rng(1).choice(values, (64, 80)).astype(np.float32)
    expected = np.flatnonzero((alpha > SOFT_LOW) & (alpha < SOFT_HIGH))
    assert np.array_equal(soft_band(alpha), expected)


@pytest.mark.parametrize("factor", [2, 7, 10])
def test_block_parts_match_the_masked_downsampling(scene, factor):
    photo, alpha = scene.photo, scene.alpha
    parts = block_parts(
        photo, alpha, mask(alpha, ">=", SOFT_HIGH), soft_band(alpha), factor,
        BACKGROUND_ALPHA, FOREGROUND_ALPHA,
    )  # fmt: skip
    masks = (mask(alpha, "<=", BACKGROUND_ALPHA), mask(alpha, ">=", FOREGROUND_ALPHA))
    for part, known in zip((parts.background, parts.subject), masks, strict=True):
        for multiple in (1, 2):
            colour, coverage = part.at(factor * multiple)
            want_colour, want_coverage = known_parts(photo, known, factor * multiple)
            assert colour.shape == want_colour.shape and coverage.shape == want_coverage.shape
            # known_parts rounds to grey levels (twice, halving first) and coverage to
            # 1/255; ours are exact along the outline
            assert np.abs(coverage - want_coverage).max() <= 1 / 255 + 1e-6
            assert np.abs(colour - want_colour).max() <= 1.0
    with pytest.raises(ValueError, match="multiple"):
        parts.subject.at(factor + 1)


def test_the_plan_from_block_averages_looks_like_the_one_from_masked_downsampling(
    scene, monkeypatch
):
    """Forced off (no block size allowed), the plan takes the full-size masks as before."""
    sigma = equivalent_sigma(101)
    fast = BlurPlan(scene.photo, scene.alpha)
    assert fast._background is not None
    monkeypatch.setattr("blur.composite.MAX_BLOCK", 1)
    dense = BlurPlan(scene.photo, scene.alpha)
    assert dense._background is None
    ours, before = fast.render(sigma), dense.render(sigma)
    assert psnr(ours, before) >= 45.0
    soft = (scene.alpha > 0) & (scene.alpha < 1)
    assert np.abs(ours.astype(int) - before)[soft].mean() < 1.0
    subject = scene.alpha == 1.0
    assert np.array_equal(ours[subject], scene.photo[subject])


def test_a_factor_between_multiples_of_the_block_is_rounded_down_to_one(scene):
    plan = BlurPlan(scene.photo, scene.alpha)
    block = plan._background.factor
    assert plan._working_factor(2 * block + 1) == 2 * block
    assert plan._working_factor(block - 1) == block - 1  # below a block: from the photo
    for strength in (31, 101, 255):
        plan.render(equivalent_sigma(strength))
    assert plan._fills and all(f % block == 0 or f < block for f in plan._fills)


def test_relaxing_the_window_around_the_missing_pixels_is_relaxing_everything(scene):
    from blur.fill import _relax, _relax_window

    background = BlurPlan(scene.photo, scene.alpha)._background
    colour, coverage = background.at(2 * background.factor)
    missing = (1.0 - coverage)[..., None]
    assert 0 < (missing > 0).mean() < 0.5  # a window smaller than the plate
    plate = colour + missing * colour.mean((0, 1))
    assert np.array_equal(
        _relax(plate, colour, missing, 12), _relax_window(plate, colour, missing, 12)
    )


def test_a_fill_from_the_coarser_fill_looks_like_one_from_its_own_pyramid(scene):
    from blur.fill import fill_holes

    background = BlurPlan(scene.photo, scene.alpha)._background
    block = background.factor
    colour, coverage = background.at(block)
    coarse = fill_holes(*background.at(2 * block))
    own, from_coarse = fill_holes(colour, coverage), fill_holes(colour, coverage, coarse=coarse)
    known = coverage == 1.0
    assert np.array_equal(own[known], from_coarse[known])  # known pixels are kept as they are
    hole = coverage == 0.0
    assert hole.sum() > 1000
    assert np.abs(own - from_coarse)[hole].mean() < 1.0
