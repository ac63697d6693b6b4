"""Peak memory of one large photo through the offline model, in a fresh process.

`uv run python -m bench.memory [MP]` prints the peak resident memory (MB) of: decoding a
JPEG of that many megapixels, MediaPipe Selfie on the capped working copy, the preview
overlay and blur, and the full-resolution blur for the download.
"""

from __future__ import annotations

import io
import resource
import sys

import numpy as np
from PIL import Image

PEAK_LIMIT_MB = 2500  # stated limit for a 50 MP photo; tests/test_memory.py holds us to it


def photo_jpeg(megapixels: float) -> bytes:
    from bench.scenes import portrait_scene

    w = int((megapixels * 1e6 * 4 / 3) ** 0.5)
    h = int(w * 3 / 4)
    small = portrait_scene(w // 4, h // 4).photo
    image = Image.fromarray(small).resize((w, h), Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def peak_mb() -> float:
    """This process's peak resident memory. VmHWM belongs to the process's own address space;
    ru_maxrss on Linux can carry the peak of the parent that started it."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(megapixels: float) -> dict[str, float]:
    from blur import blur_background, fit_within, mask_overlay, resize_alpha
    from models.runtime import run_model
    from photo.decode import decode_photo

    data = photo_jpeg(megapixels)
    baseline = peak_mb()
    photo = decode_photo(data, "large.jpg")
    del data
    result = run_model("mediapipe_selfie", photo.model_image, "cpu")
    assert result.ok, result.error
    rgb = np.asarray(photo.image)
    preview, _ = fit_within(rgb, 1280)
    small_alpha = resize_alpha(result.alpha, preview.shape[:2])
    mask_overlay(preview, small_alpha)
    blur_background(preview, small_alpha, 101)
    full = blur_background(rgb, resize_alpha(result.alpha, rgb.shape[:2]), 101)
    assert full.shape == rgb.shape
    return {
        "megapixels": rgb.shape[0] * rgb.shape[1] / 1e6,
        "baseline": baseline,
        "peak": peak_mb(),
    }


if __name__ == "__main__":
    mp = float(sys.argv[1]) if len(sys.argv) > 1 else 50.0
    figures = run(mp)
    print(
        f"{figures['megapixels']:.0f} MP photo through MediaPipe Selfie and full-size blur: "
        f"peak {figures['peak']:.0f} MB resident (imports and model: {figures['baseline']:.0f} MB; "
        f"stated limit {PEAK_LIMIT_MB} MB)"
    )
