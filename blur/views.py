"""Ways to look at a mask over its photo (overlay, outline, cut-out, difference), and the
table of views every part of the app draws from (``VIEWS``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np

from blur.arrays import to_matte, validated

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


# The table of views: what the grid, the zoom and the downloads draw, each from a Canvas of
# its own size (the preview, a full-resolution window, the whole photo).

CHECKS = "Checkerboard"
# What the cut-out is shown over: checks for "transparent", solid colours to see fringes;
# None (the download) keeps the transparency itself as an alpha channel.
BACKDROPS: dict[str, tuple[int, int, int] | None] = {
    CHECKS: None, "White": (255, 255, 255), "Black": (0, 0, 0),
    "Grey": (128, 128, 128), "Green": (0, 177, 64),
}  # fmt: skip


@dataclass(frozen=True)
class ViewOptions:
    """How a result is drawn, besides its view: the blur's look and each view's own option."""

    strength: int = 0  # Blur Strength (blur.composite), scaled to the photo
    lens: str = "gaussian"
    clean_edges: bool = True  # the subject's own colour in soft pixels (blur and cut-out)
    outline: bool = False  # Overlay: the contour alone
    backdrop: str | None = CHECKS  # Cut-out: one of BACKDROPS; None: RGBA, transparent


class Canvas(Protocol):
    """One result at one size: the photo, the result's alpha at the same size, and what the
    views need that each user makes its own way (the blur, above all)."""

    rgb: np.ndarray  # HxWx3 uint8
    alpha: np.ndarray  # HxW float32 in [0, 1]

    def colours(self, clean_edges: bool) -> np.ndarray: ...
    def blurred(self, options: ViewOptions) -> np.ndarray: ...
    def reference(self) -> np.ndarray: ...  # the alpha the Difference view compares with


def _cutout(canvas: Canvas, options: ViewOptions) -> np.ndarray:
    colours = canvas.colours(options.clean_edges)
    if options.backdrop is None:
        return np.dstack([colours, to_matte(canvas.alpha)])
    return cutout(colours, canvas.alpha, BACKDROPS[options.backdrop])


@dataclass(frozen=True)
class View:
    name: str
    draw: Callable[[Canvas, ViewOptions], np.ndarray]
    depends_on: tuple[str, ...]  # the ViewOptions fields its image changes with
    help: str

    def setting(self, options: ViewOptions) -> tuple:
        """What the image depends on besides the result: part of the key it is kept by."""
        return tuple(getattr(options, name) for name in self.depends_on)


VIEWS: dict[str, View] = {
    view.name: view
    for view in (
        View("Blur", lambda c, o: c.blurred(o), ("strength", "lens", "clean_edges"),
             "the photo with its background blurred"),
        View("Overlay", lambda c, o: mask_overlay(c.rgb, c.alpha, o.outline), ("outline",),
             "the subject tinted green as strongly as its alpha, with its contour"),
        View("Matte", lambda c, o: to_matte(c.alpha), (), "the alpha as greyscale"),
        View("Cut-out", _cutout, ("clean_edges", "backdrop"),
             "the subject over checks or a solid backdrop"),
        View("Difference", lambda c, o: difference(c.rgb, c.alpha, c.reference()), (),
             "orange: subject only for the model; blue: only for the reference"),
    )
}  # fmt: skip
