"""`uv run python -m bench refine`: what refining a mask gains, and what it costs.

Scenes: the synthetic composites of evaluation/synthetic.py (a portrait cut-out with
hair-like strands of known alpha over sharp photos without a person). Masks refined:
- binary: the true alpha thresholded at 0.5, what SAM3 hands over;
- smooth: the true alpha blurred (sigma 3 px), a segmentation model's soft but wrong edge;
- matting: the true alpha blurred by 0.7 px, nearly right, as a good matting model's.
Per refiner (pymatting's closed-form and KNN matting; ViTMatte when its weights are in the
Hub cache; at the 1% default band): the mean
alpha error in the soft band (0.02 < true alpha < 0.98) before and after, the whole-image
SAD, and seconds per megapixel at the refiner's working size. Then the subject's colour in
soft pixels: pymatting's estimate_foreground_ml against blur.foreground_colours (the app's
clean edges), error against the true foreground and time at 1 and 12 MP. Nothing here is
asserted by the test suite.
"""

from __future__ import annotations

import statistics
import time

import cv2
import numpy as np
from PIL import Image

from blur import foreground_colours
from evaluation.synthetic import layers
from models import hub, registry, runtime

SCENES = 6
SOFT_LOW, SOFT_HIGH = 0.02, 0.98
SMOOTH_SIGMA = 3.0
MATTING_SIGMA = 0.7  # nearly the truth: what a good matting model hands over


def scenes(count: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(0)
    return [layers(rng) for _ in range(count)]


def masks(alpha: np.ndarray) -> dict[str, np.ndarray]:
    return {
        "binary": (alpha > 0.5).astype(np.float32),
        "smooth": cv2.GaussianBlur(alpha, (0, 0), SMOOTH_SIGMA),
        "matting": cv2.GaussianBlur(alpha, (0, 0), MATTING_SIGMA),
    }


def soft_error(alpha: np.ndarray, truth: np.ndarray) -> float:
    band = (truth > SOFT_LOW) & (truth < SOFT_HIGH)
    return float(np.abs(alpha - truth)[band].mean())


def sad(alpha: np.ndarray, truth: np.ndarray) -> float:
    return float(np.abs(alpha - truth).sum() / 1000)  # in thousands, as matting papers do


def refine_quality(found: list, refiners: list) -> None:
    print(f"\nRefine: {len(found)} synthetic scenes (512x512), band "
          f"{registry.DEFAULT_TRIMAP_BAND:.0%} of the longer side; alpha error in the soft band "
          "(mean |alpha - truth|) and SAD (thousands), before -> after")  # fmt: skip
    print(f"{'mask':<8} {'refiner':<21} {'soft before':>11} {'soft after':>10} "
          f"{'SAD before':>10} {'SAD after':>9} {'s/scene':>8}")  # fmt: skip
    for kind in ("binary", "smooth", "matting"):
        for spec in refiners:
            refiner = runtime.build_segmenter(spec, "cpu")
            before, after, sad_before, sad_after, seconds = [], [], [], [], []
            for rgb, truth, _ in found:
                mask = masks(truth)[kind]
                start = time.perf_counter()
                alpha = refiner.refine(Image.fromarray(rgb), mask, registry.DEFAULT_TRIMAP_BAND)
                seconds.append(time.perf_counter() - start)
                before.append(soft_error(mask, truth))
                after.append(soft_error(alpha, truth))
                sad_before.append(sad(mask, truth))
                sad_after.append(sad(alpha, truth))
            means = [statistics.mean(v) for v in (before, after, sad_before, sad_after)]
            each = statistics.median(seconds)
            print(f"{kind:<8} {spec.label:<21} {means[0]:>11.3f} {means[1]:>10.3f} "
                  f"{means[2]:>10.2f} {means[3]:>9.2f} {each:>8.2f}")  # fmt: skip


def refine_speed(found: list, refiners: list) -> None:
    print("\nRefine speed at each refiner's working size (a scene scaled up; binary mask):")
    rgb, truth, _ = found[0]
    for spec in refiners:
        refiner = runtime.build_segmenter(spec, "cpu")
        side = spec.photo_max_side
        big = cv2.resize(rgb, (side, side), interpolation=cv2.INTER_CUBIC)
        mask = cv2.resize(masks(truth)["binary"], (side, side), interpolation=cv2.INTER_NEAREST)
        start = time.perf_counter()
        refiner.refine(Image.fromarray(big), mask, registry.DEFAULT_TRIMAP_BAND)
        seconds = time.perf_counter() - start
        mp = side * side / 1e6
        print(f"  {spec.label:<21} {side}x{side} ({mp:.1f} MP): {seconds:.1f} s, "
              f"{seconds / mp:.1f} s per megapixel")  # fmt: skip


def foreground_error(colours: np.ndarray, truth: np.ndarray, alpha: np.ndarray) -> float:
    band = (alpha > 0.05) & (alpha < 0.95)
    return float(np.abs(colours.astype(np.float32) - truth)[band].mean())


def foreground(found: list) -> None:
    from pymatting import estimate_foreground_ml

    print("\nThe subject's colour in soft pixels (0.05 < alpha < 0.95), true alpha given: mean "
          "|F - true F| (0-255) and seconds")  # fmt: skip
    ours, theirs, ours_s, theirs_s = [], [], [], []
    estimate_foreground_ml(np.zeros((8, 8, 3)), np.full((8, 8), 0.5))  # compile once
    for rgb, truth, subject in found:
        start = time.perf_counter()
        ours.append(foreground_error(foreground_colours(rgb, truth), subject, truth))
        ours_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        estimate = estimate_foreground_ml(rgb / 255.0, truth.astype(np.float64)) * 255
        theirs_s.append(time.perf_counter() - start)
        theirs.append(foreground_error(estimate, subject, truth))
    photo = [foreground_error(rgb, s, t) for rgb, t, s in found]
    print(f"  the photo's own colour     {statistics.mean(photo):6.1f}")
    print(f"  blur.foreground_colours    {statistics.mean(ours):6.1f}   "
          f"{statistics.median(ours_s):.3f} s at 0.26 MP")  # fmt: skip
    print(f"  estimate_foreground_ml     {statistics.mean(theirs):6.1f}   "
          f"{statistics.median(theirs_s):.3f} s at 0.26 MP")  # fmt: skip
    rgb, truth, _ = found[0]
    for mp, (w, h) in ((1, (1155, 866)), (12, (4000, 3000))):
        big = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_CUBIC)
        alpha = cv2.resize(truth, (w, h), interpolation=cv2.INTER_LINEAR)
        start = time.perf_counter()
        foreground_colours(big, alpha)
        mine = time.perf_counter() - start
        start = time.perf_counter()
        estimate_foreground_ml(big / 255.0, alpha.astype(np.float64))
        other = time.perf_counter() - start
        print(f"  {mp:>2} MP: foreground_colours {mine:.2f} s, estimate_foreground_ml "
              f"{other:.2f} s ({other / mine:.0f}x)")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    found = scenes(SCENES)
    refiners = [spec for spec in registry.REFINERS if not hub.missing_files(spec)]
    for spec in registry.REFINERS:
        if spec not in refiners:
            check = f"uv run portrait-blur models --check {spec.key}"
            print(f"{spec.label}: not downloaded here, left out (with internet: `{check}`, "
                  "then run this again)")  # fmt: skip
    refine_quality(found, refiners)
    refine_speed(found, refiners)
    foreground(found)
    return 0
