"""Ways to look at a mask over its photo: overlay, outline, cut-out and difference."""

from __future__ import annotations

import cv2
import numpy as np

from blur.arrays import validated

GREEN = (0, 255, 0)
TINT = 0.5  # tint of a pixel whose alpha is 1; a softer pixel is tinted in proportion
CONTOUR_THICKNESS = 2
CHECKER_FRACTION = 1 / 48  # checkerboard square, as a fraction of the longer side
CHECKER_GREYS = (204, 153)
ONLY_MODEL = np.array((255, 140, 0), np.float32)  # orange: subject for the model alone
ONLY_REFERENCE = np.array((0, 120, 255), np.float32)  # blue: subject for the reference alone


def _contour(out: np.ndarray, alpha: np.ndarray, colour=GREEN) -> np.ndarray:
    """Draw the alpha = 0.5 line, where a mask is cut, onto ``out`` (in place)."""
    subject = cv2.compare(alpha, 0.5, cv2.CMP_GT)
    contours, _ = cv2.findContours(subject, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    thickness = max(1, round(CONTOUR_THICKNESS * max(alpha.shape) / 1280))
    cv2.drawContours(out, contours, -1, colour, thickness, cv2.LINE_AA)
    return out


def mask_overlay(image: np.ndarray, alpha: np.ndarray, outline_only: bool = False) -> np.ndarray:
    """The photo tinted green as much as the alpha says (TINT at alpha 1), so soft edges
    show as soft, with the alpha = 0.5 contour drawn; ``outline_only`` draws just the line."""
    image, alpha = validated(image, alpha)
    if outline_only:
        return _contour(image.copy(), alpha)
    weight = (alpha * TINT)[..., None]
    tinted = image * (1.0 - weight) + np.float32(GREEN) * weight
    return _contour(np.clip(tinted + 0.5, 0, 255).astype(np.uint8), alpha)


def checkerboard(shape: tuple[int, int]) -> np.ndarray:
    """The grey checks that stand for transparency, HxWx3 uint8."""
    h, w = shape
    square = max(4, round(max(h, w) * CHECKER_FRACTION))
    yy, xx = np.ogrid[:h, :w]
    odd = ((yy // square) + (xx // square)) % 2 == 1
    board = np.where(odd, *CHECKER_GREYS).astype(np.uint8)
    return np.repeat(board[..., None], 3, axis=2)


def cutout(
    colours: np.ndarray, alpha: np.ndarray, backdrop: tuple[int, int, int] | None = None
) -> np.ndarray:
    """The subject (``colours``, e.g. foreground_colours) over a checkerboard, or over a
    solid ``backdrop`` colour (RGB), where a fringe of the old background shows plainly."""
    colours, alpha = validated(colours, alpha)
    a = alpha[..., None]
    behind = checkerboard(alpha.shape) if backdrop is None else np.float32(backdrop)
    mixed = colours * a + behind * (1.0 - a)
    return np.clip(mixed + 0.5, 0, 255).astype(np.uint8)


def difference(image: np.ndarray, alpha: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Where ``alpha`` and ``reference`` disagree, over the photo in faint grey: orange
    where only ``alpha`` sees subject, blue where only ``reference`` does, as strong as the
    disagreement."""
    image, alpha = validated(image, alpha)
    reference = validated(image, reference)[1]
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32) * 0.35 + 40
    base = np.repeat(grey[..., None], 3, axis=2)
    more = np.clip(alpha - reference, 0, 1)[..., None]
    less = np.clip(reference - alpha, 0, 1)[..., None]
    out = base * (1 - more - less) + ONLY_MODEL * more + ONLY_REFERENCE * less
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)
