"""Array plumbing shared by the compositing steps: checks, integer rescaling, masks."""

from __future__ import annotations

import cv2
import numpy as np


def validated(image: np.ndarray, alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    image = np.asarray(image)
    alpha = np.asarray(alpha)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image must be HxWx3 uint8 RGB, got {image.dtype} {image.shape}")
    if alpha.shape != image.shape[:2]:
        raise ValueError(f"alpha shape {alpha.shape} does not match image {image.shape[:2]}")
    alpha = alpha.astype(np.float32, copy=False)
    low, high, _, _ = cv2.minMaxLoc(alpha)  # one pass over it, not two
    if low < 0.0 or high > 1.0:
        alpha = np.clip(alpha, 0.0, 1.0)
    return np.ascontiguousarray(image), alpha


def ellipse(size: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))


def shrink(image: np.ndarray, factor: int) -> np.ndarray:
    """Area-average ``factor`` x ``factor`` blocks; a last partial row or column is dropped.

    Whole blocks take OpenCV's fast integer path (uint8 averages are rounded; an even
    ``factor`` halves first, within a grey level of one step); what is dropped is under
    ``factor`` pixels wide and comes back by edge replication in expand, under a blur of at
    least a few times ``factor`` pixels.
    """
    h, w = image.shape[:2]
    size = (max(1, w // factor), max(1, h // factor))
    whole = image[: size[1] * factor, : size[0] * factor]
    halves = (size[0] * factor // 2, size[1] * factor // 2)
    if factor % 2 == 0 and factor > 2 and whole.shape[1::-1] == (2 * halves[0], 2 * halves[1]):
        # Halving takes OpenCV's fastest path: both steps cost about half of one.
        whole = cv2.resize(whole, halves, interpolation=cv2.INTER_AREA)
    return cv2.resize(whole, size, interpolation=cv2.INTER_AREA)


def expand(small: np.ndarray, factor: int, shape: tuple[int, int]) -> np.ndarray:
    h, w = shape
    sh, sw = small.shape[:2]
    big = cv2.resize(small, (sw * factor, sh * factor), interpolation=cv2.INTER_LINEAR)
    if big.shape[:2] != (h, w):
        big = cv2.copyMakeBorder(
            big[:h, :w], 0, max(0, h - big.shape[0]), 0, max(0, w - big.shape[1]),
            cv2.BORDER_REPLICATE,
        )  # fmt: skip
    return big


def pixels_at(image: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """The N x 3 pixels of a contiguous HxWx3 uint8 image at flat ``indices``."""
    return np.take(image.reshape(-1, 3), indices, axis=0)


def put_pixels(image: np.ndarray, indices: np.ndarray, pixels: np.ndarray) -> None:
    """Write N x 3 uint8 ``pixels`` into a contiguous HxWx3 uint8 image at flat ``indices``
    (as 3-byte items: several times faster than assigning rows)."""
    item = np.dtype((np.void, 3))
    np.put(image.reshape(-1, 3).view(item), indices, np.ascontiguousarray(pixels).view(item))


def to_matte(alpha: np.ndarray) -> np.ndarray:
    """float alpha (nominally [0, 1]) -> uint8 matte 0..255, rounded and clipped."""
    scaled = np.asarray(alpha, np.float32) * np.float32(255) + np.float32(0.5)
    return np.clip(scaled, 0, 255).astype(np.uint8)


def to_alpha(matte: np.ndarray) -> np.ndarray:
    """uint8 matte 0..255 -> float32 alpha in [0, 1]; a float alpha is returned as it is."""
    if matte.dtype != np.uint8:
        return matte.astype(np.float32, copy=False)
    return matte.astype(np.float32) / np.float32(255)  # exact: k/255 as read_matte gives it


def to_uint8(plate: np.ndarray) -> np.ndarray:
    if plate.dtype == np.uint8:
        return plate
    return np.clip(plate + 0.5, 0, 255).astype(np.uint8)


_COMPARISONS = {
    ">": cv2.CMP_GT, ">=": cv2.CMP_GE, "<": cv2.CMP_LT, "<=": cv2.CMP_LE,
}  # fmt: skip


def mask(alpha: np.ndarray, op: str, value: float) -> np.ndarray:
    """uint8 mask (0 or 255) of ``alpha op value``; OpenCV's compare is several times faster."""
    return cv2.compare(alpha, value, _COMPARISONS[op])


def fit_within(array: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """Downscale an image or alpha so its longer side is at most ``max_side``, with the scale."""
    h, w = array.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    if scale == 1.0:
        return array, 1.0
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(array, size, interpolation=cv2.INTER_AREA), scale


def resize_alpha(alpha: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """An alpha resized to ``shape`` (h, w): area-averaged down, bilinear up."""
    if alpha.shape == shape:
        return alpha
    shrinking = shape[0] * shape[1] < alpha.shape[0] * alpha.shape[1]
    method = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return cv2.resize(alpha, (shape[1], shape[0]), interpolation=method)
