"""MediaPipe Selfie through onnxruntime: the package's masks, reproduced without it, for
both of its models (general 256x256, landscape 144x256)."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import numpy as np
import pytest

from models import mediapipe_selfie
from models.paths import asset_file
from models.registry import get_spec
from tests.references import agreement, reference_mask, reference_names, reference_photo

KEYS = {"general": "mediapipe_selfie", "landscape": "mediapipe_selfie_landscape"}
# name: (ONNX file, the .tflite it was converted from and its SHA-256 as in the mediapipe
# 0.10.21 wheel, the network's (h, w), the folder of masks the package recorded)
MODELS = {
    "general": (
        "selfie_segmentation.onnx",
        "selfie_segmentation.tflite",
        "9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c",
        (256, 256),
        "selfie_reference",
    ),
    "landscape": (
        "selfie_segmentation_landscape.onnx",
        "selfie_segmentation_landscape.tflite",
        "a77d03f4659b9f6b6c1f5106947bf40e99d7655094b6527f214ea7d451106edd",
        (144, 256),
        "selfie_landscape_reference",
    ),
}
REFERENCES = [(model, name) for model, (*_, folder) in MODELS.items()
              for name in reference_names(folder)]  # fmt: skip


def spec_of(model: str):
    return get_spec(KEYS[model])


@pytest.fixture(scope="module")
def segmenters():
    return {model: mediapipe_selfie.SelfieSegmenter(asset_file(onnx)) for model, (onnx, *_) in
            MODELS.items()}  # fmt: skip


@pytest.mark.parametrize("model", list(MODELS))
def test_model_ships_with_the_app_and_its_licence(model):
    onnx_file, tflite_file, sha256, *_ = MODELS[model]
    assert asset_file(onnx_file).stat().st_size > 100_000
    source = asset_file(tflite_file).read_bytes()
    assert source[4:8] == b"TFL3"
    assert hashlib.sha256(source).hexdigest() == sha256  # the wheel's file, unchanged
    assert "Apache License" in asset_file("selfie_segmentation.LICENSE").read_text()
    assert tflite_file in (asset_file("README.md")).read_text()


@pytest.mark.parametrize("model", list(MODELS))
def test_build_runs_the_entry_s_asset_at_its_network_size(model):
    onnx_file, _, _, size, _ = MODELS[model]
    segmenter = mediapipe_selfie.build(spec_of(model), "cpu")
    assert segmenter.input_size == size
    if model == "general":
        assert asset_file(onnx_file) == mediapipe_selfie.MODEL_FILE
    assert spec_of(model).input_size == (size[1], size[0])  # the entry's (w, h)
    with pytest.raises(AssertionError):  # an entry's input_size must be the file's
        mediapipe_selfie.build(replace(spec_of(model), input_size=(size[1], size[0] + 1)), "cpu")


@pytest.mark.parametrize(("model", "name"), REFERENCES)
def test_masks_match_the_mediapipe_package(segmenters, model, name):
    """Recorded with mediapipe 0.10.21 (tests/data/README.md); non-square photos and a
    1024 px one check the corner-to-corner warp the package's graph does."""
    alpha = segmenters[model].predict(reference_photo(name))
    assert alpha.dtype == np.float32
    iou, mean_difference = agreement(alpha, reference_mask(MODELS[model][-1], name))
    assert iou >= 0.99 and mean_difference <= 0.01


@pytest.mark.parametrize("model", list(MODELS))
def test_the_conversion_tool_remakes_the_shipped_model(astronaut, model):
    """tools/selfie_onnx.py turns each shipped .tflite into a network that computes what the
    shipped .onnx does, and says which model it is."""
    import onnx
    import onnxruntime

    from tools.selfie_onnx import convert

    onnx_file, tflite_file, _, size, _ = MODELS[model]
    converted = convert(asset_file(tflite_file))
    assert f"({model}, {size[0]}x{size[1]})" in converted.doc_string
    assert tflite_file in converted.doc_string
    rebuilt = onnxruntime.InferenceSession(
        converted.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    shipped = onnxruntime.InferenceSession(
        str(asset_file(onnx_file)), providers=["CPUExecutionProvider"]
    )
    tensor = mediapipe_selfie.network_input(np.asarray(astronaut), size)
    assert tensor.shape == (1, *size, 3)
    (ours,) = rebuilt.run(["alpha"], {"image": tensor})
    (theirs,) = shipped.run(["alpha"], {"image": tensor})
    np.testing.assert_allclose(ours, theirs, atol=1e-6)
    shipped_model = onnx.load(asset_file(onnx_file))
    assert shipped_model.opset_import[0].version >= 17
    assert shipped_model.doc_string == converted.doc_string
