"""MediaPipe Selfie through onnxruntime: the package's masks, reproduced without it."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from models import mediapipe_selfie
from models.errors import ModelUnavailable
from models.runtime import run_model
from tests.conftest import ROOT

DATA = ROOT / "tests" / "data"
PHOTOS = ROOT / "photo" / "samples"
REFERENCE = DATA / "selfie_reference"


def reference_photo(name: str) -> Image.Image:
    """The photo each mask in tests/data/selfie_reference was recorded from."""
    if name == "astronaut-1024x768":
        photo = Image.open(PHOTOS / "astronaut.png").convert("RGB")
        return photo.resize((1024, 768), Image.Resampling.BICUBIC)
    return Image.open(PHOTOS / f"{name}.png").convert("RGB")


@pytest.fixture(scope="module")
def segmenter():
    return mediapipe_selfie.SelfieSegmenter()


def test_model_ships_with_the_app_and_its_licence():
    assets = mediapipe_selfie.MODEL_FILE.parent
    assert mediapipe_selfie.MODEL_FILE.stat().st_size > 100_000
    assert (assets / "selfie_segmentation.tflite").read_bytes()[4:8] == b"TFL3"
    assert "Apache License" in (assets / "selfie_segmentation.LICENSE").read_text()


@pytest.mark.parametrize("name", sorted(p.stem for p in REFERENCE.glob("*.png")))
def test_masks_match_the_mediapipe_package(segmenter, name):
    """Recorded with mediapipe 0.10.21 (tests/data/README.md); non-square photos and a
    1024 px one check the corner-to-corner warp the package's graph does."""
    alpha = segmenter.predict(reference_photo(name))
    expected = np.asarray(Image.open(REFERENCE / f"{name}.png")).astype(np.float32) / 255
    assert alpha.shape == expected.shape and alpha.dtype == np.float32
    ours, theirs = alpha > 0.5, expected > 0.5
    assert (ours & theirs).sum() / max(1, (ours | theirs).sum()) >= 0.99
    assert np.abs(alpha - expected).mean() <= 0.01


def test_the_conversion_tool_remakes_the_shipped_model(astronaut):
    """tools/selfie_onnx.py turns the shipped .tflite into a network that computes what the
    shipped .onnx does."""
    import onnx
    import onnxruntime

    from tools.selfie_onnx import convert

    rebuilt = onnxruntime.InferenceSession(
        convert().SerializeToString(), providers=["CPUExecutionProvider"]
    )
    shipped = onnxruntime.InferenceSession(
        str(mediapipe_selfie.MODEL_FILE), providers=["CPUExecutionProvider"]
    )
    tensor = mediapipe_selfie.network_input(np.asarray(astronaut))
    (ours,) = rebuilt.run(["alpha"], {"image": tensor})
    (theirs,) = shipped.run(["alpha"], {"image": tensor})
    np.testing.assert_allclose(ours, theirs, atol=1e-6)
    assert onnx.load(mediapipe_selfie.MODEL_FILE).opset_import[0].version >= 17


def test_portrait_centre_is_foreground_and_top_corners_background(segmenter, astronaut):
    alpha = segmenter.predict(astronaut)
    assert alpha.dtype == np.float32 and alpha.shape == (512, 512)
    assert alpha.min() >= 0.0 and alpha.max() <= 1.0
    assert alpha[224:288, 224:288].mean() > 0.9  # chest and face
    assert alpha[100:200, 180:260].mean() > 0.9  # face
    # The suit fills the bottom corners; the top corners show the flag and the wall.
    assert alpha[:32, :32].mean() < 0.05
    assert alpha[:32, -32:].mean() < 0.05


def test_odd_sized_photo_gives_alpha_at_photo_size(segmenter, astronaut):
    photo = astronaut.resize((333, 517))
    alpha = segmenter.predict(photo)
    assert alpha.shape == (517, 333)


def test_empty_scene_has_no_subject(segmenter):
    alpha = segmenter.predict(Image.new("RGB", (320, 240), (128, 128, 128)))
    assert alpha.max() < 0.1


def test_run_model_times_inference_and_runs_on_cpu_whatever_is_asked(astronaut):
    result = run_model("mediapipe_selfie", astronaut, "cuda")
    assert result.ok, result.error
    assert result.device == "cpu"
    assert result.found_subject
    assert 0 < result.inference_s < 30
    assert result.alpha.shape == (512, 512)


def test_missing_model_file_names_the_fix(tmp_path):
    with pytest.raises(ModelUnavailable, match="git checkout"):
        mediapipe_selfie.SelfieSegmenter(tmp_path / "selfie_segmentation.onnx")
