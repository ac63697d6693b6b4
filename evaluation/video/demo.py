"""An offline demo clip whose true alpha is known exactly in every frame, because it is the
alpha the frame was composited with.

The cut-out of evaluation.synthetic (the astronaut portrait's head and shoulders, with
hair-like strands of partial coverage) slides, bobs, turns and breathes in scale over a
photo without a person that pans. Every frame is ``alpha * subject + (1 - alpha) *
background`` in float, rounded, with alpha = matte / 255 of the matte returned beside it,
so a model's error against that matte is exact up to 1/255.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import cv2
import numpy as np
from PIL import Image

from blur.arrays import to_matte
from evaluation.synthetic import BACKGROUNDS, SIDE, layers
from photo.samples import sample_path

NOTICE = (
    "Synthetic demo clip (evaluation.video.demo): a cut-out of one portrait moving over a "
    "panning photo without a person, with an exact true alpha in every frame. Scores on it "
    "show that the video evaluation works; they are not claims about any model's quality "
    "on real video."
)

HEIGHT_SHARE = 0.9  # the cut-out's canvas is this share of the frame's height
PAD_SHARE = 0.25  # rows (share of the canvas) added below, continuing the torso downwards
CROP_MARGIN = 2  # pixels kept around the cut-out's matte when it is cropped
SLIDE = 0.15  # horizontal travel either side of the centre, share of the frame's width
SLIDE_S = 6.0  # period of the slide, seconds
BOB = 0.025  # vertical bob, share of the frame's height
BOB_S = 1.7
TURN_DEG = 5.0  # rotation either way, degrees, about the middle of the portrait's bottom
TURN_S = 4.3
BREATHE = 0.04  # relative change of scale either way
BREATHE_S = 3.1
PERIODS_S = (SLIDE_S, BOB_S, TURN_S, BREATHE_S)
PAN = (0.2, 0.08)  # background travel (width, height), share of the frame's size
PAN_S = (8.0, 5.0)  # time for one sweep across the travel, seconds (x, y)


def frame_count(seconds: float, fps: float) -> int:
    """Frames in a clip of ``seconds`` at ``fps`` (rounded, never negative)."""
    return max(0, round(seconds * fps))


def _cutout(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """The synthetic set's cut-out: subject colours (uint8 RGB) and its matte (uint8), the
    canvas's bottom rows repeated below it so the torso leaves the frame, cropped to where
    the matte is not 0; and the crop's (left, top) on the canvas."""
    _, alpha, subject = layers(rng)
    pad = round(SIDE * PAD_SHARE)
    rgb = np.clip(subject + 0.5, 0, 255).astype(np.uint8)
    rgb = cv2.copyMakeBorder(rgb, 0, pad, 0, 0, cv2.BORDER_REPLICATE)
    matte = cv2.copyMakeBorder(to_matte(alpha), 0, pad, 0, 0, cv2.BORDER_REPLICATE)
    left, top, w, h = cv2.boundingRect(matte)
    # A margin of real colours around the crop: the warp's interpolation reads them.
    left, top = max(left - CROP_MARGIN, 0), max(top - CROP_MARGIN, 0)
    crop = (slice(top, top + h + 2 * CROP_MARGIN), slice(left, left + w + 2 * CROP_MARGIN))
    return np.ascontiguousarray(rgb[crop]), np.ascontiguousarray(matte[crop]), (left, top)


def _backdrop(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """A background photo (uint8 RGB) scaled to cover the frame plus the pan's travel."""
    photo = np.asarray(Image.open(sample_path(str(rng.choice(BACKGROUNDS)))).convert("RGB"))
    if rng.random() < 0.5:
        photo = photo[:, ::-1]
    w, h = size
    need = (math.ceil(w * (1 + PAN[0])), math.ceil(h * (1 + PAN[1])))
    scale = max(need[0] / photo.shape[1], need[1] / photo.shape[0])
    cover = (
        max(need[0], round(photo.shape[1] * scale)),
        max(need[1], round(photo.shape[0] * scale)),
    )
    return cv2.resize(np.ascontiguousarray(photo), cover, interpolation=cv2.INTER_CUBIC)


def _sweep(time_s: float, period_s: float, phase: float) -> float:
    """A triangle wave in [0, 1]: constant speed, one sweep per ``period_s``."""
    position = (time_s / period_s + phase) % 2.0
    return position if position <= 1.0 else 2.0 - position


def composite(subject: np.ndarray, matte: np.ndarray, background: np.ndarray) -> np.ndarray:
    """``alpha * subject + (1 - alpha) * background`` with alpha = matte / 255, rounded to
    uint8: subject, background HxWx3 uint8; matte HxW uint8; returns HxWx3 uint8.

    Where the matte is 0 or 255 that is the background or the subject exactly, so only the
    partial pixels (a few percent of a frame) are mixed, in float32.
    """
    frame = background.copy()
    cv2.copyTo(subject, cv2.compare(matte, 255, cv2.CMP_EQ), frame)
    points = cv2.findNonZero(cv2.inRange(matte, 1, 254))  # N x 1 x 2 (x, y), or None
    if points is None:
        return frame
    index = points[:, 0, 1] * matte.shape[1] + points[:, 0, 0]
    alpha = matte.reshape(-1)[index, None].astype(np.float32) / np.float32(255)
    below = frame.reshape(-1, 3)[index].astype(np.float32)
    above = subject.reshape(-1, 3)[index].astype(np.float32)
    frame.reshape(-1, 3)[index] = np.rint(below + alpha * (above - below)).astype(np.uint8)
    return frame


class DemoScene:
    """The demo's layers at any time: ``size`` = (width, height) of the frames; the cut-out,
    the background photo and the phases of the motions are drawn from ``seed``."""

    def __init__(self, size: tuple[int, int] = (1280, 720), seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.size = (int(size[0]), int(size[1]))
        self._rgb, self._matte, self._crop = _cutout(rng)
        self._backdrop = _backdrop(rng, self.size)
        self._phases = rng.uniform(0, 2 * math.pi, len(PERIODS_S))
        self._pan_phases = rng.uniform(0, 2, 2)

    def placement(self, time_s: float) -> np.ndarray:
        """The 2x3 affine map (float64) from cut-out pixels to frame pixels at ``time_s``."""
        w, h = self.size
        slide, bob, turn, breathe = (
            math.sin(2 * math.pi * time_s / period + phase)
            for period, phase in zip(PERIODS_S, self._phases, strict=True)
        )
        scale = HEIGHT_SHARE * h / SIDE * (1 + BREATHE * breathe)
        anchor = (SIDE / 2, SIDE)  # the middle of the canvas's bottom: the frame's bottom
        move = cv2.getRotationMatrix2D(anchor, TURN_DEG * turn, scale)
        move[:, 2] += (w * (0.5 + SLIDE * slide) - anchor[0], h * (1 + BOB * bob) - anchor[1])
        return move

    def window(self, time_s: float) -> tuple[int, int]:
        """(left, top) of the background window at ``time_s``, in backdrop pixels."""
        spare_x = self._backdrop.shape[1] - self.size[0]
        spare_y = self._backdrop.shape[0] - self.size[1]
        x = _sweep(time_s, PAN_S[0], self._pan_phases[0])
        y = _sweep(time_s, PAN_S[1], self._pan_phases[1])
        return round(x * spare_x), round(y * spare_y)

    def _placed(self, time_s: float) -> tuple[int, int, np.ndarray, np.ndarray]:
        """(left, top, subject, matte) of the cut-out warped into its bounding box on the
        frame: warping only that box costs about half of warping the whole frame."""
        move = self.placement(time_s)
        move[:, 2] += move[:, :2] @ self._crop  # from crop pixels, not canvas pixels
        h, w = self._matte.shape
        corners = cv2.transform(np.float32([[[0, 0], [w, 0], [0, h], [w, h]]]), move)[0]
        low = np.maximum(np.floor(corners.min(0)) - 1, 0).astype(int)
        high = np.minimum(np.ceil(corners.max(0)) + 1, self.size).astype(int)
        box = (int(high[0] - low[0]), int(high[1] - low[1]))  # never empty: the motions
        move[:, 2] -= low  # keep the subject's middle in the frame
        subject = cv2.warpAffine(self._rgb, move, box, flags=cv2.INTER_LINEAR)
        matte = cv2.warpAffine(self._matte, move, box, flags=cv2.INTER_LINEAR)
        return int(low[0]), int(low[1]), subject, matte

    def background(self, time_s: float) -> np.ndarray:
        """The background window at ``time_s`` (HxWx3 uint8, a view of the backdrop)."""
        left, top = self.window(time_s)
        return self._backdrop[top : top + self.size[1], left : left + self.size[0]]

    def layers(self, time_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(subject HxWx3 uint8, matte HxW uint8, background HxWx3 uint8) at ``time_s``;
        the subject's colours where its matte is 0 do not matter (the photo's, or 0)."""
        left, top, subject_box, matte_box = self._placed(time_s)
        box = (slice(top, top + matte_box.shape[0]), slice(left, left + matte_box.shape[1]))
        w, h = self.size
        subject, matte = np.zeros((h, w, 3), np.uint8), np.zeros((h, w), np.uint8)
        subject[box], matte[box] = subject_box, matte_box
        return subject, matte, self.background(time_s)

    def frame(self, time_s: float) -> tuple[np.ndarray, np.ndarray]:
        """(frame HxWx3 uint8 RGB, its true matte HxW uint8) at ``time_s``: the composite
        of ``layers(time_s)``, made within the subject's box only."""
        left, top, subject_box, matte_box = self._placed(time_s)
        box = (slice(top, top + matte_box.shape[0]), slice(left, left + matte_box.shape[1]))
        frame = self.background(time_s).copy()
        frame[box] = composite(subject_box, matte_box, frame[box])
        matte = np.zeros(frame.shape[:2], np.uint8)
        matte[box] = matte_box
        return frame, matte


def demo_frames(
    size: tuple[int, int] = (1280, 720), seconds: float = 4.0, fps: float = 25, seed: int = 0
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(frame HxWx3 uint8 RGB, true matte HxW uint8) for each of ``frame_count(seconds,
    fps)`` frames of the demo clip, ``size`` = (width, height); the same for the same seed.
    Nothing is kept between frames but the scene's prepared layers."""
    scene = DemoScene(size, seed)
    for index in range(frame_count(seconds, fps)):
        yield scene.frame(index / fps)
