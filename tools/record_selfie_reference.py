"""Records the MediaPipe Selfie masks the tests compare the app's ONNX path with.

Runs with the mediapipe package itself (the authors' runtime), which the app does not
install: its last wheels with the legacy solutions (0.10.21) stop at Python 3.12 and
numpy 1. Use a throwaway environment outside the project:

    uv venv /tmp/mp --python 3.11
    uv pip install --python /tmp/mp mediapipe==0.10.21 'numpy<2' pillow
    /tmp/mp/bin/python tools/record_selfie_reference.py landscape
    /tmp/mp/bin/python tools/record_selfie_reference.py general --out /tmp/general

``general`` is ``SelfieSegmentation(model_selection=0)``, written to
tests/data/selfie_reference; ``landscape`` is ``model_selection=1``, written to
tests/data/selfie_landscape_reference (``--out`` writes elsewhere, e.g. to compare with
the recorded ones first). Each mask is saved as a uint8 PNG, the package's float mask
times 255, rounded and clipped, for the sample photos and the astronaut resized to
1024x768 (bicubic), as tests/test_mediapipe_selfie.py's ``reference_photo`` makes them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
PHOTOS = ROOT / "photo" / "samples"
DATA = ROOT / "tests" / "data"
MODELS = {  # name: (model_selection, folder under tests/data)
    "general": (0, "selfie_reference"),
    "landscape": (1, "selfie_landscape_reference"),
}
SAMPLES = ("astronaut", "camera", "chelsea", "coffee")


def photos() -> dict[str, Image.Image]:
    """The photos by mask name: the samples, and the astronaut at 1024x768."""
    named = {name: Image.open(PHOTOS / f"{name}.png").convert("RGB") for name in SAMPLES}
    named["astronaut-1024x768"] = named["astronaut"].resize((1024, 768), Image.Resampling.BICUBIC)
    return named


def record(model: str, out: Path) -> None:
    import mediapipe
    from mediapipe.python.solutions.selfie_segmentation import SelfieSegmentation

    selection, _ = MODELS[model]
    out.mkdir(parents=True, exist_ok=True)
    with SelfieSegmentation(model_selection=selection) as solution:
        for name, photo in photos().items():
            rgb = np.ascontiguousarray(np.asarray(photo))
            mask = np.asarray(solution.process(rgb).segmentation_mask, dtype=np.float32)
            assert mask.shape == rgb.shape[:2], (name, mask.shape)
            pixels = np.clip(np.round(mask * 255), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(out / f"{name}.png")
            print(f"{out / name}.png  mean {mask.mean():.4f}")
    print(f"mediapipe {mediapipe.__version__}, model_selection={selection} ({model})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", choices=[*MODELS, "both"])
    parser.add_argument("--out", type=Path, help="folder to write to (default: tests/data/...)")
    args = parser.parse_args()
    models = list(MODELS) if args.model == "both" else [args.model]
    for model in models:
        out = args.out / MODELS[model][1] if args.out and len(models) > 1 else args.out
        record(model, out or DATA / MODELS[model][1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
