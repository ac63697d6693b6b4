"""How much masks agree: intersection over union of the subjects (alpha > 0.5)."""

from __future__ import annotations

import numpy as np


def mask_iou(a: np.ndarray, b: np.ndarray, threshold: float = 0.5) -> float:
    """IoU of two alphas' subjects; two empty masks agree perfectly."""
    sa, sb = a > threshold, b > threshold
    union = np.count_nonzero(sa | sb)
    return 1.0 if union == 0 else np.count_nonzero(sa & sb) / union


def iou_matrix(alphas: list[np.ndarray], threshold: float = 0.5) -> np.ndarray:
    """Symmetric matrix of pairwise IoU, ones on the diagonal."""
    n = len(alphas)
    matrix = np.ones((n, n), np.float64)
    for i in range(n):
        for j in range(i + 1, n):
            matrix[i, j] = matrix[j, i] = mask_iou(alphas[i], alphas[j], threshold)
    return matrix
