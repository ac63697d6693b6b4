"""Scenes for the video scores' and steadier's tests: textures, discs with their exact
alpha, and their composites (uint8 RGB frames, W x H = 640 x 360)."""

from __future__ import annotations

import cv2
import numpy as np

W, H = 640, 360  # shrunk to the work size by halving: the meter's whole path runs


def texture(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A smooth, strongly coloured random texture (uint8 RGB): every shift shows."""
    noise = cv2.GaussianBlur(rng.integers(0, 256, (h, w, 3), np.uint8).astype(np.float32),
                             (0, 0), 2.0)  # fmt: skip
    return np.clip((noise - noise.mean()) * (90 / noise.std()) + 128, 0, 255).astype(np.uint8)


def disc(cx: float, cy: float, radius: float) -> np.ndarray:
    """The exact float alpha (H x W) of an anti-aliased disc."""
    y, x = np.mgrid[0:H, 0:W]
    return np.clip(radius + 0.5 - np.hypot(x - cx, y - cy), 0, 1).astype(np.float32)


def matte(alpha: np.ndarray) -> np.ndarray:
    return np.clip(alpha * 255 + 0.5, 0, 255).astype(np.uint8)


def composite(alpha: np.ndarray, subject: np.ndarray, background: np.ndarray) -> np.ndarray:
    a = alpha[..., None]
    return np.rint(a * subject + (1 - a) * background).astype(np.uint8)
