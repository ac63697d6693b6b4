"""Synthetic portraits with known ground truth: a subject composited over a clean plate."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from photo.samples import sample_path

PLATE_PHOTO = sample_path("coffee.png")


@dataclass
class Scene:
    photo: np.ndarray  # HxWx3 uint8: subject over plate
    alpha: np.ndarray  # HxW float32 ground-truth alpha
    plate: np.ndarray  # HxWx3 uint8: the background alone
    subject: np.ndarray  # HxWx3 uint8: the subject's own colours everywhere


def background_plate(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A real photo (coffee cup, CC0) stretched to size, with fine grain so blur shows."""
    base = cv2.imread(str(PLATE_PHOTO))[..., ::-1]
    plate = cv2.resize(base, (width, height), interpolation=cv2.INTER_CUBIC).astype(np.int16)
    grain = np.random.default_rng(seed).integers(-12, 13, (height, width, 1), dtype=np.int16)
    return np.clip(plate + grain, 0, 255).astype(np.uint8)


def portrait_alpha(width: int, height: int, edge_fraction: float = 0.004) -> np.ndarray:
    """Head and shoulders, with a soft edge a fraction of the diagonal wide."""
    mask = np.zeros((height, width), np.uint8)
    cx, short = width // 2, min(width, height)
    cv2.ellipse(
        mask, (cx, int(height * 0.38)), (int(short * 0.16), int(short * 0.21)), 0, 0, 360, 255, -1
    )
    cv2.ellipse(mask, (cx, height), (int(width * 0.34), int(height * 0.36)), 0, 180, 360, 255, -1)
    edge = max(1.0, edge_fraction * float(np.hypot(width, height)))
    soft = cv2.GaussianBlur(mask.astype(np.float32) / 255.0, (0, 0), edge)
    return np.clip((soft - 0.5) * 1.5 + 0.5, 0.0, 1.0).astype(np.float32)


def portrait_scene(width: int, height: int, seed: int = 0, edge_fraction: float = 0.004) -> Scene:
    """Subject over plate; a larger ``edge_fraction`` gives a wide soft edge, like hair."""
    plate = background_plate(width, height, seed)
    alpha = portrait_alpha(width, height, edge_fraction)
    yy, xx = np.mgrid[:height, :width].astype(np.float32)
    stripes = 40 * np.sin(xx / max(width, 1) * 60) * np.cos(yy / max(height, 1) * 45)
    subject = np.dstack([220 + stripes * 0.2, 40 + stripes, 170 - stripes * 0.5])
    subject = np.clip(subject, 0, 255).astype(np.uint8)
    a = alpha[..., None]
    photo = np.rint(subject * a + plate * (1.0 - a)).astype(np.uint8)
    return Scene(photo=photo, alpha=alpha, plate=plate, subject=subject)


def background_band(alpha: np.ndarray, width_px: int) -> np.ndarray:
    """Background pixels (alpha = 0) within ``width_px`` of the subject."""
    subject = (alpha > 0).astype(np.uint8)
    near = cv2.dilate(
        subject, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * width_px + 1,) * 2)
    )
    return (near > 0) & (alpha == 0)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def soft_band(alpha: np.ndarray) -> np.ndarray:
    """The soft edge where subject and background mix: 0.05 < alpha < 0.95."""
    return (alpha > 0.05) & (alpha < 0.95)


def ideal_blur(scene: Scene, blurred_plate: np.ndarray) -> np.ndarray:
    """alpha * F + (1 - alpha) * blur(B) with the true F and B: what a perfect result shows."""
    a = scene.alpha[..., None]
    return scene.subject.astype(np.float32) * a + blurred_plate.astype(np.float32) * (1.0 - a)
