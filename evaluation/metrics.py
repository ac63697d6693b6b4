"""How right a predicted alpha is against the true one: the matting benchmark's errors
(Rhemann et al. 2009: SAD, MSE, gradient, connectivity) and segmentation scores (IoU,
boundary IoU), numpy and OpenCV only.

Every function takes float alphas in [0, 1] of the same shape, the prediction first. The
error sums (SAD, Grad, Conn) are reported in thousands, as papers print them. ``score``
gives them all, each error also split into the soft band (0 < true alpha < 1, where hair
and motion blur are) and the rest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

GRADIENT_SIGMA = 1.4  # the benchmark's Gaussian-derivative filter
CONNECTIVITY_STEP = 0.1
CONNECTIVITY_MIN = 0.15  # smaller distances to the connected level count as connected
BOUNDARY_FRACTION = 0.02  # boundary IoU's band: this fraction of the image diagonal
# Columns of a score, in report order; lower is better for all but the IoUs.
ERRORS = ("sad", "mse", "grad", "conn", "mae")
HIGHER_IS_BETTER = ("iou", "boundary_iou")


def _checked(pred: np.ndarray, true: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pred, true = np.asarray(pred, np.float64), np.asarray(true, np.float64)
    assert pred.shape == true.shape and pred.ndim == 2, (pred.shape, true.shape)
    assert pred.min() >= 0 and pred.max() <= 1 and true.min() >= 0 and true.max() <= 1
    return pred, true


def _everywhere(shape) -> np.ndarray:
    return np.ones(shape, bool)


def _gradient_magnitude(alpha: np.ndarray) -> np.ndarray:
    """|grad| of the alpha through first derivatives of a Gaussian of GRADIENT_SIGMA."""
    radius = math.ceil(3 * GRADIENT_SIGMA)
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    gauss = np.exp(-(x**2) / (2 * GRADIENT_SIGMA**2))
    derivative = -x / GRADIENT_SIGMA**2 * gauss
    derivative /= np.abs(derivative * x).sum()  # a unit ramp has slope 1
    gauss /= gauss.sum()
    dx = cv2.sepFilter2D(alpha, cv2.CV_64F, derivative, gauss, borderType=cv2.BORDER_REPLICATE)
    dy = cv2.sepFilter2D(alpha, cv2.CV_64F, gauss, derivative, borderType=cv2.BORDER_REPLICATE)
    return np.hypot(dx, dy)


def _connected_level(pred: np.ndarray, true: np.ndarray) -> np.ndarray:
    """Per pixel, the highest threshold at which it still belongs to the largest region
    (4-connected) where both alphas reach the threshold; 1 if it always does."""
    level = np.full(pred.shape, -1.0)
    thresholds = np.arange(0, 1 + CONNECTIVITY_STEP / 2, CONNECTIVITY_STEP)
    for previous, threshold in zip(thresholds[:-1], thresholds[1:], strict=True):
        both = ((pred >= threshold) & (true >= threshold)).astype(np.uint8)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(both, connectivity=4)
        largest = np.zeros(pred.shape, bool)
        if count > 1:
            largest = labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
        level[(level == -1) & ~largest] = previous
    level[level == -1] = 1.0
    return level


def _connectivity_map(pred: np.ndarray, true: np.ndarray) -> np.ndarray:
    level = _connected_level(pred, true)

    def phi(alpha):
        distance = alpha - level
        return 1 - distance * (distance >= CONNECTIVITY_MIN)

    return np.abs(phi(pred) - phi(true))


# Per-pixel error maps, and how each error is reduced over a region from its map.
MAPS = {
    "sad": lambda p, t: np.abs(p - t),
    "mse": lambda p, t: (p - t) ** 2,
    "grad": lambda p, t: (_gradient_magnitude(p) - _gradient_magnitude(t)) ** 2,
    "conn": _connectivity_map,
    "mae": lambda p, t: np.abs(p - t),
}
SUMMED = ("sad", "grad", "conn")  # in thousands; the others are means


def _reduce(name: str, error_map: np.ndarray, where: np.ndarray) -> float:
    if name in SUMMED:
        return float(error_map[where].sum() / 1000)
    return float(error_map[where].mean()) if where.any() else 0.0


def _error(name: str, pred, true, where) -> float:
    pred, true = _checked(pred, true)
    where = _everywhere(pred.shape) if where is None else where
    return _reduce(name, MAPS[name](pred, true), where)


def sad(pred, true, where=None) -> float:
    """Sum of absolute differences, in thousands."""
    return _error("sad", pred, true, where)


def mse(pred, true, where=None) -> float:
    """Mean squared error over ``where`` (0 where it is empty)."""
    return _error("mse", pred, true, where)


def mae(pred, true, where=None) -> float:
    return _error("mae", pred, true, where)


def gradient_error(pred, true, where=None) -> float:
    """Sum of squared differences of the alphas' gradient magnitudes, in thousands: it
    grows where an edge is blurred or sharpened relative to the truth."""
    return _error("grad", pred, true, where)


def connectivity_error(pred, true, where=None) -> float:
    """Sum of differences in how connected each pixel is to the main subject, in thousands:
    it grows with floating islands and holes that the truth does not have."""
    return _error("conn", pred, true, where)


def iou(pred, true, threshold: float = 0.5) -> float:
    """Intersection over union of the subjects (alpha > threshold); 1 when both are empty."""
    pred, true = _checked(pred, true)
    p, t = pred > threshold, true > threshold
    union = np.count_nonzero(p | t)
    return 1.0 if union == 0 else float(np.count_nonzero(p & t) / union)


def _inner_band(mask: np.ndarray, width: int) -> np.ndarray:
    """The mask's pixels within ``width`` of its edge (the image border is no edge)."""
    padded = cv2.copyMakeBorder(mask.astype(np.uint8), 1, 1, 1, 1, cv2.BORDER_REPLICATE)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * width + 1, 2 * width + 1))
    eroded = cv2.erode(padded, kernel, borderType=cv2.BORDER_REPLICATE)[1:-1, 1:-1]
    return mask & ~eroded.astype(bool)


def boundary_iou(pred, true, threshold: float = 0.5, width: int | None = None) -> float:
    """IoU of the two subjects' boundary bands (Cheng et al. 2021): how well the outline
    matches, whatever the subject's size. ``width`` defaults to 2% of the diagonal."""
    pred, true = _checked(pred, true)
    width = width or max(1, round(BOUNDARY_FRACTION * math.hypot(*pred.shape)))
    p = _inner_band(pred > threshold, width)
    t = _inner_band(true > threshold, width)
    union = np.count_nonzero(p | t)
    return 1.0 if union == 0 else float(np.count_nonzero(p & t) / union)


@dataclass(frozen=True)
class Score:
    """Every metric of one prediction; ``soft`` and ``solid`` split the errors between the
    soft band of the truth (0 < alpha < 1) and the rest."""

    sad: float
    mse: float
    grad: float
    conn: float
    mae: float
    iou: float
    boundary_iou: float
    soft: dict[str, float]
    solid: dict[str, float]

    def flat(self) -> dict[str, float]:
        """One level of columns: sad, ..., soft_sad, ..., solid_sad, ..."""
        row = {name: getattr(self, name) for name in (*ERRORS, *HIGHER_IS_BETTER)}
        row.update({f"soft_{k}": v for k, v in self.soft.items()})
        row.update({f"solid_{k}": v for k, v in self.solid.items()})
        return row


def score(pred, true) -> Score:
    """All metrics of ``pred`` against ``true`` (float alphas in [0, 1], the same shape)."""
    pred, true = _checked(pred, true)
    soft_band = (true > 0) & (true < 1)
    maps = {name: make(pred, true) for name, make in MAPS.items()}

    def errors(where) -> dict[str, float]:
        return {name: _reduce(name, maps[name], where) for name in ERRORS}

    return Score(
        **errors(_everywhere(pred.shape)),
        iou=iou(pred, true),
        boundary_iou=boundary_iou(pred, true),
        soft=errors(soft_band),
        solid=errors(~soft_band),
    )
