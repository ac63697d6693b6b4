"""Synced zoom: the square every result is cut to, and full-resolution pieces that match
what the full-resolution exports hold."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from blur.zoom import (
    blurred_window,
    magnified,
    matte_window,
    square_at,
    subject_top,
    upsampled_window,
)


def test_the_square_follows_the_zoom_and_stays_in_the_photo():
    assert square_at((4000, 3000), 0.5, 0.5, 100, 320).side == 320  # 1 photo px per screen px
    square = square_at((4000, 3000), 0.5, 0.5, 400, 320)
    assert (square.left, square.top, square.side) == (1960, 1460, 80)
    corner = square_at((4000, 3000), 0.0, 1.0, 200, 320)
    assert (corner.left, corner.top + corner.side) == (0, 3000)
    assert square_at((200, 150), 0.5, 0.5, 100, 320).side == 150  # never larger than the photo
    box = square.grown(48, (4000, 3000))
    assert box == (1912, 1412, 2088, 1588)
    assert corner.grown(48, (4000, 3000)) == (0, 2792, 208, 3000)  # cut at the photo's edge


def test_a_matte_window_is_the_matte_resized_to_the_photo_then_cut():
    rng = np.random.default_rng(1)
    matte = rng.integers(0, 256, (60, 80), dtype=np.uint8)
    size, box = (400, 300), (50, 60, 170, 140)
    full = cv2.resize(matte, size, interpolation=cv2.INTER_LINEAR).astype(np.float32) / 255
    window = matte_window(matte, size, box)
    assert window.shape == (80, 120)
    assert np.abs(window - full[60:140, 50:170]).max() <= 1.5 / 255  # within a grey level


def test_an_upsampled_window_is_the_image_upsampled_then_cut():
    rng = np.random.default_rng(2)
    small = rng.integers(0, 256, (30, 40, 3), dtype=np.uint8)
    size, box = (400, 300), (0, 10, 90, 300)
    full = cv2.resize(small, size, interpolation=cv2.INTER_LINEAR).astype(int)
    window = upsampled_window(small, size, box).astype(int)
    assert np.abs(window - full[10:300, 0:90]).max() <= 1


def test_magnified_pixels_are_crisp_blocks():
    pixels = np.arange(4, dtype=np.uint8).reshape(2, 2)
    big = magnified(pixels, 8)
    assert big.shape == (8, 8)
    assert np.array_equal(big[:4, :4], np.zeros((4, 4))) and (big[4:, 4:] == 3).all()
    assert magnified(pixels, 2) is pixels


def test_the_zoom_starts_at_the_top_of_the_subject():
    alpha = np.zeros((100, 200), np.float32)
    alpha[30:90, 120:160] = 1.0
    across, down = subject_top(alpha)
    assert across == pytest.approx(140 / 200, abs=0.01) and down == pytest.approx(0.305)
    assert subject_top(np.zeros((10, 10), np.float32)) == (0.5, 0.5)


@pytest.mark.parametrize("strength", [31, 101, 255])
def test_the_zoomed_blur_matches_the_full_resolution_export(strength):
    """Cut from full-resolution data, the zoomed blur looks like the same square of the
    full-resolution blurred photo the download holds."""
    from bench.scenes import portrait_scene, psnr
    from blur import BlurPlan, blur_background, fit_within, resize_alpha, strength_sigma

    scene = portrait_scene(2400, 1800, edge_fraction=0.006)
    size = (2400, 1800)
    full = blur_background(scene.photo, scene.alpha, strength)
    preview, _ = fit_within(scene.photo, 1280)
    preview_alpha = resize_alpha(scene.alpha, preview.shape[:2])
    sigma = strength_sigma(strength, preview.shape)
    background = BlurPlan(preview, preview_alpha).background(sigma)
    square = square_at(size, *subject_top(scene.alpha), 100, 320)  # the hair line
    box = square.grown(48, size)
    left, top, right, bottom = box
    rgb = np.ascontiguousarray(scene.photo[top:bottom, left:right])
    window = blurred_window(rgb, scene.alpha[top:bottom, left:right], background, size, box)
    cut = (slice(square.top - top, square.top - top + square.side),
           slice(square.left - left, square.left - left + square.side))  # fmt: skip
    export = full[square.top : square.top + square.side, square.left : square.left + square.side]
    assert psnr(window[cut], export) >= 30.0
    subject = scene.alpha[square.top : square.top + square.side,
                          square.left : square.left + square.side] == 1.0  # fmt: skip
    assert subject.any() and np.array_equal(window[cut][subject], export[subject])
