"""A labelled dataset made here, so the evaluation runs offline with nothing to download:
composites whose true alpha is known exactly, because it is the alpha they were made with.

Each sample is a head-and-shoulders silhouette, with a feathered edge and hair-like strands
of partial coverage, cut out of the astronaut portrait in tests/data and laid over a photo
without a person (coffee, cat), moved, scaled and mirrored at random. Scores on these are
a check that the evaluation works, never a claim about a model's quality on real photos.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from blur.arrays import to_matte
from photo.samples import NO_PERSON, PORTRAIT, sample_path

SUBJECT = PORTRAIT  # 512x512; its head and shoulders are where the silhouette is
BACKGROUNDS = NO_PERSON
SIDE = 512
SUPERSAMPLE = 4  # the silhouette is drawn this much larger, then area-averaged: soft edges
NOTICE = (
    "Synthetic composites (evaluation.synthetic): a cut-out of one portrait over photos "
    "without a person, with an exact true alpha. These scores show that the evaluation "
    "works; they are not claims about any model's quality on real photos."
)


HAIR = (112, 84, 52)  # the portrait's hair colour, for the strands beyond its head


def _small(canvas: np.ndarray) -> np.ndarray:
    small = cv2.resize(canvas, (SIDE, SIDE), interpolation=cv2.INTER_AREA)
    return cv2.GaussianBlur(small.astype(np.float32) / 255, (0, 0), 0.6)


def silhouette(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Float alphas (SIDE x SIDE) of a head, neck and shoulders with fine strands of hair,
    and of the strands alone."""
    s = SUPERSAMPLE
    canvas = np.zeros((SIDE * s, SIDE * s), np.uint8)
    strands = np.zeros_like(canvas)
    head_centre, head_axes = (225 * s, 95 * s), (72 * s, 84 * s)
    cv2.ellipse(canvas, head_centre, head_axes, 0, 0, 360, 255, -1, cv2.LINE_AA)
    cv2.rectangle(canvas, (185 * s, 150 * s), (268 * s, 215 * s), 255, -1)
    torso = np.array([[150, 200], [300, 200], [420, 330], [505, 512], [0, 512], [40, 300]])
    cv2.fillPoly(canvas, [torso * s], 255, cv2.LINE_AA)
    for _ in range(int(rng.integers(40, 90))):  # strands leave the top half of the head
        angle = rng.uniform(np.pi * 1.05, np.pi * 1.95)
        start = np.array(head_centre) + np.array(head_axes) * [np.cos(angle), np.sin(angle)]
        points = [start]
        heading = angle + rng.normal(0, 0.3)
        for _ in range(int(rng.integers(3, 8))):
            heading += rng.normal(0, 0.35)
            points.append(points[-1] + rng.uniform(3, 7) * s * np.array(
                [np.cos(heading), np.sin(heading)]))  # fmt: skip
        cv2.polylines(strands, [np.int32(points)], False, 255, int(rng.integers(1, 4)),
                      cv2.LINE_AA)  # fmt: skip
    return _small(np.maximum(canvas, strands)), _small(strands)


def _background(rng: np.random.Generator) -> np.ndarray:
    photo = np.asarray(Image.open(sample_path(rng.choice(BACKGROUNDS))).convert("RGB"))
    h, w = photo.shape[:2]
    side = int(rng.integers(min(h, w) * 2 // 3, min(h, w) + 1))
    top, left = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
    crop = photo[top : top + side, left : left + side]
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    return cv2.resize(crop, (SIDE, SIDE), interpolation=cv2.INTER_CUBIC)


def sample(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One composite (uint8 RGB) and its true alpha (float32 in [0, 1])."""
    composite, alpha, _ = layers(rng)
    return composite, alpha


def layers(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One composite (uint8 RGB), its true alpha (float32 in [0, 1]) and its true
    foreground colours (float32 RGB, 0-255), which the composite mixes with a background."""
    subject = np.asarray(Image.open(sample_path(SUBJECT)).convert("RGB")).astype(np.float32)
    alpha, strands = silhouette(rng)
    hair = np.array(HAIR, np.float32) + rng.normal(0, 12, subject.shape).astype(np.float32)
    subject = subject + strands[..., None] * (hair - subject)  # strands are hair-coloured
    scale = rng.uniform(0.7, 1.0)
    shift = (rng.uniform(0, 1 - scale) * SIDE, (1 - scale) * SIDE)  # cut by the frame's bottom
    move = np.array([[scale, 0, shift[0]], [0, scale, shift[1]]], np.float32)
    if rng.random() < 0.5:
        move = np.array([[-1, 0, SIDE - 1], [0, 1, 0]], np.float32) @ np.vstack([move, [0, 0, 1]])
    subject = cv2.warpAffine(subject, move, (SIDE, SIDE), flags=cv2.INTER_LINEAR)
    alpha = cv2.warpAffine(alpha, move, (SIDE, SIDE), flags=cv2.INTER_LINEAR)
    alpha = np.clip(alpha, 0.0, 1.0)
    background = _background(rng).astype(np.float32)
    composite = alpha[..., None] * subject + (1 - alpha[..., None]) * background
    return np.clip(composite + 0.5, 0, 255).astype(np.uint8), alpha, np.clip(subject, 0, 255)


def samples(count: int, seed: int = 0) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
    """(name, composite, true alpha) for ``count`` samples, the same for the same seed."""
    rng = np.random.default_rng(seed)
    for n in range(count):
        image, alpha = sample(rng)
        yield f"synthetic-{n:03d}", image, alpha


def write(count: int, images: Path, mattes: Path, seed: int = 0) -> None:
    """The dataset as files: images/<name>.png and mattes/<name>.png (8-bit alpha)."""
    images.mkdir(parents=True, exist_ok=True)
    mattes.mkdir(parents=True, exist_ok=True)
    for name, image, alpha in samples(count, seed):
        Image.fromarray(image).save(images / f"{name}.png")
        matte = to_matte(alpha)
        Image.fromarray(matte).save(mattes / f"{name}.png")
