"""Ground-truth metrics: hand-computed values, invariances, and what each one is for."""

from __future__ import annotations

import numpy as np
import pytest

from evaluation import metrics


def square(size=60, lo=15, hi=45) -> np.ndarray:
    alpha = np.zeros((size, size))
    alpha[lo:hi, lo:hi] = 1.0
    return alpha


def soft_square(blur: float) -> np.ndarray:
    """A square whose edge ramps over about ``blur`` pixels."""
    import cv2

    return np.clip(cv2.GaussianBlur(square(), (0, 0), blur), 0, 1)


def test_hand_computed_values_on_a_tiny_alpha():
    pred = np.array([[0.0, 0.5], [1.0, 1.0]])
    true = np.array([[0.0, 1.0], [1.0, 0.0]])
    assert metrics.sad(pred, true) == pytest.approx(1.5 / 1000)
    assert metrics.mse(pred, true) == pytest.approx((0.25 + 1.0) / 4)
    assert metrics.mae(pred, true) == pytest.approx(1.5 / 4)
    assert metrics.iou(pred, true) == pytest.approx(1 / 3)  # 0.5 is not above 0.5


def test_a_perfect_prediction_scores_zero_error_and_full_overlap():
    for true in (square(), soft_square(3.0)):
        result = metrics.score(true, true)
        assert all(value == 0 for value in (result.sad, result.mse, result.grad,
                                            result.conn, result.mae))  # fmt: skip
        assert result.iou == 1 and result.boundary_iou == 1
        assert set(result.soft.values()) == set(result.solid.values()) == {0.0}


def test_gradient_magnitude_of_a_unit_ramp_is_its_slope():
    ramp = np.tile(np.linspace(0, 1, 51), (9, 1))
    assert metrics._gradient_magnitude(ramp)[4, 20:30] == pytest.approx(1 / 50)


def test_the_gradient_error_penalises_a_blurred_edge_more_the_blurrier():
    true = square()
    errors = [metrics.gradient_error(soft_square(blur), true) for blur in (0.5, 2.0, 4.0)]
    assert 0 < errors[0] < errors[1] < errors[2]


def test_connectivity_penalises_a_floating_island_not_a_faint_haze():
    true = square()
    island = true.copy()
    island[2:5, 2:5] = 1.0  # nine pixels, apart from the subject
    haze = np.clip(true + 0.1 * (true == 0), 0, 1)  # every background pixel at 0.1
    assert metrics.connectivity_error(island, true) == pytest.approx(9 / 1000)
    assert metrics.connectivity_error(haze, true) == 0.0  # below its 0.15 gap
    assert metrics.sad(haze, true) > 10 * metrics.sad(island, true)  # SAD counts the haze


def test_boundary_iou_sees_an_outline_error_that_iou_hardly_does():
    big = np.zeros((200, 200))
    big[20:180, 20:180] = 1.0
    shifted = np.roll(big, 4, axis=1)
    assert metrics.iou(shifted, big) > 0.95
    assert metrics.boundary_iou(shifted, big) < 0.75


def test_errors_are_split_between_the_soft_band_and_the_rest():
    true = soft_square(2.0)
    binary = (true > 0.5).astype(float)  # a segmentation model's hard edge
    result = metrics.score(binary, true)
    assert result.soft["sad"] > 0 and result.solid["sad"] == 0
    assert result.soft["sad"] == pytest.approx(result.sad)
    assert set(result.flat()) >= {"sad", "iou", "boundary_iou", "soft_sad", "solid_grad"}


def test_inputs_must_be_alphas_of_one_shape():
    with pytest.raises(AssertionError):
        metrics.sad(np.zeros((4, 4)), np.zeros((4, 5)))
    with pytest.raises(AssertionError):
        metrics.sad(np.full((4, 4), 255.0), np.zeros((4, 4)))
