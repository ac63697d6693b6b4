"""Temporal scores of a clip's mattes, streamed one frame at a time.

``FlickerMeter`` needs no ground truth: it measures how much the alpha changes where the
picture did not, which on a still part of the scene can only be the model's own flicker.
``TruthMeter`` scores mattes against true ones with Robust Video Matting's definitions of
MAD, MSE and dtSSD. Neither keeps more than the previous frame.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from blur.arrays import to_alpha

WORK_SIDE = 320  # colour is compared at this longer side: cheap, and averages away noise
NOISE_SIGMA = 0.8  # Gaussian blur (work-size pixels) against sensor noise and compression
STILL_LEVEL = 6  # a pixel is still when no channel changed by more than this (of 255)
MIN_STILL_SHARE = 0.02  # a frame with fewer still pixels than this share is not scored
# A frame "jumps" when its alpha changes by more than this mean over its still pixels: half
# a percent of the still area flipping between subject and background, e.g. a 68x68 px
# patch of a 1280x720 frame, or an outline 2300 px long (head and shoulders) shifting 2 px.
JUMP_LEVEL = 0.005


def work_view(frame: np.ndarray) -> np.ndarray:
    """A frame (HxWx3 uint8) shrunk to WORK_SIDE on its longer side (never enlarged) and
    lightly blurred: HxWx3 uint8, for comparing colours between frames."""
    h, w = frame.shape[:2]
    scale = WORK_SIDE / max(h, w)
    if scale < 1:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        small = frame
        # Halving with INTER_LINEAR averages 2x2 pixels and costs a fifth of INTER_AREA
        # on the full frame; INTER_AREA then makes the last, small step exactly.
        while small.shape[1] >= 2 * size[0] and small.shape[0] >= 2 * size[1]:
            half = (small.shape[1] // 2, small.shape[0] // 2)
            small = cv2.resize(small, half, interpolation=cv2.INTER_LINEAR)
        frame = cv2.resize(small, size, interpolation=cv2.INTER_AREA)
    return cv2.GaussianBlur(frame, (3, 3), NOISE_SIGMA)


def colour_change(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """The largest change of any channel between two work views (HxWx3 uint8): HxW uint8."""
    h, w = after.shape[:2]
    change = cv2.absdiff(before, after).reshape(h, w * 3)
    # A 1x3 dilation puts each pixel's channel maximum on its middle channel: far cheaper
    # than numpy's max over the last axis.
    return cv2.dilate(change, np.ones((1, 3), np.uint8))[:, 1::3]


def still_mask(change: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Pixels (uint8 0/1, ``size`` = (width, height)) whose colour stayed within STILL_LEVEL,
    with one work pixel of margin around every change: an edge that moved less than a work
    pixel dims the colour of that pixel only partly, and must not count as still."""
    still = (change <= STILL_LEVEL).astype(np.uint8)
    still = cv2.erode(still, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_REPLICATE)
    return cv2.resize(still, size, interpolation=cv2.INTER_NEAREST)


class FlickerMeter:
    """Flicker without ground truth: per frame t >= 1, the mean absolute change of alpha
    (in alpha units, 0..1) between frames t-1 and t over the pixels whose colour stayed
    still (``still_mask``). A frame with under MIN_STILL_SHARE still pixels is not scored.

    ``add(frame, matte)`` each frame in order: frame HxWx3 uint8 RGB, matte uint8 0..255 of
    any size (the still mask is resized to it). Keeps one frame's work view and matte.

    Flicker right beside motion is not seen (that colour changed), and an edge of low
    contrast creeping slowly leaks a little: 20 levels of contrast moving 1 px a frame
    reads about 0.0014, under a third of JUMP_LEVEL.
    """

    def __init__(self) -> None:
        self._values: list[float] = []
        self._view: np.ndarray | None = None
        self._matte: np.ndarray | None = None

    def add(self, frame: np.ndarray, matte: np.ndarray) -> float:
        """Score the next frame; returns its value (NaN when not scored)."""
        view = work_view(frame)
        value = math.nan
        if self._view is not None and self._matte.shape == matte.shape:
            still = still_mask(colour_change(self._view, view), matte.shape[::-1])
            count = cv2.countNonZero(still)
            if count >= MIN_STILL_SHARE * still.size:
                value = cv2.norm(matte, self._matte, cv2.NORM_L1, still) / (255.0 * count)
        self._values.append(value)
        self._view, self._matte = view, matte.copy()
        return value

    @property
    def values(self) -> np.ndarray:
        """Per-frame values, float64, one per frame added; NaN for the first frame and for
        frames not scored."""
        return np.array(self._values, np.float64)

    @property
    def frames(self) -> int:
        return len(self._values)

    @property
    def scored(self) -> int:
        return int(np.isfinite(self.values).sum())

    @property
    def mean(self) -> float:
        """Mean value over the scored frames (alpha units); NaN when none was scored."""
        values = self.values
        values = values[np.isfinite(values)]
        return float(values.mean()) if values.size else math.nan

    @property
    def jumps(self) -> int:
        """Scored frames whose value exceeds JUMP_LEVEL."""
        return int((np.nan_to_num(self.values, nan=0.0) > JUMP_LEVEL).sum())

    @property
    def jump_share(self) -> float:
        """Share (0..1) of the scored frames that jump; NaN when none was scored."""
        scored = self.scored
        return self.jumps / scored if scored else math.nan

    def worst(self, n: int) -> list[int]:
        """Indices of the (up to) n scored frames of highest value, worst first."""
        values = self.values
        order = np.argsort(-np.nan_to_num(values, nan=-np.inf), kind="stable")
        return [int(i) for i in order[: max(n, 0)] if np.isfinite(values[i])]


def dtssd(pred_t, pred_prev, true_t, true_prev) -> float:
    """dtSSD of frame t as Robust Video Matting defines it (``MetricDTSSD`` in
    evaluation/evaluate_lr.py and evaluate_hr.py of PeterL1n/RobustVideoMatting): the
    square root of the summed squared difference between the predicted and the true
    change of alpha from frame t-1 to t, divided by the pixel count, times 100.

    Arguments are alphas of one shape, float in [0, 1] or uint8 mattes (read as k/255, as
    RVM reads its PNGs); computed in float64.
    """
    pred_t, pred_prev, true_t, true_prev = (
        to_alpha(np.asarray(a)).astype(np.float64) for a in (pred_t, pred_prev, true_t, true_prev)
    )
    squared = ((pred_t - pred_prev) - (true_t - true_prev)) ** 2
    return float(np.sqrt(squared.sum() / true_t.size) * 1e2)


class TruthMeter:
    """Error against true mattes per frame, on Robust Video Matting's scales (their
    evaluation/evaluate_lr.py and evaluate_hr.py, which read alphas as k/255 floats):

    - MAD = mean |pred - true| * 1e3
    - MSE = mean (pred - true)^2 * 1e3
    - dtSSD (t >= 1) = ``dtssd`` above, * 1e2.

    RVM records dtSSD 0 for a clip's first frame and averages every metric over all
    frames, first included, so ``dtssd`` here is the sum over t >= 1 divided by the frame
    count; ``dtssd_values`` has NaN for the first frame (nothing to compare it with).

    ``add(matte, truth)`` each frame in order, both uint8 0..255. A prediction of another
    size is resized to the truth's (INTER_AREA to shrink, INTER_LINEAR to enlarge). The
    sums are exact integer sums (cv2.norm), so they match RVM's up to its float32 rounding.
    """

    def __init__(self) -> None:
        self._mad: list[float] = []
        self._mse: list[float] = []
        self._dtssd: list[float] = []
        self._error: np.ndarray | None = None  # pred - true of the previous frame, int16

    def add(self, matte: np.ndarray, truth: np.ndarray) -> tuple[float, float, float]:
        """Score the next frame; returns its (MAD, MSE, dtSSD), dtSSD NaN for the first."""
        if matte.shape != truth.shape:
            shrink = matte.shape[0] * matte.shape[1] > truth.shape[0] * truth.shape[1]
            how = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
            matte = cv2.resize(matte, truth.shape[::-1], interpolation=how)
        count = truth.size
        mad = cv2.norm(matte, truth, cv2.NORM_L1) / (255.0 * count) * 1e3
        mse = cv2.norm(matte, truth, cv2.NORM_L2SQR) / (255.0**2 * count) * 1e3
        # (pred_t - pred_t-1) - (true_t - true_t-1) is the change of the error pred - true.
        error = cv2.subtract(matte, truth, dtype=cv2.CV_16S)
        change = math.nan
        if self._error is not None and self._error.shape == error.shape:
            change = math.sqrt(cv2.norm(error, self._error, cv2.NORM_L2SQR) / count) / 255 * 1e2
        self._error = error
        self._mad.append(mad)
        self._mse.append(mse)
        self._dtssd.append(change)
        return mad, mse, change

    @property
    def frames(self) -> int:
        return len(self._mad)

    @property
    def mad_values(self) -> np.ndarray:
        return np.array(self._mad, np.float64)

    @property
    def mse_values(self) -> np.ndarray:
        return np.array(self._mse, np.float64)

    @property
    def dtssd_values(self) -> np.ndarray:
        """Per-frame dtSSD; NaN for the first frame (and after a change of truth size)."""
        return np.array(self._dtssd, np.float64)

    @property
    def mad(self) -> float:
        return float(np.mean(self._mad)) if self._mad else math.nan

    @property
    def mse(self) -> float:
        return float(np.mean(self._mse)) if self._mse else math.nan

    @property
    def dtssd(self) -> float:
        """RVM's clip dtSSD: frames with no previous frame count as 0, as its first does."""
        return float(np.nansum(self._dtssd) / len(self._dtssd)) if self._dtssd else math.nan

    def summary(self) -> dict[str, float]:
        """{"MAD": ..., "MSE": ..., "dtSSD": ...}: the clip's means on RVM's scales."""
        return {"MAD": self.mad, "MSE": self.mse, "dtSSD": self.dtssd}
