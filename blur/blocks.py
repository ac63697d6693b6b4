"""The photo's background and subject colours averaged over blocks, in one pass.

Most blocks of a portrait are all background or all subject: their average is the photo's
own, from one area-averaged copy of it. Only the blocks along the subject's outline mix
the two; their pixels are gathered and split by alpha exactly. So every reduced plate the
blur needs (the hole's fill, the clean edges' colour maps) comes from one downsampling of
the photo instead of a masked copy and a downsampling per plate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from blur.arrays import shrink

# Above this block size a block of one 255 among zeros can average to 0 in uint8, so the
# area-averaged opaque mask no longer says which blocks are all subject.
MAX_BLOCK = 22
GATHER_CHUNK = 4096  # outline blocks split at once


@dataclass
class Part:
    """Premultiplied colour (h x w x 3) and coverage (h x w) of one class of pixels,
    float32 averages over ``factor`` x ``factor`` blocks (a last partial row or column of
    blocks is dropped, as blur.arrays.shrink does)."""

    colour: np.ndarray
    coverage: np.ndarray
    factor: int

    def at(self, factor: int) -> tuple[np.ndarray, np.ndarray]:
        """The same averages over blocks of ``factor`` pixels, a multiple of ours."""
        if factor % self.factor:
            raise ValueError(f"{factor} is not a multiple of the block size {self.factor}")
        step = factor // self.factor
        return shrink(self.colour, step), shrink(self.coverage, step)


@dataclass
class Parts:
    background: Part  # pixels with alpha <= background_alpha
    subject: Part  # pixels with alpha >= subject_alpha
    background_alpha: float
    subject_alpha: float


def _outline_sums(
    image: np.ndarray, alpha: np.ndarray, blocks: np.ndarray, factor: int, shape: tuple,
    background_alpha: float, subject_alpha: float,
) -> tuple[np.ndarray, ...]:  # fmt: skip
    """Exact background and subject colour sums and counts in the flat ``blocks``."""
    rows, cols = shape
    tiles = image[: rows * factor, : cols * factor].reshape(rows, factor, cols, factor, 3)
    alphas = alpha[: rows * factor, : cols * factor].reshape(rows, factor, cols, factor)
    sums = [np.zeros((blocks.size, 3), np.float32) for _ in range(2)]
    counts = [np.zeros(blocks.size, np.float32) for _ in range(2)]
    for start in range(0, blocks.size, GATHER_CHUNK):
        part = slice(start, start + GATHER_CHUNK)
        by, bx = np.divmod(blocks[part], cols)
        pixels = tiles[by, :, bx].reshape(-1, factor * factor, 3).astype(np.float32)
        a = alphas[by, :, bx].reshape(-1, factor * factor)
        for i, weight in enumerate((a <= background_alpha, a >= subject_alpha)):
            weight = weight.astype(np.float32)
            sums[i][part] = np.matmul(weight[:, None, :], pixels)[:, 0]
            counts[i][part] = weight.sum(1)
    return sums[0], counts[0], sums[1], counts[1]


def block_parts(
    image: np.ndarray,
    alpha: np.ndarray,
    opaque: np.ndarray,
    band: np.ndarray,
    factor: int,
    background_alpha: float,
    subject_alpha: float,
) -> Parts:
    """Background (alpha <= ``background_alpha``) and subject (alpha >= ``subject_alpha``)
    averages over ``factor`` x ``factor`` blocks, ``factor`` in 2..MAX_BLOCK.

    ``opaque`` is the uint8 mask of the pixels above the soft band and ``band`` the flat
    indices of the soft band's pixels; every other pixel is below the band. Both alphas lie
    within the band, so a block of opaque pixels only is all subject and one of pixels
    below the band only is all background; the rest are split pixel by pixel.
    """
    if not 2 <= factor <= MAX_BLOCK:
        raise ValueError(f"block size must be in 2..{MAX_BLOCK}, got {factor}")
    h, w = alpha.shape
    mean = shrink(image, factor).astype(np.float32)
    rows, cols = mean.shape[:2]
    opaque_share = shrink(opaque, factor)
    # Blocks holding a band pixel, on a grid one wider and taller for the partial ones.
    ys = band // w
    banded = np.zeros((rows + 1) * (cols + 1), bool)
    banded[(ys // factor) * (cols + 1) + (band - ys * w) // factor] = True
    banded = banded.reshape(rows + 1, cols + 1)[:rows, :cols]
    all_subject = (opaque_share == 255) & ~banded
    all_background = (opaque_share == 0) & ~banded
    outline = np.flatnonzero(~(all_subject | all_background))
    sums = _outline_sums(
        image, alpha, outline, factor, (rows, cols), background_alpha, subject_alpha
    )
    area = np.float32(factor * factor)
    parts = []
    for whole, (colour_sum, count) in ((all_background, sums[:2]), (all_subject, sums[2:])):
        coverage = whole.astype(np.float32)
        colour = mean * coverage[..., None]
        coverage.reshape(-1)[outline] = count / area
        colour.reshape(-1, 3)[outline] = colour_sum / area
        parts.append(Part(colour, coverage, factor))
    return Parts(*parts, background_alpha, subject_alpha)
