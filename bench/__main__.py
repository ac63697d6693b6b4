"""`uv run python -m bench`: compositing and end-to-end speed, as ratios measured in one run.

Every speed figure is set against a reference timed in the same run on the same machine:
the seed's inpaint-then-blur (bench/reference.py) for compositing. Nothing here is asserted
by the test suite; the tests check the look, halo and subject properties instead.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
import tracemalloc
from collections.abc import Callable
from functools import partial

import numpy as np
from PIL import Image

from bench.reference import blur_at_kernel, reference_blur
from bench.scenes import (
    background_band,
    background_plate,
    ideal_blur,
    portrait_scene,
    psnr,
    soft_band,
)
from blur import blur_background, fit_within, mask_overlay, resize_alpha
from blur.composite import blurred_plate, equivalent_sigma
from ui.labels import RUN_LABEL

SIZES = {1: (1155, 866), 5: (2582, 1936), 12: (4000, 3000), 24: (5657, 4243)}
STRENGTHS = (5, 101, 255)
TARGET_MP, TARGET_STRENGTH, TARGET_RATIO = 12, 101, 100.0
HALO_BAND_PX = 60
PREVIEW_MAX_SIDE = 1280


def timed(run: Callable[[], object], repeats: int = 1) -> tuple[float, float, object]:
    """Median seconds over ``repeats`` and the peak traced memory (MB) of one run."""
    times = []
    tracemalloc.start()
    result = run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), peak / 1e6, result


def compositing(sizes: dict[int, tuple[int, int]]) -> list[dict]:
    rows = []
    print("\nCompositing: blur.BlurPlan vs the seed's pipeline (reference), same run; k in pixels")
    header = (
        f"{'MP':>3} {'size':>10} {'k':>4} {'ref s':>7} {'ours s':>7} {'ratio':>7} "
        f"{'halo ref':>8} {'halo ours':>9} {'PSNR dB':>7} {'ref MB':>7} {'ours MB':>7} subject"
    )
    print(header + "\n" + "-" * len(header))
    for mp, (w, h) in sizes.items():
        scene = portrait_scene(w, h)
        plate = background_plate(w, h)
        empty = np.zeros((h, w), np.float32)
        band = background_band(scene.alpha, HALO_BAND_PX)
        subject = scene.alpha == 1.0
        for k in STRENGTHS:
            ref_s, ref_mb, ref = timed(partial(reference_blur, scene.photo, scene.alpha, k))
            ours_s, ours_mb, ours = timed(partial(blur_at_kernel, scene.photo, scene.alpha, k), 3)
            clean_scene = blurred_plate(scene.plate, empty, equivalent_sigma(k)).astype(np.float32)
            row = {
                "mp": mp,
                "k": k,
                "ratio": ref_s / ours_s,
                "halo_ref": float(np.abs(ref - clean_scene)[band].mean()),
                "halo_ours": float(np.abs(ours - clean_scene)[band].mean()),
                "psnr": psnr(blur_at_kernel(plate, empty, k), reference_blur(plate, empty, k)),
                "subject_kept": bool(np.array_equal(ours[subject], scene.photo[subject])),
            }
            rows.append(row)
            print(
                f"{mp:>3} {w:>5}x{h:<4} {k:>4} {ref_s:>7.2f} {ours_s:>7.3f} {row['ratio']:>6.0f}x "
                f"{row['halo_ref']:>8.2f} {row['halo_ours']:>9.2f} {row['psnr']:>7.1f} "
                f"{ref_mb:>7.0f} {ours_mb:>7.0f} "
                f"{'unchanged' if row['subject_kept'] else 'CHANGED'}",
                flush=True,
            )
    print(
        "halo: mean |result - blurred clean plate| in the background within "
        f"{HALO_BAND_PX} px of the subject (lower is better); PSNR: ours vs reference on the "
        "plate alone; MB: peak of numpy/OpenCV arrays (tracemalloc)."
    )
    return rows


def lens_speed(sizes: dict[int, tuple[int, int]]) -> None:
    print("\nLens (disc, bloom) vs Gaussian blur, seconds; same fill and compositing")
    header = f"{'MP':>3} {'k':>4} {'gaussian':>9} {'lens':>7} {'lens/gaussian':>13}"
    print(header + "\n" + "-" * len(header))
    for mp, (w, h) in sizes.items():
        scene = portrait_scene(w, h)
        for k in STRENGTHS:
            gauss, _, _ = timed(partial(blur_at_kernel, scene.photo, scene.alpha, k), 3)
            disc, _, _ = timed(partial(blur_at_kernel, scene.photo, scene.alpha, k, lens="disc"), 3)
            print(f"{mp:>3} {k:>4} {gauss:>9.3f} {disc:>7.3f} {disc / gauss:>12.1f}x", flush=True)


def clean_edges(sizes: dict[int, tuple[int, int]]) -> list[float]:
    """Soft-band error against the ideal, with and without clean edges, and the cost."""
    print("\nClean edges: mean error against the ideal alpha*F + (1-alpha)*blur(B) in the soft")
    print("band (0.05 < alpha < 0.95) of scenes with known F and B; strength 101")
    header = (
        f"{'MP':>3} {'edge':>5} {'band px':>9} {'seed err':>8} {'clean err':>9} {'ratio':>6} "
        f"{'seed s':>7} {'clean s':>7}"
    )
    print(header + "\n" + "-" * len(header))
    ratios = []
    for mp, (w, h) in sizes.items():
        for edge in (0.004, 0.015):
            scene = portrait_scene(w, h, edge_fraction=edge)
            empty = np.zeros_like(scene.alpha)
            ideal = ideal_blur(scene, blurred_plate(scene.plate, empty, equivalent_sigma(101)))
            band = soft_band(scene.alpha)
            seed_s, _, seed = timed(
                partial(blur_at_kernel, scene.photo, scene.alpha, 101, clean_edges=False), 3
            )
            clean_s, _, clean = timed(partial(blur_at_kernel, scene.photo, scene.alpha, 101), 3)
            seed_err = float(np.abs(seed - ideal)[band].mean())
            clean_err = float(np.abs(clean - ideal)[band].mean())
            ratios.append(clean_err / seed_err)
            print(
                f"{mp:>3} {edge:>5.3f} {int(band.sum()):>9} {seed_err:>8.2f} {clean_err:>9.2f} "
                f"{clean_err / seed_err:>6.2f} {seed_s:>7.3f} {clean_s:>7.3f}",
                flush=True,
            )
    print("edge: soft edge width as a fraction of the diagonal (0.015 is hair-like)")
    return ratios


def jpeg_bytes(size: tuple[int, int]) -> bytes:
    from tests.conftest import PHOTOS

    image = Image.open(PHOTOS / "astronaut.png").convert("RGB").resize(size, Image.BICUBIC)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def end_to_end(sizes: dict[int, tuple[int, int]]) -> None:
    from models.runtime import run_model
    from photo.decode import decode_photo

    print("\nEnd to end with MediaPipe Selfie (CPU), milliseconds per step")
    header = (
        f"{'MP':>3} {'decode':>7} {'model':>7} {'overlay':>8} {'preview blur':>12} "
        f"{'full blur':>9} {'full/preview':>12}"
    )
    print(header + "\n" + "-" * len(header))
    run_model("mediapipe_selfie", Image.new("RGB", (64, 64)), "cpu")  # load once
    for mp, size in sizes.items():
        data = jpeg_bytes(size)
        decode_s, _, photo = timed(partial(decode_photo, data, "photo.jpg"), 3)
        result = run_model("mediapipe_selfie", photo.image, "cpu")
        model_s = statistics.median(
            run_model("mediapipe_selfie", photo.image, "cpu").inference_s for _ in range(3)
        )
        rgb = np.asarray(photo.image)
        preview, _ = fit_within(rgb, PREVIEW_MAX_SIDE)
        alpha = resize_alpha(result.alpha, preview.shape[:2])
        overlay_s, _, _ = timed(partial(mask_overlay, preview, alpha), 3)
        preview_s, _, _ = timed(partial(blur_background, preview, alpha, 101), 3)
        full_s, _, _ = timed(partial(blur_background, rgb, result.alpha, 101))
        ms = [1000 * t for t in (decode_s, model_s, overlay_s, preview_s, full_s)]
        print(
            f"{mp:>3} {ms[0]:>7.0f} {ms[1]:>7.0f} {ms[2]:>8.0f} {ms[3]:>12.0f} {ms[4]:>9.0f} "
            f"{full_s / preview_s:>11.1f}x",
            flush=True,
        )


def slider_rerender(size: tuple[int, int] = SIZES[12]) -> float:
    from streamlit.testing.v1 import AppTest

    from service import shared_pool
    from tests.conftest import ROOT

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300).run()
    at.file_uploader[0].set_value(("phone.jpg", jpeg_bytes(size), "image/jpeg"))
    at.run()
    next(b for b in at.button if b.label == RUN_LABEL).click().run()
    times = []
    for strength in (11, 201, 55, 151, 101):
        slider = next(s for s in at.slider if s.label == "Blur Strength")
        start = time.perf_counter()
        slider.set_value(strength).run()
        times.append(time.perf_counter() - start)
    calls = sum(shared_pool().jobs.values())
    shared_pool().shutdown()
    seconds = statistics.median(times)
    print(
        f"\nSlider move, one model, {size[0]}x{size[1]} upload (AppTest, whole rerun): "
        f"median {seconds:.2f} s over {len(times)} moves; model calls: {calls} (1 = the run)"
    )
    return seconds


def memory_peak(megapixels: int = 50) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "bench.memory", str(megapixels)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    lines = [ln for ln in done.stdout.splitlines() if "peak" in ln]
    print(lines[0] if lines else f"memory run failed: {done.stderr[-500:]}")


def compositing_targets(rows: list[dict]) -> None:
    target = [r for r in rows if r["mp"] == TARGET_MP and r["k"] == TARGET_STRENGTH]
    if target:
        ratio = target[0]["ratio"]
        mark = "met" if ratio >= TARGET_RATIO else "NOT met"
        print(
            f"- {TARGET_MP} MP at strength {TARGET_STRENGTH}: {ratio:.0f}x faster "
            f"(>= {TARGET_RATIO:.0f}x): {mark}"
        )
        halo = target[0]["halo_ours"] < target[0]["halo_ref"]
        print(f"- less halo than the reference at {TARGET_MP} MP: {'met' if halo else 'NOT met'}")
    worst_psnr = min(r["psnr"] for r in rows)
    print(f"- same look, PSNR >= 30 dB everywhere: worst {worst_psnr:.1f} dB")
    fewer = sum(r["halo_ours"] < r["halo_ref"] for r in rows)
    print(f"- less halo than the reference in {fewer} of {len(rows)} rows")
    print(f"- subject pixels unchanged in every row: {all(r['subject_kept'] for r in rows)}")


def main() -> None:
    import sys

    if sys.argv[1:2] == ["load"]:  # `python -m bench load`: concurrent browser sessions
        from bench.load import main as load

        sys.exit(load(sys.argv[2:]))
    if sys.argv[1:2] == ["eval"]:  # `python -m bench eval`: evaluation throughput, Ray
        from bench.eval import main as evaluate

        sys.exit(evaluate(sys.argv[2:]))
    if sys.argv[1:2] == ["refine"]:  # `python -m bench refine`: refine's gain and cost
        from bench.refine import main as refine

        sys.exit(refine(sys.argv[2:]))
    if sys.argv[1:2] == ["models"]:  # `python -m bench models`: seconds per photo per model
        from bench.models import main as models

        sys.exit(models(sys.argv[2:]))
    if sys.argv[1:2] == ["arena"]:  # `python -m bench arena`: leaderboard and next pair
        from bench.arena import main as arena

        sys.exit(arena(sys.argv[2:]))
    if sys.argv[1:2] == ["video"]:  # `python -m bench video`: frames per second over a clip
        from bench.video import main as video

        sys.exit(video(sys.argv[2:]))
    if sys.argv[1:2] == ["ui"]:  # `python -m bench ui`: cold start and slider in a browser
        from bench.ui import main as ui

        sys.exit(ui(sys.argv[2:]))
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--sizes", nargs="+", type=int, default=list(SIZES), help="megapixels")
    parser.add_argument(
        "--compositing", action="store_true", help="only the compositing table and its targets"
    )
    args = parser.parse_args()
    sizes = {mp: SIZES[mp] for mp in args.sizes}

    rows = compositing(sizes)
    if args.compositing:
        print("\nTargets")
        compositing_targets(rows)
        return
    edge_ratios = clean_edges(sizes)
    lens_speed(sizes)
    end_to_end(sizes)
    slider_s = slider_rerender()
    print()
    memory_peak()

    print("\nTargets")
    compositing_targets(rows)
    print(f"- slider re-render <= 1 s: {slider_s:.2f} s, {'met' if slider_s <= 1 else 'NOT met'}")
    worst = max(edge_ratios)
    mark = "met" if worst <= 0.6 else "NOT met"
    print(
        f"- clean edges, soft-band error <= 0.6x the seed's compositing: worst {worst:.2f}x, {mark}"
    )


if __name__ == "__main__":
    main()
